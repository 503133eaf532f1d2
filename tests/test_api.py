"""POST /predict and GET /health, through chalice.test.Client with the SageMaker call stubbed."""
import base64
import io
import json
import math

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from chalice.test import Client

import app as app_module
from app import app
from chalicelib.sagemaker_endpoint import sagemaker_client
from chalicelib.settings import load_settings
from PIL import Image

from devkit.images import encode, png_bomb, poster, poster_jpeg
from devkit.servers import PROJECT_ROOT, stage_environment
from scripts.chalice_project import read_config

ENDPOINT_NAME = "is-this-movie-a-thriller-dev"
CHALICE_CONFIG = read_config(PROJECT_ROOT)
DEV_SETTINGS = load_settings(stage_environment("dev"))


@pytest.fixture
def client():
    with Client(app, stage_name="dev") as test_client:
        yield test_client


@pytest.fixture
def endpoint(client):
    """The stage's SageMaker client with every call stubbed; fails the test if a stub is left unused."""
    with Stubber(sagemaker_client(DEV_SETTINGS)) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def sent_to_sagemaker(endpoint):
    """The request parameters of the stubbed invoke_endpoint call, as the app built them."""
    sent = {}
    event = "before-parameter-build.sagemaker-runtime.InvokeEndpoint"

    def capture(params, **_):
        sent["body"] = params["Body"]

    endpoint.client.meta.events.register(event, capture)
    yield sent
    endpoint.client.meta.events.unregister(event, capture)


def answer_with(stubber, payload, expected_body=ANY, custom_attributes=None):
    """The stub also checks what the app sends: CustomAttributes only when evidence is asked for."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    expected = {"EndpointName": ENDPOINT_NAME, "ContentType": "application/x-image",
                "Accept": "application/json", "Body": expected_body}
    if custom_attributes:
        expected["CustomAttributes"] = custom_attributes
    stubber.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "application/json"}, expected)


def our_endpoint_answer(thriller_probability=0.62, poster_likeness=0.5, evidence=False) -> dict:
    """An answer shaped like our endpoint's (poster_model.predictor.PosterClassifier.answer)."""
    balanced = min(0.99, thriller_probability * 1.5)
    answer = {"probabilities": [1 - balanced, balanced], "thriller_probability": thriller_probability,
              "base_rate": 0.25, "hard_to_tell_band": [0.2, 0.4],
              "genres": [{"genre": "Drama", "probability": 0.3}, {"genre": "Thriller", "probability": 0.55}],
              "poster_likeness": poster_likeness, "poster_likeness_threshold": 0.004}
    if evidence:
        answer["evidence"] = {"rows": 2, "columns": 3, "values": [[0.1, -0.2, 0.0], [0.05, 0.0, -0.01]]}
    return answer


def post_json(client, document, content_type="application/json"):
    body = document if isinstance(document, (str, bytes)) else json.dumps(document)
    return client.http.post("/predict", headers={"Content-Type": content_type}, body=body)


def base64_of(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_health_answers_without_calling_sagemaker(client, endpoint):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}


def test_our_endpoints_answer_becomes_a_verdict_with_calibrated_probability_base_rate_and_genres(client, endpoint):
    answer_with(endpoint, our_endpoint_answer(thriller_probability=0.62))
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 200
    assert response.json_body == {
        "verdict": "thriller/crime", "certainty": "likely", "probability": 0.62, "base_rate": 0.25,
        "hard_to_tell_band": [0.2, 0.4], "looks_like_a_poster": True, "poster_likeness": 0.5,
        "not_a_poster_reason": None,
        "genres": [{"genre": "Thriller", "probability": 0.55}, {"genre": "Drama", "probability": 0.3}],
        "label": "thriller/crime", "is_thriller": True,
        "message": "Likely a thriller/crime film: 62% chance it is a thriller/crime film (about 1 film in 4 is one)."}


