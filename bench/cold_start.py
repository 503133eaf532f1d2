"""How long a fresh Lambda interpreter takes to import app.py, against a bare `import boto3`.

    .venv/bin/python bench/cold_start.py [--runs 15] [--why]

Each measurement is a new interpreter (as a cold Lambda container is) timing its own import
with perf_counter, so interpreter start-up is left out of both sides; the two kinds of runs
alternate so that a busy machine slows both alike. Also shown: the first /predict request in
that fresh interpreter (SageMaker's answer stubbed): the page's request, made by this script and
handed over on stdin, so the child pays what a cold Lambda pays in it, such as creating the boto3
client, loading Pillow's JPEG plugin and writing the request's JSON log line and EMF metrics.
Target: importing app.py takes at most 1.5 times as long as importing boto3. When it misses
(or with --why), `python -X importtime` names the modules app.py adds beyond boto3's.
"""
import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from api_overhead import MODEL_ANSWER, proxy_event  # noqa: E402
from devkit.images import encode, poster_art  # noqa: E402

TARGET_RATIO = 1.5

TIMED_IMPORT = """
import time
started = time.perf_counter()
import {module}
print(time.perf_counter() - started)
"""
TIMED_FIRST_REQUEST = """
import json, sys, time
event = json.loads(sys.stdin.read())  # Lambda's runtime hands the handler a parsed event
import app
import io
from botocore.awsrequest import AWSResponse
from chalicelib.sagemaker_endpoint import sagemaker_client
from chalicelib.settings import load_settings

class LambdaContext:
    aws_request_id = "cold-start"
    function_name = "is-this-movie-a-thriller-dev"
    memory_limit_in_mb = 512
    def get_remaining_time_in_millis(self):
        return 25_000

class InstantBody(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()

def answer_at_once(request, **_):
    return AWSResponse(request.url, 200, {{"Content-Type": "application/json", "Content-Length": "{answer_length}"}},
                       InstantBody({answer!r}))

context = LambdaContext()
prepared = time.perf_counter()
sagemaker_client(load_settings()).meta.events.register(  # the client the request would create
    "before-send.sagemaker-runtime.InvokeEndpoint", answer_at_once)
response = app.app(event, context)
answered = time.perf_counter()
assert response["statusCode"] == 200, response
print(answered - prepared)  # the last line, after the request's JSON log line and EMF records
"""


def lambda_like_environment() -> dict:
    """The dev stage's variables, dummy credentials and a closed loopback endpoint: nothing reaches AWS."""
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    environment = {key: value for key, value in os.environ.items() if key not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    environment.update(config.get("environment_variables", {}))
    environment.update(config["stages"]["dev"].get("environment_variables", {}))
    environment.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                       AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME="http://127.0.0.1:9")
    return environment


def run_python(code: str, *options: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *options, "-c", code], cwd=PROJECT_ROOT, env=lambda_like_environment(),
                          input=stdin, capture_output=True, text=True, check=True)


def page_request_event() -> str:
    """The page's request as the JSON Lambda receives, made here so that the child imports only
    what a Lambda container would (app.py and the stub), and decodes its first JPEG itself."""
    jpeg = encode(poster_art(341, 512), "JPEG", quality=85)
    body = json.dumps({"data": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()})
    return json.dumps(proxy_event(body, "application/json"))


def import_seconds(module: str) -> float:
    return float(run_python(TIMED_IMPORT.format(module=module)).stdout)


def modules_beyond(baseline: str, module: str, count: int = 8) -> list[tuple[str, float]]:
    """Top-level packages `import module` loads that `import baseline` does not, by their own import time."""
    def self_time_by_package(target: str) -> dict[str, float]:
        totals = {}
        for line in run_python(f"import {target}", "-X", "importtime").stderr.splitlines():
            fields = line.removeprefix("import time:").split("|")
            if len(fields) != 3 or not fields[0].strip().isdigit():
                continue
            package = fields[2].strip().split(".")[0]
            totals[package] = totals.get(package, 0) + int(fields[0]) / 1e6
        return totals

    base = self_time_by_package(baseline)
    extra = {name: seconds for name, seconds in self_time_by_package(module).items() if name not in base}
    return sorted(extra.items(), key=lambda item: -item[1])[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per kind (default %(default)s)")
    parser.add_argument("--why", action="store_true", help="list what app.py imports beyond boto3 even if met")
    args = parser.parse_args()

    import_seconds("app")  # writes app.py's and chalicelib's bytecode, as pip did boto3's, and warms the file cache
    boto3_runs, app_runs, first_request_runs = [], [], []
    for _ in range(args.runs):
        boto3_runs.append(import_seconds("boto3"))
        app_runs.append(import_seconds("app"))
    first_request = TIMED_FIRST_REQUEST.format(answer=MODEL_ANSWER, answer_length=len(MODEL_ANSWER))
    event = page_request_event()
    for _ in range(max(3, args.runs // 3)):
        first_request_runs.append(float(run_python(first_request, stdin=event).stdout.splitlines()[-1]))

    boto3_ms, app_ms = statistics.median(boto3_runs) * 1000, statistics.median(app_runs) * 1000
    first_request_ms = statistics.median(first_request_runs) * 1000
    ratio = app_ms / boto3_ms
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"{args.runs} fresh interpreters each, medians:")
    print(f"  import boto3                         {boto3_ms:7.1f} ms")
    print(f"  import app                           {app_ms:7.1f} ms   ({ratio:.2f} x boto3)")
    print(f"  then the first /predict (stubbed)    {first_request_ms:7.1f} ms   (creates the boto3 client, "
          "loads Pillow's JPEG plugin)")
    print(f"target: import app <= {TARGET_RATIO} x import boto3: {ratio:.2f} x: {verdict}")
    slowest = []
    if verdict == "MISSED" or args.why:
        slowest = modules_beyond("boto3", "app")
        print("what app.py imports beyond boto3 (own import time of each package, one run):")
        for name, seconds in slowest:
            print(f"  {name:<30} {seconds * 1000:7.1f} ms")
    table = [{"in a fresh interpreter": "import boto3", "median (ms)": round(boto3_ms, 1), "x boto3": 1.0},
             {"in a fresh interpreter": "import app", "median (ms)": round(app_ms, 1), "x boto3": round(ratio, 2)},
             {"in a fresh interpreter": "then the first /predict (SageMaker stubbed)",
              "median (ms)": round(first_request_ms, 1), "x boto3": None}]
    table += [{"in a fresh interpreter": f"app.py's extra import: {name}", "median (ms)": round(seconds * 1000, 1),
               "x boto3": round(seconds * 1000 / boto3_ms, 2)} for name, seconds in slowest]
    print("RESULT " + json.dumps({
        "benchmark": "cold_start", "target": f"import app <= {TARGET_RATIO} x import boto3", "verdict": verdict,
        "summary": f"import app {ratio:.2f} x import boto3 ({app_ms:.0f} vs {boto3_ms:.0f} ms)", "table": table}))


if __name__ == "__main__":
    main()
