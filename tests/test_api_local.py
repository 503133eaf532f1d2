"""The real API (`chalice local`) against a real HTTP server speaking the SageMaker runtime protocol."""
import base64
import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from devkit.fake_sagemaker import running_fake_sagemaker
from devkit.images import poster_jpeg
from devkit.servers import LOCAL_ENDPOINT_NAME, free_port, running_chalice_local

READ_TIMEOUT_S = 2
MAX_ATTEMPTS = 2
API_GATEWAY_TIMEOUT_S = 29


@pytest.fixture(scope="module")
def sagemaker():
    with running_fake_sagemaker() as fake:
        yield fake


@pytest.fixture(scope="module")
def api_log(tmp_path_factory):
    return tmp_path_factory.mktemp("api") / "chalice.log"


@pytest.fixture(scope="module")
def api(sagemaker, api_log):
    env = {"SAGEMAKER_READ_TIMEOUT": str(READ_TIMEOUT_S), "SAGEMAKER_CONNECT_TIMEOUT": "1",
           "SAGEMAKER_MAX_ATTEMPTS": str(MAX_ATTEMPTS)}
    with running_chalice_local(sagemaker.url, env, api_log) as url:
        yield url


@pytest.fixture(autouse=True)
def healthy_sagemaker(sagemaker):
    sagemaker.answer([0.3, 0.7])
    sagemaker.invocations.clear()


def request(url, data=None, headers=None, method=None, timeout=30):
    """(status, headers, JSON body) for any answer, error or not."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_poster(api, timeout=30):
    body = json.dumps({"data": base64.b64encode(poster_jpeg()).decode()}).encode()
    return request(f"{api}/predict", body, {"Content-Type": "application/json"}, timeout=timeout)


def test_the_blogs_curl_recipe_works_as_is(api, sagemaker, tmp_path):
    poster_file = tmp_path / "poster.jpg"
    poster_file.write_bytes(poster_jpeg(600, 900))
    recipe = (f"(echo -n '{{\"data\": \"'; base64 {poster_file}; echo '\"}}') | "
              f"curl -s -H 'Content-Type: application/json' -d @- {api}/predict")
    answer = json.loads(subprocess.run(["bash", "-c", recipe], capture_output=True, check=True).stdout)
    assert answer["label"] == "thriller/crime" and answer["probability"] == 0.7
    invocation = sagemaker.invocations[-1]
    assert invocation.path == f"/endpoints/{LOCAL_ENDPOINT_NAME}/invocations"
    assert invocation.headers["Content-Type"] == "application/x-image"
    assert invocation.body.startswith(b"\xff\xd8")


def test_raw_image_bytes_work_with_curl_data_binary(api, tmp_path):
    poster_file = tmp_path / "poster.jpg"
    poster_file.write_bytes(poster_jpeg())
    output = subprocess.run(
        ["curl", "-s", "--data-binary", f"@{poster_file}", "-H", "Content-Type: image/jpeg", f"{api}/predict"],
        capture_output=True, check=True).stdout
    assert json.loads(output)["is_thriller"] is True


def test_the_cors_preflight_is_answered(api):
    status, headers, _ = request(f"{api}/predict", method="OPTIONS", headers={
        "Origin": "http://127.0.0.1:8001", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "content-type" in headers["Access-Control-Allow-Headers"].lower()


def test_error_answers_carry_cors_headers_and_a_json_message(api):
    status, headers, body = request(f"{api}/predict", b"{nope", {"Content-Type": "application/json",
                                                               "Origin": "http://127.0.0.1:8001"})
    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "not valid JSON" in json.loads(body)["message"]


def test_each_error_is_logged_as_a_json_line_with_a_request_id(api, api_log):
    request(f"{api}/predict", b'{"data": "!not base64!"}', {"Content-Type": "application/json"})
    lines = [json.loads(line) for line in api_log.read_text().splitlines() if line.startswith("{")]
    assert any(re.fullmatch(r"[0-9a-f-]{36}", line.get("request_id", "")) and line.get("status") == 400
               and line.get("error_code") == "BadRequest" and "not valid base64" in line["message"] for line in lines)


def test_a_model_error_becomes_502(api, sagemaker):
    sagemaker.fail(424, "ModelError", "Received client error (400) from primary")
    status, headers, body = post_poster(api)
    assert (status, json.loads(body)["error"]) == (502, "ModelFailed")
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_a_slow_endpoint_becomes_504_within_the_time_limit(api, sagemaker):
    sagemaker.delay(READ_TIMEOUT_S * MAX_ATTEMPTS + 3)
    started = time.monotonic()
    status, _, body = post_poster(api)
    assert (status, json.loads(body)["error"]) == (504, "EndpointTimeout")
    assert time.monotonic() - started < API_GATEWAY_TIMEOUT_S


def test_throttling_is_retried_a_bounded_number_of_times_then_becomes_503(api, sagemaker):
    sagemaker.fail(400, "ThrottlingException", "Rate exceeded")
    status, _, body = post_poster(api)
    assert (status, json.loads(body)["error"]) == (503, "EndpointUnavailable")
    assert len(sagemaker.invocations) == MAX_ATTEMPTS


def test_the_next_request_after_a_fault_succeeds(api, sagemaker):
    sagemaker.fail(500, "InternalFailure")
    assert post_poster(api)[0] == 502
    sagemaker.answer([0.9, 0.1])
    status, _, body = post_poster(api)
    assert (status, json.loads(body)["label"]) == (200, "not thriller")


def test_a_down_endpoint_becomes_503(tmp_path):
    closed_port_url = f"http://127.0.0.1:{free_port()}"
    with running_chalice_local(closed_port_url, {"SAGEMAKER_MAX_ATTEMPTS": "1"}, tmp_path / "chalice.log") as api:
        status, headers, body = post_poster(api)
    assert (status, json.loads(body)["error"]) == (503, "EndpointUnavailable")
    assert "cannot be reached" in json.loads(body)["message"]
    assert headers["Access-Control-Allow-Origin"] == "*"