# One row per line of docs/api.md's table of phrasings (base rate 0.25, band [0.2, 0.4)).
@pytest.mark.parametrize("probability, verdict, certainty, headline", [
    (0.8, "thriller/crime", "very likely", "Very likely a thriller/crime film"),
    (0.75, "thriller/crime", "very likely", "Very likely a thriller/crime film"),
    (0.745, "thriller/crime", "very likely", "Very likely a thriller/crime film"),
    (0.6, "thriller/crime", "likely", "Likely a thriller/crime film"),
    (0.505, "thriller/crime", "likely", "Likely a thriller/crime film"),
    (0.5, "thriller/crime", "leans", "Leans towards thriller/crime"),
    (0.495, "thriller/crime", "leans", "Leans towards thriller/crime"),
    (0.44, "thriller/crime", "leans", "Leans towards thriller/crime"),
    (0.4, "thriller/crime", "leans", "Leans towards thriller/crime"),
    (0.39, "hard to tell", "hard to tell", "Hard to tell from this poster"),
    (0.2, "hard to tell", "hard to tell", "Hard to tell from this poster"),
    (0.1, "not thriller", "unlikely", "Unlikely to be a thriller/crime film"),
    (0.0625, "not thriller", "unlikely", "Unlikely to be a thriller/crime film"),
    (0.05, "not thriller", "very unlikely", "Very unlikely to be a thriller/crime film"),
])
def test_the_message_has_the_certainty_of_the_calibrated_probability(
        client, endpoint, probability, verdict, certainty, headline):
    answer_with(endpoint, our_endpoint_answer(thriller_probability=probability))
    body = post_json(client, {"data": base64_of(poster_jpeg())}).json_body
    assert (body["verdict"], body["certainty"], body["probability"]) == (verdict, certainty, probability)
    assert body["message"].startswith(f"{headline}: {math.floor(probability * 100 + 0.5)}% chance")
    assert not body["message"].startswith("This is"), "a chance is never announced as a fact"
    assert "like" not in body["message"].replace("Likely", "").replace("likely", ""), "no guess at taste"


@pytest.mark.parametrize("probability, label, is_thriller", [
    (0.62, "thriller/crime", True), (0.3, None, None), (0.1, "not thriller", False)])
def test_label_and_is_thriller_decide_only_where_the_verdict_does(client, endpoint, probability, label, is_thriller):
    answer_with(endpoint, our_endpoint_answer(thriller_probability=probability))
    body = post_json(client, {"data": base64_of(poster_jpeg())}).json_body
    assert (body["label"], body["is_thriller"]) == (label, is_thriller)


def test_an_image_unlike_the_training_posters_is_not_a_poster_whatever_its_probability(client, endpoint):
    answer_with(endpoint, our_endpoint_answer(thriller_probability=0.9, poster_likeness=0.001))
    body = post_json(client, {"data": base64_of(poster_jpeg())}).json_body
    assert (body["verdict"], body["certainty"], body["looks_like_a_poster"]) == ("not a poster", "not a poster", False)
    assert (body["label"], body["is_thriller"]) == (None, None)
    assert body["not_a_poster_reason"] is None, "an endpoint without reasons gets none made up"
    assert body["if_a_poster"] == {
        "verdict": "thriller/crime", "certainty": "very likely",
        "message": "Very likely a thriller/crime film: 90% chance it is a thriller/crime film "
                   "(about 1 film in 4 is one)."}
    assert body["message"] == "This does not look like a movie poster. Try the poster of a movie."


@pytest.mark.parametrize("reason, words", [
    ("photograph", "it looks like a photograph"),
    ("mostly_flat", "most of it is flat, like a screenshot or a chart"),
    ("odd_shape", "its shape is unlike a poster's"),
    ("blank", "it is almost blank"),
    ("unlike_posters", "it looks unlike the posters the model learned from"),
    ("a_reason_added_later", "it is unlike the posters the model learned from"),
])
def test_the_reason_it_is_not_a_poster_is_passed_through_and_said_in_the_message(client, endpoint, reason, words):
    answer_with(endpoint, {**our_endpoint_answer(poster_likeness=0.001), "not_a_poster_reason": reason})
    body = post_json(client, {"data": base64_of(poster_jpeg())}).json_body
    assert (body["verdict"], body["not_a_poster_reason"]) == ("not a poster", reason)
    assert body["message"] == f"This does not look like a movie poster: {words}. Try the poster of a movie."


def test_a_poster_carries_no_reason_even_if_the_endpoint_sent_one(client, endpoint):
    answer_with(endpoint, {**our_endpoint_answer(poster_likeness=0.5), "not_a_poster_reason": "photograph"})
    body = post_json(client, {"data": base64_of(poster_jpeg())}).json_body
    assert (body["verdict"], body["not_a_poster_reason"]) == ("thriller/crime", None)
    assert "if_a_poster" not in body


