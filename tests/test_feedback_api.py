"""POST /feedback end to end through the app, against moto's DynamoDB, S3 and SSM as scripts/feedback_store.py
creates them: /predict signs an id, /feedback checks it and stores one record (and the poster, when shared);
forged, altered, replayed and expired ids and bad bodies get the documented 4xx JSON."""
import base64
import json
import time

import boto3
import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import app
from chalicelib import feedback_store
from chalicelib.feedback import RECORD_ATTRIBUTES
from chalicelib.prediction_ids import Prediction, sign
from chalicelib.sagemaker_endpoint import sagemaker_client
from chalicelib.settings import load_feedback_settings, load_settings
from devkit.images import poster_jpeg
from devkit.servers import PROJECT_ROOT, stage_environment
from scripts import feedback_store as deploy
from tests.aws_like import contract_parameters  # noqa: F401
from tests.test_api import answer_with, our_endpoint_answer
from tests.test_feedback_shared_images import jpeg_with_metadata

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""

STAGE = "dev"
FEEDBACK = load_feedback_settings(stage_environment(STAGE))
ORIGIN = stage_environment(STAGE)["CORS_ALLOW_ORIGIN"]
POSTER = poster_jpeg()


@pytest.fixture
def store(aws):
    """The dev stage's store, made by the deploy script in a fresh moto; the function's caches emptied.

    The bucket's policy refuses plain HTTP, as it should; moto is served over plain HTTP, so the policy is
    removed here (tests/test_feedback_deploy.py checks it)."""
    assert deploy.main(["--stage", STAGE]) == 0
    boto3.client("s3").delete_bucket_policy(Bucket=FEEDBACK.bucket)
    feedback_store.client_for.cache_clear()
    feedback_store.signing_keys.keys.clear()
    feedback_store.signing_keys.failed.clear()
    yield {service: boto3.client(service) for service in ("dynamodb", "s3", "ssm")}
    feedback_store.client_for.cache_clear()


@pytest.fixture
def client(store):
    with Client(app, stage_name=STAGE) as test_client:
        yield test_client


@pytest.fixture
def endpoint(client):
    from botocore.stub import Stubber

    with Stubber(sagemaker_client(load_settings(stage_environment(STAGE)))) as stubber:
        yield stubber


def predicted(client, endpoint, probability=0.62, image=POSTER) -> dict:
    answer_with(endpoint, our_endpoint_answer(thriller_probability=probability))
    response = client.http.post("/predict", headers={"Content-Type": "application/json"},
                                body=json.dumps({"data": base64.b64encode(image).decode()}))
    assert response.status_code == 200, response.body
    return response.json_body


def give_feedback(client, document, content_type="application/json"):
    body = document if isinstance(document, (str, bytes)) else json.dumps(document)
    return client.http.post("/feedback", headers={"Content-Type": content_type, "Origin": ORIGIN}, body=body)


def stored_records(store) -> list[dict]:
    return store["dynamodb"].scan(TableName=FEEDBACK.table)["Items"]


def stage_key(store) -> bytes:
    value = store["ssm"].get_parameter(Name=FEEDBACK.key_parameter, WithDecryption=True)["Parameter"]["Value"]
    return base64.b64decode(value)


def test_an_answer_and_the_visitors_yes_are_stored_as_one_record_without_anything_about_the_visitor(
        client, endpoint, store):
    answer = predicted(client, endpoint, 0.62)
    response = give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "yes",
                                      "share_image": False})
    assert response.status_code == 200
    assert response.json_body == {"stored": True, "answer": "yes", "image_shared": False,
                                  "kept_for_days": FEEDBACK.retention_days}
    [record] = stored_records(store)
    assert set(record) <= set(RECORD_ATTRIBUTES)
    assert record["verdict"] == {"S": "thriller/crime"} and record["probability"] == {"N": "0.62"}
    assert record["answer"] == {"S": "yes"} and record["agreement"] == {"S": "agrees"}
    assert len(record["image_sha256"]["S"]) == 64 and "image_key" not in record
    expires_in = int(record["expires_at"]["N"]) - time.time()
    assert FEEDBACK.retention_days * 86400 - 60 < expires_in <= FEEDBACK.retention_days * 86400
    assert "192.0.2" not in json.dumps(record) and "user" not in json.dumps(record).lower()
    assert store["s3"].list_objects_v2(Bucket=FEEDBACK.bucket).get("KeyCount") == 0


