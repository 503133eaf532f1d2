"""Requests per second and latency of the whole local stack, against the model alone, in one run.

    .venv/bin/python bench/end_to_end.py [--clients 1 4 8] [--requests 200] [--max-seconds 30]

The stack is what `make run` starts: the local SageMaker endpoint (poster_model.server with
model/poster_classifier.onnx, or the tiny stand-in model before one is trained) behind the API
(`chalice local`). The load comes from aiohttp: each client is a worker with its own keep-alive
connection sending what the page sends (a 512 px high poster as a JPEG data URL). The model-only baseline is the
same clients posting the same JPEGs straight to the endpoint, plus one in-process classifier.
Every measurement is bounded by a request count and a time limit; loopback only.
"""
import argparse
import asyncio
import base64
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import aiohttp  # noqa: E402
import numpy as np  # noqa: E402

from devkit.images import encode, poster_art  # noqa: E402
from devkit.onnx_models import model_path_for_tests  # noqa: E402
from devkit.servers import LOCAL_ENDPOINT_NAME, running_chalice_local, running_model_endpoint  # noqa: E402
from poster_model.predictor import PosterClassifier  # noqa: E402

DISTINCT_POSTERS = 16
WARMUP_REQUESTS = 10


class Load:
    """Figures of one bounded run: every latency, every failure, the wall time."""

    def __init__(self):
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.seconds = 0.0

    def record(self, seconds: float, failure: str | None) -> None:
        if failure:
            self.failures.append(failure)
        else:
            self.latencies.append(seconds)

    def figures(self) -> dict:
        """Latency percentiles of the successful requests (None when there were none)."""
        milliseconds = np.array(self.latencies) * 1000
        percentiles = {f"p{q}_ms": round(float(np.percentile(milliseconds, q)), 1) if self.latencies else None
                       for q in (50, 95, 99)}
        return {"requests_per_s": round(len(self.latencies) / self.seconds, 1), **percentiles,
                "ok": len(self.latencies), "errors": len(self.failures)}


async def load_with_clients(url: str, bodies: list[bytes], headers: dict, clients: int, requests: int,
                            max_seconds: float) -> Load:
    """clients aiohttp workers, one keep-alive connection each, share `requests` POSTs until max_seconds."""
    load, numbers = Load(), itertools.count()
    deadline = time.monotonic() + max_seconds
    timeout = aiohttp.ClientTimeout(total=60)

    async def client(session: aiohttp.ClientSession) -> None:
        for number in numbers:
            if number >= requests or time.monotonic() > deadline:
                return
            started = time.perf_counter()
            try:
                async with session.post(url, data=bodies[number % len(bodies)], headers=headers) as response:
                    answer = await response.read()
                failure = None if response.status == 200 else f"HTTP {response.status}: {answer[:200]!r}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                failure = repr(error)
            load.record(time.perf_counter() - started, failure)

    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        load.seconds = time.perf_counter() - started
    return load


def run_clients(url: str, bodies: list[bytes], headers: dict, clients: int, requests: int,
                max_seconds: float) -> Load:
    return asyncio.run(load_with_clients(url, bodies, headers, clients, requests, max_seconds))


