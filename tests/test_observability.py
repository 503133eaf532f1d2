"""What a request writes to stdout, through the Lambda handler in-process: one JSON log line and EMF metrics."""
import base64
import io
import itertools
import json

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from chalice import Chalice

from app import app
from chalicelib.observability import observe_requests
from chalicelib.sagemaker_endpoint import sagemaker_client
from chalicelib.settings import load_settings
from devkit.images import poster_jpeg
from devkit.lambda_handler import LambdaContext, proxy_event
from devkit.servers import stage_environment

DEV_ENVIRONMENT = stage_environment("dev")
ENDPOINT_ANSWER = [0.3, 0.7]
APP_NUMBERS = itertools.count()


def fresh_app(environ: dict):
    """An app of its own (its own logger name), observed as app.py's is."""
    observed = Chalice(app_name=f"observed-{next(APP_NUMBERS)}")
    observe_requests(observed, environ)
    return observed


CONTEXT = LambdaContext("lambda-request-7")


def poster_event() -> dict:
    body = json.dumps({"data": base64.b64encode(poster_jpeg()).decode()}).encode()
    return proxy_event(body, "application/json", request_id="gateway-request-42")


@pytest.fixture
def endpoint(monkeypatch):
    """The dev stage's environment, and its SageMaker client with every call stubbed."""
    for name, value in DEV_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    with Stubber(sagemaker_client(load_settings())) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def answer_with(stubber: Stubber, payload) -> None:
    body = json.dumps(payload).encode()
    stubber.add_response("invoke_endpoint", {"Body": StreamingBody(io.BytesIO(body), len(body))},
                         {"EndpointName": ANY, "ContentType": ANY, "Accept": ANY, "Body": ANY})


def written_lines(capsys) -> tuple[list[dict], list[dict]]:
    """(log lines, EMF records) the request printed: every line of stdout must be a JSON object."""
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    return [line for line in lines if "_aws" not in line], [line for line in lines if "_aws" in line]


def metrics_of(records: list[dict]) -> dict[str, dict]:
    """{metric name: {"values", "unit", "namespace", "dimensions"}} from EMF records, as CloudWatch reads them."""
    found = {}
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            (dimension_names,) = directive["Dimensions"]
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                found[metric["Name"]] = {"values": value if isinstance(value, list) else [value],
                                         "unit": metric["Unit"], "namespace": directive["Namespace"],
                                         "dimensions": {name: record[name] for name in dimension_names}}
    return found


def test_a_request_through_the_lambda_handler_writes_one_json_log_line_and_emf_metrics(endpoint, capsys):
    answer_with(endpoint, ENDPOINT_ANSWER)
    response = app(poster_event(), CONTEXT)
    assert response["statusCode"] == 200
    (line,), records = written_lines(capsys)
    assert line["request_id"] == "gateway-request-42"
    assert line["lambda_request_id"] == "lambda-request-7"
    assert records, "no EMF record was written"
    assert all(record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == DEV_ENVIRONMENT.get(
        "POWERTOOLS_METRICS_NAMESPACE", "IsThisMovieAThriller") for record in records)


def test_the_log_line_says_what_happened_to_the_request(endpoint, capsys):
    answer_with(endpoint, ENDPOINT_ANSWER)
    verdict = json.loads(app(poster_event(), CONTEXT)["body"])["verdict"]
    (line,), _ = written_lines(capsys)
    assert line["level"] == "INFO"
    assert (line["method"], line["route"], line["status"], line["verdict"]) == ("POST", "/predict", 200, verdict)
    assert line["image_bytes"] == len(poster_jpeg())
    assert line["latency_ms"] >= line["endpoint_latency_ms"] >= 0
    assert "error_code" not in line


