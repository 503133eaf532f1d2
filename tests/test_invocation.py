"""The SageMaker invocation logic that the local endpoint and the SageMaker inference code share."""
import json

import numpy as np
import pytest

from devkit.images import encode, poster, poster_jpeg
from devkit.onnx_models import model_path_for_tests, write_tiny_model
from poster_model import invocation
from poster_model.predictor import PosterClassifier


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    return PosterClassifier(model_path_for_tests(tmp_path_factory.mktemp("model")))


@pytest.mark.parametrize("header, expected", [
    ("image/jpeg", "image/jpeg"),
    ("Image/JPEG", "image/jpeg"),
    ("application/x-image; charset=binary", "application/x-image"),
    (None, ""),
])
def test_media_type_ignores_case_and_parameters(header, expected):
    assert invocation.media_type(header) == expected


@pytest.mark.parametrize("accept", [None, "", "application/json", "*/*", "application/*",
                                    "text/csv, application/json;q=0.5"])
def test_json_is_answered_to_any_accept_that_allows_it(accept):
    assert invocation.response_content_type(accept) == "application/json"


def test_accept_without_json_is_refused_with_406():
    with pytest.raises(invocation.UnsupportedAcceptError) as refused:
        invocation.response_content_type("text/csv")
    assert refused.value.status == 406


@pytest.mark.parametrize("content_type, image_format", [
    ("application/x-image", "JPEG"), ("image/jpeg", "JPEG"), ("image/png", "PNG"),
    ("image/webp", "WEBP"), ("application/octet-stream", "PNG"),
])
def test_image_bodies_are_accepted_and_predicted(classifier, content_type, image_format):
    body = encode(poster(seed=1), image_format)
    answer = invocation.predict(invocation.read_request(body, content_type), classifier)
    assert answer["probabilities"] == pytest.approx(classifier.predict_bytes(body), abs=1e-6)


def test_an_image_becomes_one_model_sized_uint8_image_and_its_own_aspect_ratio(classifier):
    batch, log_aspect = invocation.decode_image_batch(poster_jpeg(300, 450), classifier.height, classifier.width)
    assert batch.dtype == np.uint8
    assert batch.shape == (1, classifier.height, classifier.width, 3)
    assert log_aspect == pytest.approx(np.log(300 / 450))


@pytest.mark.parametrize("content_type", ["text/csv", "application/json", None])
def test_other_content_types_are_refused_with_415(content_type):
    with pytest.raises(invocation.UnsupportedContentTypeError) as refused:
        invocation.read_request(poster_jpeg(), content_type)
    assert refused.value.status == 415
    assert "application/x-image" in refused.value.message


@pytest.mark.parametrize("body", [b"", b"this is not an image", poster_jpeg()[:200]])
def test_bodies_that_are_not_images_are_refused_with_400(classifier, body):
    with pytest.raises(invocation.UndecodableImageError) as refused:
        invocation.predict(invocation.read_request(body, "image/jpeg"), classifier)
    assert refused.value.status == 400


def test_bodies_over_six_megabytes_are_refused_with_413():
    body = b"\xff" * (invocation.MAX_PAYLOAD_BYTES + 1)
    with pytest.raises(invocation.PayloadTooLargeError) as refused:
        invocation.read_request(body, "image/jpeg")
    assert refused.value.status == 413


def test_invoke_answers_the_models_answer_object_as_json(classifier):
    body = poster_jpeg(seed=2)
    answer, content_type = invocation.invoke(classifier, body, "application/x-image", "application/json")
    document = json.loads(answer)
    assert content_type == "application/json"
    assert document == json.loads(json.dumps(classifier.answer_bytes(body)))
    assert set(document) == {"probabilities", "thriller_probability", "base_rate", "hard_to_tell_band", "genres",
                             "poster_likeness", "poster_likeness_threshold", "not_a_poster_reason"}
    assert sum(document["probabilities"]) == pytest.approx(1.0, abs=1e-5)


def test_custom_attributes_explain_adds_the_evidence_grid(classifier):
    answer, _ = invocation.invoke(classifier, poster_jpeg(seed=2), "image/jpeg", None, custom_attributes="explain=1")
    evidence = json.loads(answer)["evidence"]
    assert (evidence["rows"], evidence["columns"]) == (13, 9)
    assert len(evidence["values"]) == 13 and all(len(row) == 9 for row in evidence["values"])


@pytest.mark.parametrize("attributes, explain", [
    ("explain=1", True), ("trace=abc; explain=true", True), ("Explain=1,x=2", True),
    (None, False), ("", False), ("explain=0", False), ("explained=1", False),
])
def test_only_an_explain_attribute_asks_for_evidence(attributes, explain):
    assert invocation.wants_explanation(attributes) is explain


def test_a_model_without_the_answer_outputs_answers_a_plain_class_list(tmp_path):
    tiny = PosterClassifier(write_tiny_model(tmp_path / "tiny.onnx"))
    answer, _ = invocation.invoke(tiny, poster_jpeg(), "image/jpeg", None, custom_attributes="explain=1")
    probabilities = json.loads(answer)
    assert isinstance(probabilities, list) and sum(probabilities) == pytest.approx(1.0, abs=1e-5)


def test_invoke_refuses_an_accept_it_cannot_answer_with_406(classifier):
    with pytest.raises(invocation.UnsupportedAcceptError) as refused:
        invocation.invoke(classifier, poster_jpeg(), "image/jpeg", "text/csv")
    assert refused.value.status == 406


def test_a_model_that_breaks_the_output_contract_is_a_server_error(tmp_path):
    broken = PosterClassifier(write_tiny_model(tmp_path / "three_classes.onnx", classes=3))
    with pytest.raises(invocation.ModelFailureError) as failed:
        invocation.invoke(broken, poster_jpeg(), "image/jpeg", None)
    assert failed.value.status == 500


@pytest.mark.parametrize("error, kind", [
    (invocation.UndecodableImageError("bad pixels"), "client error (400)"),
    (invocation.ModelFailureError("bad model"), "server error (500)"),
])
def test_runtime_message_wraps_the_container_message_as_sagemaker_does(error, kind):
    assert error.runtime_message().startswith(f'Received {kind} from primary with message "{error.message}".')