def in_process_rate(classifier: PosterClassifier, posters: list[bytes], requests: int, max_seconds: float) -> float:
    deadline, done = time.monotonic() + max_seconds, 0
    started = time.perf_counter()
    while done < requests and time.monotonic() < deadline:
        classifier.predict_bytes(posters[done % len(posters)])
        done += 1
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 8],
                        help="concurrent clients, one run each (default %(default)s)")
    parser.add_argument("--requests", type=int, default=200, help="requests per run at most (default %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=30, help="seconds per run at most (default %(default)s)")
    args = parser.parse_args()

    posters = [encode(poster_art(341, 512, seed=seed), "JPEG", quality=85) for seed in range(DISTINCT_POSTERS)]
    page_bodies = [json.dumps({"data": "data:image/jpeg;base64," + base64.b64encode(poster).decode()}).encode()
                   for poster in posters]
    api_headers = {"Content-Type": "application/json"}
    endpoint_headers = {"Content-Type": "application/x-image", "Accept": "application/json"}
    endpoint_path = f"/endpoints/{LOCAL_ENDPOINT_NAME}/invocations"

    with tempfile.TemporaryDirectory() as scratch:
        model_path = model_path_for_tests(Path(scratch))
        classifier = PosterClassifier(model_path)
        print(f"model {model_path.name} (input {classifier.width}x{classifier.height}); "
              f"{len(page_bodies[0]) / 1000:.0f} KB requests; at most {args.requests} requests "
              f"or {args.max_seconds:g} s per run; logs in {scratch}")
        api_env = {"SAGEMAKER_MAX_ATTEMPTS": "1", "SAGEMAKER_READ_TIMEOUT": "30", "AWS_DEFAULT_REGION": "us-east-1",
                   "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
        runs = []
        with running_model_endpoint(model_path, Path(scratch) / "endpoint.log") as endpoint_url, \
                running_chalice_local(endpoint_url, api_env, Path(scratch) / "chalice.log") as api_url:
            predict_url, invocations_url = f"{api_url}/predict", endpoint_url + endpoint_path
            run_clients(predict_url, page_bodies, api_headers, 1, WARMUP_REQUESTS, args.max_seconds)
            run_clients(invocations_url, posters, endpoint_headers, 1, WARMUP_REQUESTS, args.max_seconds)
            for clients in args.clients:
                stack = run_clients(predict_url, page_bodies, api_headers, clients, args.requests, args.max_seconds)
                model = run_clients(invocations_url, posters, endpoint_headers, clients, args.requests,
                                    args.max_seconds)
                runs.append({"clients": clients, "stack": stack.figures(), "endpoint": model.figures(),
                             "first_stack_error": stack.failures[0] if stack.failures else None})
        in_process = in_process_rate(classifier, posters, args.requests, args.max_seconds)

    print(f"{'clients':>7}  {'stack req/s':>11}  {'p50':>7}  {'p95':>7}  {'p99':>7}  {'errors':>6}  "
          f"{'endpoint req/s':>14}  {'stack/endpoint':>14}")
    for run in runs:
        stack, model = run["stack"], run["endpoint"]
        run["stack_vs_endpoint"] = round(stack["requests_per_s"] / max(model["requests_per_s"], 1e-9), 2)
        latencies = "  ".join(f"{'-' if stack[key] is None else f'{stack[key]:.0f}ms':>7}"
                              for key in ("p50_ms", "p95_ms", "p99_ms"))
        print(f"{run['clients']:>7}  {stack['requests_per_s']:>11.1f}  {latencies}  {stack['errors']:>6}  "
              f"{model['requests_per_s']:>14.1f}  {run['stack_vs_endpoint']:>14.2f}")
        if run["first_stack_error"]:
            print(f"         first error: {run['first_stack_error']}")
    print(f"model in process, one thread: {in_process:.1f} posters/s")
    busiest = runs[-1]
    busiest_p95 = "-" if busiest["stack"]["p95_ms"] is None else f"{busiest['stack']['p95_ms']:.0f} ms"
    print("RESULT " + json.dumps({
        "benchmark": "end_to_end",
        "summary": f"{busiest['clients']} clients: {busiest['stack']['requests_per_s']:.1f} requests/s through the "
                   f"stack, {busiest['stack_vs_endpoint']:.2f} x the endpoint alone "
                   f"({busiest['endpoint']['requests_per_s']:.1f}/s), p95 {busiest_p95}, "
                   f"{sum(run['stack']['errors'] for run in runs)} errors; model {model_path.name}, "
                   f"{in_process:.0f} posters/s in process",
        "table": [{"clients": run["clients"], "stack (req/s)": run["stack"]["requests_per_s"],
                   "p50 (ms)": run["stack"]["p50_ms"], "p95 (ms)": run["stack"]["p95_ms"],
                   "p99 (ms)": run["stack"]["p99_ms"], "errors": run["stack"]["errors"],
                   "endpoint alone (req/s)": run["endpoint"]["requests_per_s"],
                   "stack / endpoint": run["stack_vs_endpoint"]} for run in runs]}))


if __name__ == "__main__":
    main()