def test_an_answer_is_counted_by_verdict_with_the_endpoint_latency(endpoint, capsys):
    answer_with(endpoint, ENDPOINT_ANSWER)
    verdict = json.loads(app(poster_event(), CONTEXT)["body"])["verdict"]
    (line,), records = written_lines(capsys)
    metrics = metrics_of(records)
    assert metrics["Requests"]["values"] == [1] and metrics["Requests"]["dimensions"]["verdict"] == verdict
    assert metrics["EndpointLatency"]["unit"] == "Milliseconds"
    assert metrics["EndpointLatency"]["values"] == [line["endpoint_latency_ms"]]


def test_a_refusal_is_a_warning_counted_by_error_code_without_calling_the_endpoint(endpoint, capsys):
    response = app(proxy_event(b"{not json", "application/json"), CONTEXT)
    assert response["statusCode"] == 400
    (line,), records = written_lines(capsys)
    assert (line["level"], line["status"], line["error_code"]) == ("WARNING", 400, "BadRequest")
    assert "not valid JSON" in line["message"]
    metrics = metrics_of(records)
    assert set(metrics) == {"Refusals"}
    assert metrics["Refusals"]["dimensions"]["error_code"] == "BadRequest"


def test_an_endpoint_failure_is_counted_by_kind_and_its_upstream_detail_stays_in_the_log(endpoint, capsys):
    endpoint.add_client_error("invoke_endpoint", service_error_code="ModelError", http_status_code=424,
                              service_message="container said: boom (account 123456789012)")
    response = app(poster_event(), CONTEXT)
    assert response["statusCode"] == 502
    assert "123456789012" not in response["body"]
    (line,), records = written_lines(capsys)
    assert (line["level"], line["error_code"]) == ("ERROR", "ModelFailed")
    assert "123456789012" in line["detail"]
    metrics = metrics_of(records)
    assert metrics["EndpointFailures"]["dimensions"]["kind"] == "ModelFailed"
    assert "EndpointLatency" in metrics


def test_health_checks_are_logged_but_not_counted(endpoint, capsys):
    response = app(proxy_event(None, None, route="/health", method="GET"), CONTEXT)
    assert response["statusCode"] == 200
    (line,), records = written_lines(capsys)
    assert (line["route"], line["status"]) == ("/health", 200)
    assert records == []


def test_only_the_first_request_of_a_container_is_a_cold_start(capsys):
    fresh = fresh_app({})
    fresh.route("/health")(lambda: {"status": "ok"})
    for _ in range(2):
        fresh(proxy_event(None, None, route="/health", method="GET"), CONTEXT)
    first, second = written_lines(capsys)[0]
    assert (first["cold_start"], second["cold_start"]) == (True, False)


def test_metrics_carry_the_function_name_so_stages_stay_apart(capsys):
    fresh = fresh_app({"AWS_LAMBDA_FUNCTION_NAME": "is-this-movie-a-thriller-prod",
                       "POWERTOOLS_METRICS_NAMESPACE": "Thrillers"})
    fresh.route("/predict", methods=["POST"])(lambda: {"verdict": "not thriller", "probability": 0.1})
    fresh(proxy_event(None, "application/json"), CONTEXT)
    _, records = written_lines(capsys)
    requests = metrics_of(records)["Requests"]
    assert requests["namespace"] == "Thrillers"
    assert requests["dimensions"] == {"service": "is-this-movie-a-thriller-prod", "verdict": "not thriller"}


def test_an_unhandled_exception_is_logged_as_one_json_error_line(capsys):
    fresh = fresh_app({})

    @fresh.route("/predict", methods=["POST"])
    def crash():
        raise RuntimeError("a bug")

    response = fresh(proxy_event(None, "application/json"), CONTEXT)
    assert response["statusCode"] == 500
    lines, records = written_lines(capsys)
    assert any("a bug" in line.get("exception", "") for line in lines)
    request_line = next(line for line in lines if line.get("route") == "/predict")
    assert (request_line["level"], request_line["status"]) == ("ERROR", 500)
    assert metrics_of(records)["ServerErrors"]["dimensions"]["error_code"] == "InternalServerError"
