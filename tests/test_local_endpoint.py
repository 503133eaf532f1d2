"""The local SageMaker endpoint, run as a real process and called the way the app calls it: boto3."""
import json
import logging
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

from devkit.images import encode, poster, poster_jpeg
from devkit.onnx_models import model_path_for_tests
from devkit.servers import LOCAL_ENDPOINT_NAME, free_port, running_model_endpoint, running_process
from poster_model.invocation import MAX_PAYLOAD_BYTES
from poster_model.log_safety import OneLineFormatter, escape_control_characters
from poster_model.predictor import PosterClassifier

ENDPOINT_NAME = LOCAL_ENDPOINT_NAME
FORGED = "x%0a%0d2026-01-01%20INFO%20forged%e2%80%ae"
"""An endpoint name holding a newline, a carriage return, a made-up log line and a right-to-left override."""


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return model_path_for_tests(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def classifier(model_path):
    return PosterClassifier(model_path)


@pytest.fixture(scope="module")
def endpoint(model_path, tmp_path_factory):
    """(base URL, log file) of a running endpoint."""
    log_path = tmp_path_factory.mktemp("endpoint") / "endpoint.log"
    with running_model_endpoint(model_path, log_path) as url:
        yield url, log_path


def runtime_client(url: str):
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def runtime(endpoint):
    return runtime_client(endpoint[0])


def invoke(runtime, body: bytes, content_type: str = "application/x-image", endpoint_name: str = ENDPOINT_NAME,
           **options):
    return runtime.invoke_endpoint(EndpointName=endpoint_name, Body=body, ContentType=content_type,
                                   Accept="application/json", **options)


def post(url: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("content_type, image_format", [
    ("application/x-image", "JPEG"), ("image/jpeg", "JPEG"), ("image/png", "PNG"),
])
def test_invocation_answers_the_models_answer_object(runtime, classifier, content_type, image_format):
    body = encode(poster(seed=3), image_format)
    response = invoke(runtime, body, content_type)
    assert json.loads(response["Body"].read()) == json.loads(json.dumps(classifier.answer_bytes(body)))


def test_custom_attributes_explain_adds_the_evidence_grid(runtime):
    answer = json.loads(invoke(runtime, poster_jpeg(), CustomAttributes="explain=1")["Body"].read())
    assert (answer["evidence"]["rows"], answer["evidence"]["columns"]) == (13, 9)
    assert "evidence" not in json.loads(invoke(runtime, poster_jpeg())["Body"].read())


def test_invocation_answer_carries_the_headers_boto3_reads(runtime):
    response = invoke(runtime, poster_jpeg())
    assert response["ContentType"] == "application/json"
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert response["ResponseMetadata"]["RequestId"]


@pytest.mark.parametrize("body", [b"%PDF-1.4 not a poster", b""], ids=["not an image", "empty"])
def test_a_body_that_is_not_an_image_is_a_model_error(runtime, body):
    with pytest.raises(runtime.exceptions.ModelError) as refused:
        invoke(runtime, body)
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["Error"]["Message"].startswith("Received client error (400) from primary with message")
    assert error["OriginalStatusCode"] == 400


def test_an_unsupported_content_type_is_a_model_error_from_the_container(runtime):
    with pytest.raises(runtime.exceptions.ModelError) as refused:
        invoke(runtime, poster_jpeg(), content_type="text/csv")
    assert refused.value.response["OriginalStatusCode"] == 415
    assert "text/csv" in refused.value.response["Error"]["Message"]


def test_an_unknown_endpoint_name_is_a_validation_error(runtime):
    with pytest.raises(runtime.exceptions.ValidationError) as refused:
        invoke(runtime, poster_jpeg(), endpoint_name="no-such-endpoint")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert refused.value.response["Error"]["Message"].startswith("Endpoint no-such-endpoint of account ")


def test_a_body_over_six_megabytes_is_a_validation_error(runtime):
    with pytest.raises(runtime.exceptions.ValidationError) as refused:
        invoke(runtime, b"\xff" * (MAX_PAYLOAD_BYTES + 1))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_concurrent_invocations_each_get_their_own_answer(runtime, classifier):
    bodies = [poster_jpeg(seed=seed) for seed in range(12)]

    def classify(body: bytes) -> list[float]:
        return json.loads(invoke(runtime, body)["Body"].read())["probabilities"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(classify, bodies))
    for body, answer in zip(bodies, answers):
        assert answer == pytest.approx(classifier.predict_bytes(body), abs=1e-6)


def test_each_request_is_logged_as_one_json_line_with_endpoint_status_and_latency(runtime, endpoint):
    request_id = invoke(runtime, poster_jpeg())["ResponseMetadata"]["RequestId"]
    (line,) = [line for line in endpoint[1].read_text().splitlines() if request_id in line]
    logged = json.loads(line)
    assert (logged["request_id"], logged["endpoint"], logged["status"]) == (request_id, ENDPOINT_NAME, 200)
    assert logged["latency_ms"] > 0 and logged["image_bytes"] == len(poster_jpeg())


def test_ping_answers_200_for_the_container_contract(endpoint):
    with urllib.request.urlopen(f"{endpoint[0]}/ping", timeout=10) as response:
        assert response.status == 200


def test_container_invocations_answer_what_the_runtime_answers(endpoint, runtime):
    body = poster_jpeg(seed=4)
    status, answer = post(f"{endpoint[0]}/invocations", body, "application/x-image")
    assert status == 200
    assert json.loads(answer) == json.loads(invoke(runtime, body)["Body"].read())


def test_container_invocations_refuse_a_non_image_with_the_containers_own_status(endpoint):
    status, answer = post(f"{endpoint[0]}/invocations", b"not an image", "application/x-image")
    assert status == 400
    assert "not a readable image" in json.loads(answer)["message"]


def test_port_endpoint_name_and_model_can_come_from_environment_variables(model_path):
    port = free_port()
    env = {"ENDPOINT_PORT": str(port), "SAGEMAKER_ENDPOINT_NAME": "from-environment",
           "POSTER_MODEL_PATH": str(model_path)}
    url = f"http://127.0.0.1:{port}"
    with running_process([sys.executable, "-m", "poster_model.server"], f"{url}/ping", env=env):
        response = invoke(runtime_client(url), poster_jpeg(), endpoint_name="from-environment")
        assert len(json.loads(response["Body"].read())["probabilities"]) == 2


def run_server(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "poster_model.server", "--host", "127.0.0.1", *arguments],
                          capture_output=True, text=True, timeout=60)


def test_a_missing_model_file_stops_the_server_with_a_clear_message(tmp_path):
    result = run_server("--port", str(free_port()), "--model", str(tmp_path / "missing.onnx"))
    assert result.returncode != 0
    assert "cannot load the model" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_port_in_use_stops_the_server_with_a_clear_message(model_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_server("--port", str(taken.getsockname()[1]), "--model", str(model_path))
    assert result.returncode != 0
    assert "cannot listen on" in result.stderr
    assert "Traceback" not in result.stderr


def request_log_lines(log_path, marker):
    """The JSON request lines of the log mentioning marker, decoded."""
    return [json.loads(line) for line in log_path.read_text().splitlines()
            if line.startswith("{") and marker in line]


def test_a_forged_endpoint_name_stays_inside_its_own_log_line(endpoint):
    """A control character in a request's URL (a %0a in the endpoint name) cannot forge lines in the log."""
    url, log_path = endpoint
    request = urllib.request.Request(f"{url}/endpoints/{FORGED}/invocations", b"x",
                                     {"Content-Type": "application/x-image"})
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=30)
    lines = [line for line in log_path.read_text().splitlines() if "forged" in line]
    assert len(lines) == 1
    [record] = request_log_lines(log_path, "forged")
    for field in ("message", "endpoint"):  # what a reader of the decoded JSON (jq -r .message) sees
        assert "\n" not in record[field] and "\r" not in record[field] and "\u202e" not in record[field]
    assert "x\\x0a\\x0d2026-01-01 INFO forged\\u202e" in record["endpoint"]


def test_escaping_keeps_text_readable_and_unambiguous():
    assert escape_control_characters("GET /ping") == "GET /ping"
    assert escape_control_characters("a\nb\tc\\n") == "a\\x0ab\\x09c\\\\n"
    assert escape_control_characters("caf\u00e9 \u2028") == "caf\u00e9 \\u2028"


def test_text_log_lines_are_one_line_whatever_the_message():
    record = logging.LogRecord("waitress", logging.ERROR, __file__, 1, "Exception while serving %s",
                               ("/x\nFAKE line",), None)
    assert "\n" not in OneLineFormatter("%(levelname)s %(message)s").format(record)