@pytest.mark.parametrize("reason", ["", "x" * 41, "Photograph", "<script>", 3, ["photograph"]])
def test_a_reason_that_is_not_a_short_code_gets_502(client, endpoint, reason):
    answer_with(endpoint, {**our_endpoint_answer(poster_likeness=0.001), "not_a_poster_reason": reason})
    assert post_json(client, {"data": base64_of(poster_jpeg())}).status_code == 502


def test_an_endpoint_answering_a_plain_class_list_gets_the_reduced_answer(client, endpoint):
    answer_with(endpoint, [0.8, 0.2])
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 200
    assert response.json_body == {
        "verdict": "not thriller", "probability": 0.2, "label": "not thriller", "is_thriller": False,
        "message": "Leans away from thriller/crime: the model's score is 20 out of 100, not a calibrated chance.",
        "unavailable": ["certainty", "base_rate", "hard_to_tell_band", "looks_like_a_poster", "poster_likeness",
                        "not_a_poster_reason", "genres", "evidence"]}


def test_explain_in_the_json_body_asks_the_endpoint_for_evidence_and_answers_the_grid(client, endpoint):
    answer_with(endpoint, our_endpoint_answer(evidence=True), custom_attributes="explain=1")
    body = post_json(client, {"data": base64_of(poster_jpeg()), "explain": True}).json_body
    assert body["evidence"] == {"rows": 2, "columns": 3, "values": [[0.1, -0.2, 0.0], [0.05, 0.0, -0.01]]}


def test_explain_as_a_query_parameter_works_for_raw_uploads(client, endpoint):
    answer_with(endpoint, our_endpoint_answer(evidence=True), custom_attributes="explain=1")
    response = client.http.post("/predict?explain=1", headers={"Content-Type": "image/jpeg"}, body=poster_jpeg())
    assert response.status_code == 200
    assert response.json_body["evidence"]["rows"] == 2


def test_without_explain_the_answer_carries_no_evidence(client, endpoint):
    answer_with(endpoint, our_endpoint_answer(evidence=True))
    assert "evidence" not in post_json(client, {"data": base64_of(poster_jpeg())}).json_body


@pytest.mark.parametrize("request_kwargs", [
    {"path": "/predict", "document": {"data": "AAAA", "explain": "yes"}},
    {"path": "/predict?explain=maybe", "document": {"data": "AAAA"}},
])
def test_an_explain_that_is_not_a_boolean_gets_400(client, endpoint, request_kwargs):
    response = client.http.post(request_kwargs["path"], headers={"Content-Type": "application/json"},
                                body=json.dumps(request_kwargs["document"]))
    assert response.status_code == 400
    assert "explain" in response.json_body["message"]


def test_evidence_asked_for_but_not_answered_gets_502(client, endpoint):
    answer_with(endpoint, our_endpoint_answer(evidence=False), custom_attributes="explain=1")
    assert post_json(client, {"data": base64_of(poster_jpeg()), "explain": True}).status_code == 502


@pytest.mark.parametrize("field, value", [
    ("thriller_probability", 1.5), ("hard_to_tell_band", [0.5, 0.2]), ("genres", [{"genre": 3}]),
    ("poster_likeness", None), ("base_rate", "a quarter"), ("evidence", {"rows": 2, "columns": 2, "values": [[1]]}),
])
def test_an_object_answer_with_a_malformed_field_gets_502(client, endpoint, field, value):
    answer_with(endpoint, {**our_endpoint_answer(), field: value})
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 502
    assert response.json_body["error"] == "ModelFailed"


def test_a_json_body_with_a_utf8_byte_order_mark_is_accepted(client, endpoint):
    answer_with(endpoint, our_endpoint_answer())
    body = b"\xef\xbb\xbf" + json.dumps({"data": base64_of(poster_jpeg())}).encode()
    assert post_json(client, body).status_code == 200


