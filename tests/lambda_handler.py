"""One request through the Lambda handler as deployed, in a child process that measures what it cost.

API Gateway (REST, proxy integration) hands Lambda an event whose body is base64 with isBase64Encoded
true when the request's Content-Type is one of the API's binary media types (Chalice deploys
app.api.binary_types as binaryMediaTypes), and the text as it came otherwise. The child imports
app.py with a stage's environment, answers one warm-up request (a small poster: the SageMaker client
exists, as in a warm function), then calls app(event, context) with the request and reports the
answer, the CPU-seconds the call took (user + system, from getrusage) and the process's peak
resident memory (ru_maxrss), which is what Lambda's memory limit applies to.

    python -m tests.lambda_handler BODY_FILE CONTENT_TYPE   (run by handler_call(), not by hand)
"""
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from tests.servers import stage_environment

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAGE = "dev"


@dataclass
class HandlerAnswer:
    status: int
    headers: dict
    body: str
    cpu_seconds: float
    peak_mb: float
    baseline_mb: float
    """Peak resident memory after importing the app and answering the warm-up request."""

    def json(self):
        return json.loads(self.body)


def function_environment(stage: str, sagemaker_url: str) -> dict:
    """The function's environment variables for the stage, with the endpoint pointed at sagemaker_url."""
    return {**stage_environment(stage),
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": sagemaker_url, "SAGEMAKER_MAX_ATTEMPTS": "1",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def handler_call(body: bytes, content_type: str, sagemaker_url: str, timeout: float = 120) -> HandlerAnswer:
    """POST /predict with body through app(event, context) in a fresh interpreter."""
    with tempfile.NamedTemporaryFile(suffix=".body") as body_file:
        body_file.write(body)
        body_file.flush()
        finished = subprocess.run(
            [sys.executable, "-m", "tests.lambda_handler", body_file.name, content_type],
            cwd=PROJECT_ROOT, env={**os.environ, **function_environment(STAGE, sagemaker_url)},
            capture_output=True, timeout=timeout, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"the handler's process failed ({finished.returncode}): {finished.stderr.decode()[-2000:]}")
    return HandlerAnswer(**json.loads(finished.stdout.decode().strip().splitlines()[-1]))


def proxy_event(body: bytes | None, content_type: str | None, binary_types=(), request_id: str = "gateway-request",
                route: str = "/predict", method: str = "POST") -> dict:
    """METHOD /api/ROUTE as API Gateway's REST proxy integration hands it to Lambda: a body whose content type is
    one of binary_types in base64, any other as text."""
    binary = content_type is not None and content_type.split(";", 1)[0].strip().lower() in binary_types
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "Origin": "https://thriller.example.com",
               **({"Content-Type": content_type} if content_type else {}),
               **({"Content-Length": str(len(body))} if body is not None else {}), "X-Forwarded-Proto": "https"}
    if body is not None:
        body = base64.b64encode(body).decode("ascii") if binary else body.decode("utf-8", "surrogateescape")
    return {
        "resource": route, "path": route, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": route, "httpMethod": method, "path": f"/api{route}",
                           "requestId": request_id, "stage": "api", "protocol": "HTTP/1.1",
                           "identity": {"sourceIp": "192.0.2.1", "userAgent": "tests"}},
        "body": body, "isBase64Encoded": binary,
    }


class LambdaContext:
    function_name = "is-this-movie-a-thriller-dev"
    memory_limit_in_mb = 512

    def __init__(self, request_id: str,
                 invoked_function_arn: str = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 25_000


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(body_path: str, content_type: str) -> None:
    """Measure in a fork of this fresh interpreter: ru_maxrss survives exec, so this process may carry
    the peak of the large test process that started it, while a fork starts from its few megabytes."""
    child = os.fork()
    if child:
        _, status = os.waitpid(child, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    exit_code = 1
    try:
        measure(body_path, content_type)
        exit_code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exit_code)


def measure(body_path: str, content_type: str) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    from app import app
    from tests.images import poster_jpeg

    app(proxy_event(poster_jpeg(), "image/jpeg", app.api.binary_types, "warm-up"), LambdaContext("warm-up"))
    baseline = peak_mb()
    event = proxy_event(Path(body_path).read_bytes(), content_type, app.api.binary_types, "measured")
    started = cpu_seconds()
    answer = app(event, LambdaContext("measured"))
    spent = cpu_seconds() - started
    body = base64.b64decode(answer["body"]).decode() if answer.get("isBase64Encoded") else answer["body"]
    print(json.dumps({"status": answer["statusCode"], "headers": answer["headers"], "body": body,
                      "cpu_seconds": round(spent, 3), "peak_mb": round(peak_mb(), 1),
                      "baseline_mb": round(baseline, 1)}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
