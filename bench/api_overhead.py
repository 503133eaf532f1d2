"""Time spent inside the Lambda handler for POST /predict, the model call excepted.

    .venv/bin/python bench/api_overhead.py [--runs 300]

The app is called as Lambda calls it: app(event, context) with an API Gateway proxy event, the
dev stage's configuration in the environment. boto3 runs for real (parameter validation,
serialisation, SigV4 signing, response parsing) but its HTTP send is answered at once by a
`before-send` hook, so what is left is the API's own cost. The typical request is what the
page sends: a 512 px high poster as a JPEG data URL of about 50 KB. The floor is GET /health
through the same app(event, context) path (Chalice's routing and response, no work), its calls
alternating with /predict's so that the machine's load weighs on both alike; the /predict
overhead is also given against it. Target: median under 10 ms.

The image is decoded by a worker process under the decode ceiling (chalicelib.decode_ceiling): the
ceiling's own cost is given alone (a job that does nothing: pipes, limits, answer), and beside decoding
in-process. The function's memory with the worker included is the process's peak plus the worker's
(both peaks added, so on the high side).
"""
import argparse
import base64
import contextlib
import functools
import io
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from devkit.images import encode, poster_art  # noqa: E402

TARGET_MEDIAN_MS = 10.0
STAGE = "dev"
MODEL_ANSWER = json.dumps({
    "probabilities": [0.3, 0.7], "thriller_probability": 0.41, "base_rate": 0.25, "hard_to_tell_band": [0.2, 0.4],
    "genres": [{"genre": f"genre {i}", "probability": round(0.9 - i * 0.05, 2)} for i in range(18)],
    "poster_likeness": 0.6, "poster_likeness_threshold": 0.004}).encode()
"""What our endpoint answers, 18 genres included; no evidence, as these requests do not ask for it
(the page's always do: it sends explain: true)."""
TYPICAL = "page's 512 px JPEG data URL"
WARMUP_CALLS = 20


def use_stage_configuration(stage: str) -> None:
    """What Lambda's environment holds for the stage, plus dummy credentials and a closed loopback
    endpoint URL, so that nothing could reach AWS even if the stub were bypassed."""
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    os.environ.update(config.get("environment_variables", {}))
    os.environ.update(config["stages"][stage].get("environment_variables", {}))
    os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME="http://127.0.0.1:9")
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(variable, None)


class InstantBody(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()


def answer_every_call_at_once(client) -> list:
    """Replace the HTTP round trip to SageMaker by an immediate 200; returns the list of calls seen."""
    from botocore.awsrequest import AWSResponse

    calls = []

    def answer(request, **_):
        calls.append(request)
        return AWSResponse(request.url, 200, {"Content-Type": "application/json",
                                              "Content-Length": str(len(MODEL_ANSWER))}, InstantBody(MODEL_ANSWER))

    client.meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", answer)
    return calls


def answer_key_reads_at_once(ssm) -> None:
    """The stage's prediction-id key from SSM, answered at once: read once per container, then cached."""
    from botocore.awsrequest import AWSResponse

    body = json.dumps({"Parameter": {"Name": "key", "Type": "SecureString",
                                     "Value": base64.b64encode(bytes(32)).decode()}}).encode()
    ssm.meta.events.register("before-send.ssm.GetParameter", lambda request, **_: AWSResponse(
        request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, InstantBody(body)))


def proxy_event(body: str | None, content_type: str | None, method: str = "POST", route: str = "/predict") -> dict:
    """An API Gateway REST proxy event as Lambda receives it for METHOD /api/ROUTE (POST /api/predict)."""
    headers = {"Host": "api.example.com", "Origin": "https://thriller.example.com"}
    if content_type:
        headers["Content-Type"] = content_type
    return {
        "resource": route, "path": route, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": route, "httpMethod": method, "path": f"/api{route}",
                           "requestId": "bench-request", "stage": "api", "identity": {"sourceIp": "127.0.0.1"}},
        "body": body, "isBase64Encoded": False,
    }


