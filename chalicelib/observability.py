"""One JSON log line and CloudWatch embedded-metric-format records per request, written to stdout.

Lambda sends stdout to CloudWatch Logs, which turns the EMF records into metrics: nothing is sent
from the request path. Logs Insights can then filter and count the log lines by any field
(request_id, route, status, error_code, latency_ms, image_bytes, verdict). `chalice local` runs
the same middleware, so it prints the same lines.
"""
import contextlib
import contextvars
import json
import logging
import os
import sys
import time
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chalicelib.errors import EndpointTimeoutError, EndpointUnavailableError, ModelFailedError

DEFAULT_NAMESPACE = "IsThisMovieAThriller"
LOCAL_FUNCTION_NAME = "local"
ENDPOINT_FAILURE_CODES = frozenset({ModelFailedError.code, EndpointUnavailableError.code, EndpointTimeoutError.code})
PREDICT_ROUTE = "/predict"
LARGEST_ERROR_BODY_READ = 4096
"""Error bodies are small JSON objects; anything longer is not parsed for its code."""


class CurrentStdout:
    """sys.stdout as it is at each write (Lambda's, or one a test or tool put in its place)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@dataclass
class RequestRecord:
    """What the view learns about its request that the middleware cannot see in the response."""
    image_bytes: int | None = None
    endpoint_ms: float | None = None
    detail: str = ""

    @contextlib.contextmanager
    def calling_endpoint(self):
        """Time the SageMaker call, whether it answers or fails."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.endpoint_ms = round((time.perf_counter() - started) * 1000, 1)


current_record: contextvars.ContextVar[RequestRecord] = contextvars.ContextVar("request_record")


def log_level(status: int) -> int:
    """Server errors are errors, refusals warnings, answers information."""
    return logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO


def request_record() -> RequestRecord:
    """The record of the request being served; a detached one outside the middleware."""
    try:
        return current_record.get()
    except LookupError:
        return RequestRecord()


class RequestObserver:
    """A Chalice http middleware: serve the request, then log it and count it."""

    def __init__(self, logger: Logger, function_name: str, namespace: str):
        self.logger = logger
        self.function_name = function_name
        self.namespace = namespace
        self.cold_start = True

    def __call__(self, event, get_response):
        started = time.perf_counter()
        record = RequestRecord()
        token = current_record.set(record)
        try:
            response = get_response(event)
        except Exception:
            self.log(event, record, 500, {"error": "InternalServerError"}, started)
            raise
        finally:
            current_record.reset(token)
        self.log(event, record, response.status_code, response_fields(response), started)
        return response

    def log(self, event, record: RequestRecord, status: int, answer: dict, started: float) -> None:
        context = getattr(event, "context", None) or {}
        lambda_context = getattr(event, "lambda_context", None)
        route = context.get("resourcePath") or getattr(event, "path", "-")
        error_code = answer.get("error") or answer.get("Code")
        verdict = answer.get("verdict")
        lambda_request_id = getattr(lambda_context, "aws_request_id", None)
        fields = {
            "request_id": context.get("requestId") or lambda_request_id,  # chalice local has only Lambda's
            "lambda_request_id": lambda_request_id,
            "method": getattr(event, "method", None),
            "route": route,
            "status": status,
            "error_code": error_code,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "request_bytes": len(getattr(event, "raw_body", b"") or b"") if route == PREDICT_ROUTE else None,
            "image_bytes": record.image_bytes,
            "endpoint_latency_ms": record.endpoint_ms,
            "verdict": verdict if status < 400 else None,
            "probability": answer.get("probability") if status < 400 else None,
            "detail": record.detail or None,
            "cold_start": self.cold_start,
        }
        self.cold_start = False
        message = f"{fields['method']} {route} {status} {error_code or verdict or ''}".rstrip()
        if answer.get("message") and status >= 400:
            message += f": {answer['message']}"
        self.logger.log(log_level(status), message, extra=fields)
        if route == PREDICT_ROUTE:
            self.count(status, error_code, fields["verdict"], record.endpoint_ms)

    def count(self, status: int, error_code: str | None, verdict: str | None, endpoint_ms: float | None) -> None:
        """EMF records: one per metric, each with the one dimension that splits it."""
        if status < 400 and verdict:
            self.emit("Requests", MetricUnit.Count, 1, verdict=verdict)
        elif error_code in ENDPOINT_FAILURE_CODES:
            self.emit("EndpointFailures", MetricUnit.Count, 1, kind=error_code)
        elif status >= 500:
            self.emit("ServerErrors", MetricUnit.Count, 1, error_code=error_code or str(status))
        elif status >= 400:
            self.emit("Refusals", MetricUnit.Count, 1, error_code=error_code or str(status))
        if endpoint_ms is not None:
            self.emit("EndpointLatency", MetricUnit.Milliseconds, endpoint_ms)
        sys.stdout.flush()  # print() leaves the records in a buffer when stdout is a file (chalice local's log)

    def emit(self, name: str, unit: MetricUnit, value: float, **dimensions: str) -> None:
        with single_metric(name=name, unit=unit, value=value, namespace=self.namespace,
                           default_dimensions={"service": self.function_name, **dimensions}):
            pass


def response_fields(response) -> dict:
    """The answer's verdict or the error's code: a dict body as the view returned it, or small JSON."""
    body = response.body
    if isinstance(body, (str, bytes)) and response.status_code >= 400 and len(body) <= LARGEST_ERROR_BODY_READ:
        try:
            body = json.loads(body)
        except ValueError:
            return {}
    return body if isinstance(body, dict) else {}


def observe_requests(app, environ=None) -> RequestObserver:
    """Make app.log write JSON lines (in place of Chalice's text handler) and log and count every HTTP request."""
    environ = os.environ if environ is None else environ
    for handler in list(app.log.handlers):
        app.log.removeHandler(handler)
    logger = Logger(service=app.app_name, stream=CurrentStdout())
    observer = RequestObserver(logger, environ.get("AWS_LAMBDA_FUNCTION_NAME", LOCAL_FUNCTION_NAME),
                               environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE))
    app.register_middleware(observer, "http")
    return observer