def test_a_no_to_a_thriller_verdict_is_stored_as_disagreeing(client, endpoint, store):
    answer = predicted(client, endpoint, 0.62)
    give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "no"})
    assert stored_records(store)[0]["agreement"] == {"S": "disagrees"}


def test_a_shared_poster_is_kept_under_the_stages_private_prefix(client, endpoint, store):
    answer = predicted(client, endpoint, 0.05)
    response = give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "no", "share_image": True,
                                      "image": "data:image/jpeg;base64," + base64.b64encode(POSTER).decode()})
    assert response.status_code == 200 and response.json_body["image_shared"] is True
    [record] = stored_records(store)
    key = record["image_key"]["S"]
    assert key.startswith(FEEDBACK.image_prefix) and key.endswith(".jpg")
    assert store["s3"].get_object(Bucket=FEEDBACK.bucket, Key=key)["Body"].read() == POSTER


def test_a_shared_poster_is_kept_without_its_exif_gps_and_comment(client, endpoint, store):
    photo = jpeg_with_metadata()
    answer = predicted(client, endpoint, 0.05, image=photo)
    response = give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "no", "share_image": True,
                                      "image": base64.b64encode(photo).decode()})
    assert response.status_code == 200
    [record] = stored_records(store)
    kept = store["s3"].get_object(Bucket=FEEDBACK.bucket, Key=record["image_key"]["S"])["Body"].read()
    assert b"Exif" not in kept and b"Jane Doe" not in kept and len(kept) < len(photo)


def test_a_shared_image_that_is_not_the_predicted_one_is_refused_and_nothing_is_kept(client, endpoint, store):
    answer = predicted(client, endpoint)
    response = give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "yes", "share_image": True,
                                      "image": base64.b64encode(poster_jpeg(300, 450, seed=9)).decode()})
    assert (response.status_code, response.json_body["error"]) == (400, "BadRequest")
    assert stored_records(store) == []
    assert store["s3"].list_objects_v2(Bucket=FEEDBACK.bucket).get("KeyCount") == 0


def test_an_image_larger_than_the_page_sends_is_refused(client, endpoint, store):
    large = poster_jpeg(1600, 2400)
    assert len(large) > FEEDBACK.max_image_bytes
    answer = predicted(client, endpoint, image=large)
    response = give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "yes", "share_image": True,
                                      "image": base64.b64encode(large).decode()})
    assert response.status_code == 413 and stored_records(store) == []


def test_answering_the_same_prediction_twice_is_refused_and_the_first_answer_stays(client, endpoint, store):
    answer = predicted(client, endpoint)
    assert give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "yes"}).status_code == 200
    replay = give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "no"})
    assert (replay.status_code, replay.json_body["error"]) == (409, "AlreadyAnswered")
    assert [record["answer"]["S"] for record in stored_records(store)] == ["yes"]


def test_an_id_signed_with_another_key_is_refused_as_forged(client, store):
    forged = sign(Prediction(FEEDBACK.model_version, int(time.time()), "thriller/crime", 0.9, "ab" * 32),
                  b"k" * 32)
    response = give_feedback(client, {"prediction_id": forged, "answer": "yes"})
    assert (response.status_code, response.json_body["error"]) == (403, "InvalidPredictionId")
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert stored_records(store) == []


