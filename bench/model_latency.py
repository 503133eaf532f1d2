"""Print the poster classifier's latency and throughput on this machine.

    .venv/bin/python bench/model_latency.py [--model PATH] [--runs 200]

Single-image latency counts everything a request costs the model: JPEG decode, resize and
inference. It is measured in this process and through the local SageMaker endpoint (a real
server process called with boto3, as the app calls it). Posters come from ../shared/posters
when present, else poster-sized generated JPEGs. Target: median at most 30 ms per poster.
"""
import argparse
import json
import contextlib
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import numpy as np
from botocore.config import Config
from PIL import Image

from poster_model.predictor import PosterClassifier
from poster_model.preprocess import image_bytes_to_input

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_POSTERS = PROJECT_ROOT.parent / "shared" / "posters" / "images"
TARGET_MEDIAN_MS = 30.0
ENDPOINT_NAME = "latency-bench"


def generated_posters(count: int) -> list[bytes]:
    """Gradients, noise and blocks of colour at 341x512, the size the API sends to the endpoint."""
    rng = np.random.default_rng(0)
    height, width = 512, 341
    y, x = np.mgrid[0:height, 0:width]
    posters = []
    for _ in range(count):
        pixels = np.stack([x * rng.uniform(0.2, 0.8), y * rng.uniform(0.2, 0.5),
                           np.full_like(x, rng.integers(0, 255), dtype=float)], axis=-1)
        for _ in range(6):
            top, left = rng.integers(0, height - 60), rng.integers(0, width - 60)
            pixels[top:top + rng.integers(20, 200), left:left + rng.integers(20, 200)] = rng.integers(0, 255, 3)
        pixels = np.clip(pixels + rng.normal(0, 12, pixels.shape), 0, 255).astype(np.uint8)
        output = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(output, "JPEG", quality=85)
        posters.append(output.getvalue())
    return posters


def load_posters(count: int) -> tuple[list[bytes], str]:
    if SHARED_POSTERS.is_dir():
        paths = sorted(SHARED_POSTERS.glob("*.jpg"))[:count]
        if paths:
            return [path.read_bytes() for path in paths], f"{len(paths)} posters from {SHARED_POSTERS}"
    return generated_posters(count), f"{count} generated 341x512 JPEG posters"


def percentiles_ms(seconds: list[float]) -> str:
    milliseconds = np.array(seconds) * 1000
    return f"median {np.median(milliseconds):6.1f} ms   p95 {np.percentile(milliseconds, 95):6.1f} ms"


def time_each(call, items) -> list[float]:
    durations = []
    for item in items:
        started = time.perf_counter()
        call(item)
        durations.append(time.perf_counter() - started)
    return durations


def images_per_second(count: int, run) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


@contextlib.contextmanager
def endpoint_process(model_path: Path):
    """The local endpoint on a free port, stopped with its process group at the end."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "poster_model.server", "--port", str(port),
               "--endpoint-name", ENDPOINT_NAME, "--model", str(model_path)]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/ping", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"error: the endpoint did not start: {' '.join(command)}")
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="ONNX model (default model/poster_classifier.onnx)")
    parser.add_argument("--runs", type=int, default=200, help="images per measurement (default %(default)s)")
    parser.add_argument("--batch", type=int, default=16, help="batch size for throughput (default %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default %(default)s)")
    args = parser.parse_args()

    try:
        classifier = PosterClassifier(args.model)
    except Exception as error:  # onnxruntime raises its own exception types for missing or broken files
        raise SystemExit(f"error: cannot load the model: {error}")
    posters, source = load_posters(args.runs)
    print(f"model {classifier.model_path} ({classifier.model_path.stat().st_size / 1e6:.1f} MB, "
          f"input {classifier.width}x{classifier.height}); {source}")
    load, cpus = os.getloadavg()[0], os.cpu_count()
    print(f"{cpus} CPUs, load average {load:.1f}" + (": busy machine, figures inflated" if load > cpus else ""))

    time_each(classifier.predict_bytes, posters[:5])
    in_process = time_each(classifier.predict_bytes, posters)

    def decode_and_predict_in_batches():
        for start in range(0, len(posters), args.batch):
            chunk = posters[start:start + args.batch]
            classifier.predict_batch(np.concatenate(
                [image_bytes_to_input(data, classifier.height, classifier.width) for data in chunk]))

    batch_rate = images_per_second(len(posters), decode_and_predict_in_batches)
    print(f"in-process, one image  : {percentiles_ms(in_process)}   ({1 / statistics.mean(in_process):.1f} images/s)")
    print(f"in-process, batch {args.batch:<4} : {batch_rate:.1f} images/s (decode included)")

    with endpoint_process(classifier.model_path) as url:
        runtime = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id="bench", aws_secret_access_key="bench",
                               config=Config(retries={"max_attempts": 1},
                                             max_pool_connections=max(10, args.clients)))

        def invoke(data: bytes) -> bytes:
            return runtime.invoke_endpoint(EndpointName=ENDPOINT_NAME, Body=data, ContentType="application/x-image",
                                           Accept="application/json")["Body"].read()

        time_each(invoke, posters[:5])
        over_http = time_each(invoke, posters)

        def invoke_concurrently():
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                list(pool.map(invoke, posters))

        http_rate = images_per_second(len(posters), invoke_concurrently)
    print(f"HTTP endpoint, one call: {percentiles_ms(over_http)}")
    print(f"HTTP endpoint, {args.clients} clients: {http_rate:.1f} images/s")
    median_ms = statistics.median(in_process) * 1000
    verdict = "met" if median_ms <= TARGET_MEDIAN_MS else "MISSED"
    print(f"target: in-process median {median_ms:.1f} ms <= {TARGET_MEDIAN_MS:.0f} ms: {verdict}")

    def row(measure: str, timings=None, rate=None) -> dict:
        return {"measure": measure,
                "median (ms)": round(statistics.median(timings) * 1000, 1) if timings else "-",
                "p95 (ms)": round(float(np.percentile(timings, 95)) * 1000, 1) if timings else "-",
                "images/s": round(rate if rate else 1 / statistics.mean(timings), 1)}

    print("RESULT " + json.dumps({
        "benchmark": "model_latency", "target": f"in-process median <= {TARGET_MEDIAN_MS:g} ms",
        "verdict": verdict,
        "summary": f"one poster in-process, decode included: median {median_ms:.1f} ms, "
                   f"p95 {np.percentile(in_process, 95) * 1000:.1f} ms; batch {args.batch}: {batch_rate:.1f} images/s",
        "table": [row("in-process, one image", in_process), row(f"in-process, batch {args.batch}", rate=batch_rate),
                  row("HTTP endpoint, one call", over_http),
                  row(f"HTTP endpoint, {args.clients} clients", rate=http_rate)]}))


if __name__ == "__main__":
    main()