def test_an_unforeseen_failure_is_a_json_500_logged_with_the_request_id(client, endpoint, monkeypatch, capsys):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(app_module, "normalize_image", broken)
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 500
    assert response.json_body == {"error": "InternalError", "message": "the server failed to answer; its log says why"}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    (logged,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"status":500' in line]
    assert logged["request_id"] and "Traceback" in logged["detail"] and "RuntimeError: a bug" in logged["detail"]


def test_the_blog_recipe_with_line_wrapped_base64_is_accepted(client, endpoint):
    answer_with(endpoint, [0.4, 0.6])
    wrapped = base64.encodebytes(poster_jpeg()).decode()
    assert "\n" in wrapped
    response = post_json(client, '{"data": "' + wrapped + '"}\n')
    assert response.status_code == 200


@pytest.mark.parametrize("media_type", ["image/png", "image/jpeg", "image/webp", "image/gif"])
def test_a_data_url_of_any_image_type_is_accepted(client, endpoint, media_type):
    answer_with(endpoint, [0.4, 0.6])
    data_url = f"data:{media_type};base64,{base64_of(poster_jpeg())}"
    assert post_json(client, {"data": data_url}).status_code == 200


@pytest.mark.parametrize("fmt,content_type", [
    ("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"),
    ("GIF", "image/gif"), ("BMP", "image/bmp")])
def test_raw_image_bytes_are_accepted(client, endpoint, fmt, content_type):
    answer_with(endpoint, [0.4, 0.6])
    response = client.http.post("/predict", headers={"Content-Type": content_type},
                                body=encode(poster(), fmt))
    assert response.status_code == 200


def test_a_charset_parameter_on_the_json_content_type_is_accepted(client, endpoint):
    answer_with(endpoint, [0.4, 0.6])
    response = post_json(client, {"data": base64_of(poster_jpeg())}, "application/json; charset=utf-8")
    assert response.status_code == 200


def test_a_large_poster_is_sent_to_sagemaker_as_a_small_rgb_jpeg(client, endpoint, sent_to_sagemaker):
    answer_with(endpoint, [0.4, 0.6])
    big_jpeg = encode(poster(1600, 2400), "JPEG", quality=95)
    assert post_json(client, {"data": base64_of(big_jpeg)}).status_code == 200
    sent_image = Image.open(io.BytesIO(sent_to_sagemaker["body"]))
    assert (sent_image.format, sent_image.mode, max(sent_image.size)) == ("JPEG", "RGB", 512)
    assert len(sent_to_sagemaker["body"]) < len(big_jpeg) / 10


def test_a_transparent_poster_marked_sideways_in_exif_reaches_the_model_upright(client, endpoint,
                                                                               sent_to_sagemaker):
    answer_with(endpoint, [0.4, 0.6])
    sideways = poster(300, 450).convert("RGBA")
    exif = sideways.getexif()
    exif[0x0112] = 6
    assert post_json(client, {"data": base64_of(encode(sideways, "PNG", exif=exif))}).status_code == 200
    assert Image.open(io.BytesIO(sent_to_sagemaker["body"])).size == (450, 300)


def test_a_jpeg_larger_than_the_model_needs_is_never_forwarded_as_it_came(client, endpoint, sent_to_sagemaker):
    answer_with(endpoint, [0.4, 0.6])
    assert post_json(client, {"data": base64_of(poster_jpeg(1024, 1024))}).status_code == 200
    assert max(Image.open(io.BytesIO(sent_to_sagemaker["body"])).size) == 512


@pytest.mark.parametrize("body,fragment", [
    ("", "empty"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('"just a string"', "JSON object"),
    ('{"image": "abc"}', 'no "data" field'),
    ('{"data": null}', "not null"),
    ('{"data": 42}', "not a number"),
    ('{"data": ""}', "empty"),
    ('{"data": "not base64 at all!"}', "not valid base64"),
    ('{"data": "data:text/plain;base64,aGVsbG8="}', "must be an image"),
    ('{"data": "aGVsbG8gd29ybGQ="}', "not an image"),
])
def test_bad_json_requests_get_400_saying_what_is_wrong(client, endpoint, body, fragment):
    response = post_json(client, body)
    assert response.status_code == 400
    assert response.json_body["error"] == "BadRequest"
    assert fragment in response.json_body["message"]


def test_a_truncated_jpeg_gets_400(client, endpoint):
    response = post_json(client, {"data": base64_of(poster_jpeg()[:2000])})
    assert response.status_code == 400
    assert "not an image" in response.json_body["message"]


def test_a_body_over_the_limit_gets_413(client, endpoint):
    response = client.http.post("/predict", headers={"Content-Type": "image/jpeg"}, body=b"\xff" * 6_000_001)
    assert response.status_code == 413
    assert response.json_body["error"] == "PayloadTooLarge"


def test_a_decompression_bomb_gets_413_before_decoding(client, endpoint):
    bomb = png_bomb(20_000, 20_000)
    response = client.http.post("/predict", headers={"Content-Type": "image/png"}, body=bomb)
    assert response.status_code == 413
    assert "image is too large" in response.json_body["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "video/mp4"])
def test_an_unsupported_content_type_gets_415(client, endpoint, content_type):
    response = client.http.post("/predict", headers={"Content-Type": content_type}, body=poster_jpeg())
    assert response.status_code == 415
    assert response.json_body["error"] == "UnsupportedMediaType"


def test_error_answers_carry_cors_headers(client, endpoint):
    response = post_json(client, "{not json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_upstream_messages_stay_in_the_log_not_in_the_answer(client, endpoint, capsys):
    endpoint.add_client_error("invoke_endpoint", service_error_code="ModelError", http_status_code=424,
                              service_message='Received server error (500) from primary with message "boom\n'
                                              'Traceback (most recent call last):". See account 123456789012.')
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 502
    assert "Traceback" not in response.json_body["message"]
    assert "123456789012" not in response.json_body["message"]
    logged = capsys.readouterr().out
    assert "Traceback" in logged and "123456789012" in logged


def test_a_model_error_gets_502(client, endpoint):
    endpoint.add_client_error("invoke_endpoint", service_error_code="ModelError", http_status_code=424,
                              service_message="Received client error (400) from primary")
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 502
    assert "ModelError" in response.json_body["message"]


@pytest.mark.parametrize("answer", [b"not json", [0.5], [0.2, 0.3], ["a", "b"], {"p": [0.4, 0.6]},
                                    [1.5, -0.5], [True, False], [float("nan"), 0.5]])
def test_an_answer_that_is_not_class_probabilities_gets_502(client, endpoint, answer):
    answer_with(endpoint, answer if isinstance(answer, bytes) else json.dumps(answer).encode())
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 502
    assert response.json_body["error"] == "ModelFailed"


def test_an_unknown_endpoint_gets_503(client, endpoint):
    endpoint.add_client_error("invoke_endpoint", service_error_code="ValidationError", http_status_code=400,
                              service_message=f"Endpoint {ENDPOINT_NAME} of account 123 not found.")
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 503
    assert "does not exist" in response.json_body["message"]


@pytest.mark.parametrize("status,expected", [(503, 503), (429, 503), (504, 504), (500, 502)])
def test_a_bare_upstream_status_without_an_error_code_is_mapped_by_its_status(client, endpoint, status, expected):
    endpoint.add_client_error("invoke_endpoint", service_error_code="", http_status_code=status)
    assert post_json(client, {"data": base64_of(poster_jpeg())}).status_code == expected


@pytest.mark.parametrize("environment", [
    {"CLASS_LABELS": "[]"}, {"CLASS_LABELS": "not json"}, {"THRILLER_LABEL": "horror"},
    {"MAX_BODY_BYTES": "six"}, {"SAGEMAKER_ENDPOINT_NAME": ""}])
def test_a_misconfigured_stage_gets_a_500_json_answer_without_a_traceback(client, endpoint, monkeypatch,
                                                                           environment):
    misconfigured = {**stage_environment("dev"), **environment}
    monkeypatch.setattr(app_module, "load_settings", lambda: load_settings(misconfigured))
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 500
    assert response.json_body["error"] == "ServerMisconfigured"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_throttling_gets_503(client, endpoint):
    endpoint.add_client_error("invoke_endpoint", service_error_code="ThrottlingException",
                              http_status_code=400, service_message="Rate exceeded")
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 503
    assert response.json_body["error"] == "EndpointUnavailable"


def test_an_unreachable_endpoint_gets_503(client, endpoint, monkeypatch):
    def refuse(**_):
        raise EndpointConnectionError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com")

    monkeypatch.setattr(endpoint.client, "invoke_endpoint", refuse)
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 503
    assert "cannot be reached" in response.json_body["message"]


def test_an_endpoint_timeout_gets_504(client, endpoint, monkeypatch):
    def time_out(**_):
        raise ReadTimeoutError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com")

    monkeypatch.setattr(endpoint.client, "invoke_endpoint", time_out)
    response = post_json(client, {"data": base64_of(poster_jpeg())})
    assert response.status_code == 504
    assert response.json_body["error"] == "EndpointTimeout"


def test_the_client_has_timeouts_and_bounded_retries_that_end_before_api_gateways_29_s():
    config = sagemaker_client(DEV_SETTINGS).meta.config
    worst_case = config.retries["total_max_attempts"] * (config.connect_timeout + config.read_timeout)
    assert worst_case < CHALICE_CONFIG["stages"]["dev"]["lambda_timeout"] < 29


def test_one_client_serves_every_request_of_a_container():
    assert sagemaker_client(DEV_SETTINGS) is sagemaker_client(DEV_SETTINGS)
