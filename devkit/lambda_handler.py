"""One request through the Lambda handler as deployed, in a child process that measures what it cost.

API Gateway (REST, proxy integration) hands Lambda an event whose body is base64 with isBase64Encoded
true when the request's Content-Type is one of the API's binary media types (Chalice deploys
app.api.binary_types as binaryMediaTypes), and the text as it came otherwise. The child imports
app.py with a stage's environment, answers one warm-up request (a small poster: the SageMaker client
exists, as in a warm function), then calls app(event, context) with the request and reports the
answer, the CPU-seconds the call took (user + system, the decoding worker's included) and the peak
resident memory, which is what Lambda's memory limit applies to: the process's own peak (ru_maxrss)
plus its decoding worker's (chalicelib.decode_ceiling; VmHWM of a running one, ru_maxrss of one that
ended). The peaks are added as if they came at the same moment, so the figure errs on the high side.

    python -m devkit.lambda_handler BODY_FILE CONTENT_TYPE   (run by handler_call(), not by hand)
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
from typing import Callable

from devkit.servers import stage_environment

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
    return HandlerAnswer(**measured_run("devkit.lambda_handler", body, [content_type], timeout,
                                        function_environment(STAGE, sagemaker_url)))


def measured_run(module: str, body: bytes, arguments: list[str], timeout: float, environment: dict) -> dict:
    """python -m module BODY_FILE *arguments in a fresh interpreter: the JSON of its last line of output."""
    with tempfile.NamedTemporaryFile(suffix=".body") as body_file:
        body_file.write(body)
        body_file.flush()
        finished = subprocess.run([sys.executable, "-m", module, body_file.name, *arguments], cwd=PROJECT_ROOT,
                                  env={**os.environ, **environment}, capture_output=True, timeout=timeout, check=False)
    if finished.returncode != 0:
        raise RuntimeError(f"{module}'s process failed ({finished.returncode}): {finished.stderr.decode()[-2000:]}")
    return json.loads(finished.stdout.decode().strip().splitlines()[-1])


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


def running_children() -> list[int]:
    pids = []
    for thread in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{thread}/children") as children:
            pids += [int(pid) for pid in children.read().split()]
    return pids


def proc_file(pid: int, name: str) -> str:
    try:
        with open(f"/proc/{pid}/{name}") as file:
            return file.read()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def cpu_seconds() -> float:
    """This process's CPU time, its ended children's and its running children's (the decoding worker)."""
    usages = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    running = 0.0
    for pid in running_children():
        fields = proc_file(pid, "stat").rpartition(")")[2].split()
        running += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") if fields else 0.0
    return sum(usage.ru_utime + usage.ru_stime for usage in usages) + running


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_with_children_mb() -> float:
    return peak_mb() + children_peak_mb()


def children_peak_mb() -> float:
    """The running children's peaks (the decoding worker's) and the largest ended child's."""
    return running_children_peak_mb() + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def decode_workers() -> list[int]:
    """The running children that decode images (chalicelib.decode_ceiling's workers), not the servers a test
    session keeps running beside them."""
    return [pid for pid in running_children()
            if "chalicelib.decode_worker" in proc_file(pid, "cmdline").replace("\0", " ")]


def running_children_peak_mb(pids: list[int] | None = None) -> float:
    """The peaks of the given running children (every running child by default)."""
    running = 0.0
    for pid in running_children() if pids is None else pids:
        for line in proc_file(pid, "status").splitlines():
            if line.startswith("VmHWM:"):
                running += int(line.split()[1]) / 1024
    return running


def in_a_fork(measure: Callable[..., None], *arguments) -> None:
    """Measure in a fork of this fresh interpreter: ru_maxrss survives exec, so this process may carry
    the peak of the large test process that started it, while a fork starts from its few megabytes."""
    child = os.fork()
    if child:
        _, status = os.waitpid(child, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    exit_code = 1
    try:
        measure(*arguments)
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
    from devkit.images import poster_jpeg

    app(proxy_event(poster_jpeg(), "image/jpeg", app.api.binary_types, "warm-up"), LambdaContext("warm-up"))
    baseline = peak_with_children_mb()
    event = proxy_event(Path(body_path).read_bytes(), content_type, app.api.binary_types, "measured")
    started = cpu_seconds()
    answer = app(event, LambdaContext("measured"))
    spent = cpu_seconds() - started
    body = base64.b64decode(answer["body"]).decode() if answer.get("isBase64Encoded") else answer["body"]
    print(json.dumps({"status": answer["statusCode"], "headers": answer["headers"], "body": body,
                      "cpu_seconds": round(spent, 3), "peak_mb": round(peak_with_children_mb(), 1),
                      "baseline_mb": round(baseline, 1)}))


if __name__ == "__main__":
    in_a_fork(measure, *sys.argv[1:3])