def test_an_id_whose_verdict_was_altered_is_refused(client, endpoint, store):
    prediction_id = predicted(client, endpoint, 0.62)["prediction_id"]
    version, payload, mac = prediction_id.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=="))
    fields[2] = "not thriller"
    altered = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=").decode()
    response = give_feedback(client, {"prediction_id": f"{version}.{altered}.{mac}", "answer": "no"})
    assert response.status_code == 403 and stored_records(store) == []


def test_an_id_older_than_a_day_is_refused_as_expired(client, store):
    old = sign(Prediction(FEEDBACK.model_version, int(time.time()) - FEEDBACK.max_age_s - 1, "not thriller", 0.1,
                          "cd" * 32), stage_key(store))
    response = give_feedback(client, {"prediction_id": old, "answer": "no"})
    assert (response.status_code, response.json_body["error"]) == (410, "PredictionExpired")
    assert stored_records(store) == []


@pytest.mark.parametrize("document, status, fragment", [
    ({"answer": "yes"}, 400, "prediction_id"),
    ({"prediction_id": "v1.x.y", "answer": "maybe"}, 400, '"answer"'),
    ({"prediction_id": "v1.x.y", "answer": "yes", "share_image": "yes"}, 400, "share_image"),
    ({"prediction_id": "v1.x.y", "answer": "yes", "share_image": True}, 400, '"image"'),
    ({"prediction_id": "v1.x.y", "answer": "yes", "image": "AAAA"}, 400, "share_image"),
    ({"prediction_id": "v1.x.y", "answer": "yes", "ip": "192.0.2.1"}, 400, "unknown field"),
    ("[1, 2]", 400, "JSON object"),
    ("{not json", 400, "not valid JSON"),
    ({"prediction_id": "v1.x.y", "answer": "yes", "share_image": True, "image": "A" * 120_000}, 413, "bytes"),
])
def test_a_bad_body_is_refused_with_the_documented_error(client, store, document, status, fragment):
    response = give_feedback(client, document)
    assert response.status_code == status
    assert fragment in response.json_body["message"]
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_body_that_is_not_json_is_refused_as_unsupported(client, store):
    response = give_feedback(client, b"answer=yes", "application/x-www-form-urlencoded")
    assert (response.status_code, response.json_body["error"]) == (415, "UnsupportedMediaType")


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["prediction_id", "answer", "share_image", "image", "other"]), json_values))
def test_any_json_body_without_a_signed_id_is_refused_with_json_and_nothing_stored(client, store, document):
    response = give_feedback(client, document)
    assert 400 <= response.status_code < 500
    assert set(response.json_body) == {"error", "message"}
    assert stored_records(store) == []


def test_a_stored_answer_is_counted_as_an_emf_metric_by_verdict_and_agreement(client, endpoint, store, capsys):
    answer = predicted(client, endpoint, 0.05)
    capsys.readouterr()
    give_feedback(client, {"prediction_id": answer["prediction_id"], "answer": "yes"})
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(r["verdict"], r["agreement"], r["Feedback"]) for r in records if "Feedback" in r] == \
        [("not thriller", "disagrees", [1.0])]


def test_predict_answers_without_an_id_when_the_feedback_settings_are_wrong(endpoint, store, tmp_path):
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    config["stages"][STAGE]["environment_variables"]["FEEDBACK_TABLE"] = ""
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    answer_with(endpoint, our_endpoint_answer())
    with Client(app, stage_name=STAGE, project_dir=str(tmp_path)) as misconfigured:
        response = misconfigured.http.post("/predict", headers={"Content-Type": "application/json"},
                                           body=json.dumps({"data": base64.b64encode(POSTER).decode()}))
    assert response.status_code == 200 and "prediction_id" not in response.json_body
    assert give_feedback(misconfigured, {"prediction_id": "v1.a.b", "answer": "yes"}).status_code == 500


def test_predict_answers_without_an_id_when_the_key_cannot_be_read(client, endpoint, store):
    store["ssm"].delete_parameter(Name=FEEDBACK.key_parameter)
    answer = predicted(client, endpoint)
    assert "prediction_id" not in answer and answer["verdict"] == "thriller/crime"