def milliseconds(seconds: list[float]) -> dict:
    values = sorted(value * 1000 for value in seconds)
    return {"median_ms": round(statistics.median(values), 2),
            "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))], 2)}


def time_alternately(calls: dict, runs: int) -> dict[str, list[float]]:
    """Each call once per round, runs rounds after WARMUP_CALLS untimed ones."""
    for _ in range(WARMUP_CALLS):
        for call in calls.values():
            call()
    durations = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            durations[name].append(time.perf_counter() - started)
    return durations


def time_calls(call, runs: int) -> list[float]:
    for _ in range(WARMUP_CALLS):
        call()
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return durations


def function_memory_mb() -> dict:
    """This process's peak resident memory and its decoding worker's (VmHWM)."""
    from chalicelib import decode_ceiling

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(f"/proc/{decode_ceiling.worker.process.pid}/status") as status:
        worker = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    return {"process_peak_mb": round(own, 1), "worker_peak_mb": round(worker, 1),
            "with_worker_mb": round(own + worker, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300, help="handler calls per measurement (default %(default)s)")
    args = parser.parse_args()

    use_stage_configuration(STAGE)
    from chalice.local import LambdaContext

    from app import app
    from chalicelib.answers import parse_endpoint_answer, prediction_answer
    from chalicelib.decode_budget import DecodeBudget
    from chalicelib.decode_ceiling import within_ceiling
    from chalicelib.image_normalizing import model_jpeg, normalize_image
    from chalicelib.request_parsing import parse_predict_request
    from chalicelib.sagemaker_endpoint import invoke_endpoint, sagemaker_client
    from chalicelib.feedback import signed_prediction_id
    from chalicelib.feedback_store import client as feedback_client
    from chalicelib.settings import load_feedback_settings, load_settings

    # each request's JSON log line and EMF records go to stdout: their cost is real, their text is kept off the output
    quiet = contextlib.redirect_stdout(open(os.devnull, "w"))
    settings = load_settings()
    calls = answer_every_call_at_once(sagemaker_client(settings))
    answer_key_reads_at_once(feedback_client("ssm"))

    page_jpeg = encode(poster_art(341, 512, seed=1), "JPEG", quality=85)
    floor = "GET /health (floor)"
    requests = {
        floor: proxy_event(None, None, "GET", "/health"),
        TYPICAL: proxy_event(
            json.dumps({"data": "data:image/jpeg;base64," + base64.b64encode(page_jpeg).decode()}), "application/json"),
        "original page's 300x450 PNG data URL": proxy_event(
            json.dumps({"data": "data:image/png;base64,"
                        + base64.b64encode(encode(poster_art(300, 450, seed=2), "PNG")).decode()}),
            "application/json"),
    }
    predict_kinds = len(requests) - 1
    print(f"{args.runs} calls of app(event, context) per request kind, alternating, stage {STAGE}, "
          "SageMaker answered at once")
    context = LambdaContext("is-this-movie-a-thriller-dev", 512, max_runtime_ms=25_000)
    for name, event in requests.items():
        with quiet:
            response = app(event, context)
        if response["statusCode"] != 200:
            raise SystemExit(f"error: {name} answered {response['statusCode']}: {response['body']}")
        if event["path"] == "/predict" and "prediction_id" not in json.loads(response["body"]):
            raise SystemExit(f"error: {name} answered without a signed prediction_id")
    calls.clear()
    with quiet:
        durations = time_alternately({name: functools.partial(app, event, context) for name, event in requests.items()},
                                     args.runs)
    if len(calls) != (WARMUP_CALLS + args.runs) * predict_kinds:
        raise SystemExit(f"error: {len(calls)} SageMaker calls for {(WARMUP_CALLS + args.runs) * predict_kinds} "
                         "requests to /predict")
    results = {name: {"body_kb": round(len(event["body"] or "") / 1000, 1), **milliseconds(durations[name])}
               for name, event in requests.items()}
    floor_ms = statistics.median(durations[floor]) * 1000
    for name, figures in results.items():
        median_ms = statistics.median(durations[name]) * 1000
        figures["x_floor"] = round(median_ms / floor_ms, 1)
        figures["over_floor_ms"] = round(median_ms - floor_ms, 2)
        print(f"  {name:<38} body {figures['body_kb']:6.1f} KB   median {figures['median_ms']:6.2f} ms   "
              f"p95 {figures['p95_ms']:6.2f} ms   {figures['x_floor']:5.1f} x floor")

    typical_body = requests[TYPICAL]["body"].encode()
    image = parse_predict_request(typical_body, "application/json", None, settings.max_body_bytes).image
    jpeg = normalize_image(image, settings.model_image_max_side, settings.max_image_pixels)
    stages = {
        "parse JSON and base64": lambda: parse_predict_request(typical_body, "application/json", None,
                                                               settings.max_body_bytes),
        "validate and normalise image": lambda: normalize_image(image, settings.model_image_max_side,
                                                                settings.max_image_pixels),
        # bytes(data) is a job that does nothing: a module-level function the worker can import by name
        "  of which the decode ceiling alone": lambda: within_ceiling(bytes, b"", {}, DecodeBudget()),
        "  (the same decoded in-process)": lambda: model_jpeg(image, settings.model_image_max_side,
                                                            settings.max_image_pixels),
        "boto3 invoke_endpoint (stubbed send)": lambda: invoke_endpoint(settings, jpeg),
        "check answer and shape JSON": lambda: prediction_answer(parse_endpoint_answer(MODEL_ANSWER, 2), settings),
        "sign the prediction_id (SHA-256, HMAC)": lambda: signed_prediction_id(
            {"verdict": "thriller/crime", "probability": 0.41}, image, load_feedback_settings(), bytes(32), time.time()),
    }
    print("  where the typical request's time goes (median):")
    stage_ms = {}
    for name, call in stages.items():
        stage_ms[name] = round(statistics.median(time_calls(call, args.runs)) * 1000, 2)
        print(f"    {name:<38} {stage_ms[name]:6.2f} ms")
    memory = function_memory_mb()
    print(f"  the function's memory: {memory['process_peak_mb']:.1f} MB peak, its decoding worker "
          f"{memory['worker_peak_mb']:.1f} MB: {memory['with_worker_mb']:.1f} MB together")

    typical = results[TYPICAL]
    print(f"  typical /predict against the GET /health floor ({floor_ms:.3f} ms): "
          f"{typical['x_floor']:.1f} x, {typical['over_floor_ms']:+.2f} ms")
    ceiling_ms = stage_ms["  of which the decode ceiling alone"]
    verdict = "met" if typical["median_ms"] < TARGET_MEDIAN_MS else "MISSED"
    print(f"target: typical median {typical['median_ms']:.2f} ms < {TARGET_MEDIAN_MS:.0f} ms: {verdict}")
    print("RESULT " + json.dumps({
        "benchmark": "api_overhead", "target": f"median < {TARGET_MEDIAN_MS:g} ms", "verdict": verdict,
        "summary": f"typical request: median {typical['median_ms']:.2f} ms, p95 {typical['p95_ms']:.2f} ms "
                   f"in the handler, model call excluded; {typical['x_floor']:.1f} x GET /health "
                   f"({floor_ms:.3f} ms), {typical['over_floor_ms']:+.2f} ms; the decode ceiling {ceiling_ms:.2f} ms "
                   f"of it; {memory['with_worker_mb']:.0f} MB with the decoding worker",
        "table": [{"request": name, "body (KB)": figures["body_kb"], "median (ms)": figures["median_ms"],
                   "p95 (ms)": figures["p95_ms"], "x GET /health": figures["x_floor"],
                   "over GET /health (ms)": figures["over_floor_ms"]} for name, figures in results.items()]}))


if __name__ == "__main__":
    main()
