"""Print the poster classifier's latency and throughput on this machine.

    .venv/bin/python bench/model_latency.py [--model PATH] [--runs 200]

Single-image latency counts everything a request costs the model: JPEG decode, resize and
inference. It is measured in this process and through the local SageMaker endpoint (a real
server process called with boto3, as the app calls it). Posters come from ../shared/posters
when present, else poster-sized generated JPEGs; each first goes through the API's own
normalize_image with the stage's limits, so the model gets exactly the bytes the API would send.
Target: median at most 30 ms per poster.

The shipped model is also timed against the float model this project shipped before (read from git at
BASELINE_COMMIT, or --baseline PATH), both in this run, poster by poster in alternation, at 1 thread and at
one per core: the whole answer (calibrated probability, genres, poster likeness) against the old
probabilities alone. Target: the shipped model's median at most 0.65 x the baseline's.

The figures depend on the CPU's int8 instruction family (AVX2, AVX-512, AVX-512 VNNI, AMX; poster_model.cpu),
printed with them: onnxruntime's int8 kernels gain far more where VNNI or AMX multiply-add int8 in one step.
"""
import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import boto3  # noqa: E402
import numpy as np  # noqa: E402
from botocore.config import Config  # noqa: E402
from PIL import Image  # noqa: E402

from chalicelib.image_normalizing import normalize_image  # noqa: E402
from chalicelib.settings import load_settings  # noqa: E402
from devkit.servers import LOCAL_ENDPOINT_NAME, running_model_endpoint  # noqa: E402
from poster_model.cpu import cpu_model_name, int8_instruction_family  # noqa: E402
from poster_model.predictor import PosterClassifier  # noqa: E402
from poster_model.preprocess import image_bytes_to_input  # noqa: E402

SHARED_POSTERS = PROJECT_ROOT.parent / "shared" / "posters" / "images"
TARGET_MEDIAN_MS = 30.0
BASELINE_COMMIT = "42bc3a0"
"""The last commit with the float EfficientNet-Lite2 model that answered class probabilities only."""
TARGET_BASELINE_RATIO = 0.65


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


def as_the_api_sends(posters: list[bytes], stage: str = "dev") -> tuple[list[bytes], str]:
    """Each poster through the API's normalize_image with the stage's limits."""
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    settings = load_settings({**config.get("environment_variables", {}),
                              **config["stages"][stage].get("environment_variables", {})})
    normalized = [normalize_image(data, settings.model_image_max_side, settings.max_image_pixels)
                  for data in posters]
    changed = sum(before != after for before, after in zip(posters, normalized))
    return normalized, (f"normalised as the API does (max side {settings.model_image_max_side} px, "
                        f"{settings.max_image_pixels / 1e6:g} MP): {changed} re-encoded, "
                        f"{len(posters) - changed} sent as they are")


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


def baseline_model(path: Path | None, scratch: Path) -> Path:
    if path:
        return path
    target = scratch / "baseline.onnx"
    try:
        target.write_bytes(subprocess.run(["git", "show", f"{BASELINE_COMMIT}:model/poster_classifier.onnx"],
                                          cwd=PROJECT_ROOT, capture_output=True, check=True).stdout)
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(f"error: cannot read the baseline model from git ({error}); pass --baseline PATH")
    return target


def time_alternately(calls: dict, items, block: int = 10) -> dict[str, list[float]]:
    """Blocks of items through each call in turn, the order flipped every round, so both see the same machine
    load; blocks rather than single items, because onnxruntime's threads spin for a while after each run and
    would otherwise steal the other session's CPU."""
    durations = {name: [] for name in calls}
    names = list(calls)
    for round_number, start in enumerate(range(0, len(items), block)):
        for name in (names if round_number % 2 == 0 else names[::-1]):
            for item in items[start:start + block]:
                started = time.perf_counter()
                calls[name](item)
                durations[name].append(time.perf_counter() - started)
    return durations


def compare_with_baseline(model_path: Path, baseline_path: Path, posters: list[bytes]) -> list[dict]:
    rows = []
    for threads in (1, os.cpu_count() or 1):
        shipped, baseline = PosterClassifier(model_path, threads=threads), PosterClassifier(baseline_path, threads=threads)
        calls = {"shipped": shipped.answer_bytes, "baseline": baseline.predict_bytes}
        time_alternately(calls, posters[:5])
        durations = time_alternately(calls, posters)
        medians = {name: statistics.median(values) * 1000 for name, values in durations.items()}
        ratio = medians["shipped"] / medians["baseline"]
        print(f"{threads} thread(s): shipped median {medians['shipped']:.1f} ms, baseline {medians['baseline']:.1f} ms"
              f" -> {ratio:.2f} x (target <= {TARGET_BASELINE_RATIO})")
        rows.append({"threads": threads, "shipped_ms": round(medians["shipped"], 1),
                     "baseline_ms": round(medians["baseline"], 1), "ratio": round(ratio, 3)})
    return rows


def images_per_second(count: int, run) -> float:
    started = time.perf_counter()
    run()
    return count / (time.perf_counter() - started)


@contextlib.contextmanager
def started_endpoint(model_path: Path):
    """devkit.servers' local endpoint; a clear error (with the end of its log) when it does not start."""
    with tempfile.TemporaryDirectory() as scratch, contextlib.ExitStack() as stack:
        log_path = Path(scratch) / "endpoint.log"
        try:
            url = stack.enter_context(running_model_endpoint(model_path, log_path))
        except (RuntimeError, TimeoutError) as error:
            log_tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
            raise SystemExit(f"error: the local endpoint did not start: {error}\n{log_tail}") from None
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="ONNX model (default model/poster_classifier.onnx)")
    parser.add_argument("--runs", type=int, default=200, help="images per measurement (default %(default)s)")
    parser.add_argument("--batch", type=int, default=16, help="batch size for throughput (default %(default)s)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients (default %(default)s)")
    parser.add_argument("--baseline", type=Path, help=f"model to compare with (default: git {BASELINE_COMMIT}'s)")
    args = parser.parse_args()

    try:
        classifier = PosterClassifier(args.model)
    except Exception as error:  # onnxruntime raises its own exception types for missing or broken files
        raise SystemExit(f"error: cannot load the model: {error}")
    originals, source = load_posters(args.runs)
    posters, normalization = as_the_api_sends(originals)
    print(f"model {classifier.model_path} ({classifier.model_path.stat().st_size / 1e6:.1f} MB, "
          f"input {classifier.width}x{classifier.height}); {source}, {normalization}")
    load, cpus = os.getloadavg()[0], os.cpu_count()
    family = int8_instruction_family()
    print(f"{cpus} CPUs ({cpu_model_name()}; int8 instruction family: {family}), load average {load:.1f}"
          + (": busy machine, figures inflated" if load > cpus else ""))

    with tempfile.TemporaryDirectory() as scratch:
        comparison = compare_with_baseline(classifier.model_path, baseline_model(args.baseline, Path(scratch)),
                                           posters)
    time_each(classifier.answer_bytes, posters[:5])
    in_process = time_each(classifier.answer_bytes, posters)

    def decode_and_predict_in_batches():
        for start in range(0, len(posters), args.batch):
            chunk = posters[start:start + args.batch]
            classifier.outputs(np.concatenate(
                [image_bytes_to_input(data, classifier.height, classifier.width) for data in chunk]))

    batch_rate = images_per_second(len(posters), decode_and_predict_in_batches)
    print(f"in-process, one image  : {percentiles_ms(in_process)}   ({1 / statistics.mean(in_process):.1f} images/s)")
    print(f"in-process, batch {args.batch:<4} : {batch_rate:.1f} images/s (decode included)")

    with started_endpoint(classifier.model_path) as url:
        runtime = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                               aws_access_key_id="bench", aws_secret_access_key="bench",
                               config=Config(retries={"max_attempts": 1},
                                             max_pool_connections=max(10, args.clients)))

        def invoke(data: bytes) -> bytes:
            return runtime.invoke_endpoint(EndpointName=LOCAL_ENDPOINT_NAME, Body=data,
                                           ContentType="application/x-image", Accept="application/json")["Body"].read()

        time_each(invoke, posters[:5])
        over_http = time_each(invoke, posters)

        def invoke_concurrently():
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                list(pool.map(invoke, posters))

        http_rate = images_per_second(len(posters), invoke_concurrently)
    median_ms = statistics.median(in_process) * 1000
    http_ratio = statistics.median(over_http) * 1000 / median_ms
    print(f"HTTP endpoint, one call: {percentiles_ms(over_http)}   ({http_ratio:.2f} x in-process median)")
    print(f"HTTP endpoint, {args.clients} clients: {http_rate:.1f} images/s")
    worst_ratio = max(row["ratio"] for row in comparison)
    verdict = "met" if median_ms <= TARGET_MEDIAN_MS and worst_ratio <= TARGET_BASELINE_RATIO else "MISSED"
    print(f"targets: in-process median {median_ms:.1f} ms <= {TARGET_MEDIAN_MS:.0f} ms, "
          f"{worst_ratio:.2f} x the baseline <= {TARGET_BASELINE_RATIO}: {verdict}")

    def row(measure: str, timings=None, rate=None) -> dict:
        return {"measure": measure,
                "median (ms)": round(statistics.median(timings) * 1000, 1) if timings else "-",
                "x in-process median": round(statistics.median(timings) * 1000 / median_ms, 2) if timings else "-",
                "p95 (ms)": round(float(np.percentile(timings, 95)) * 1000, 1) if timings else "-",
                "images/s": round(rate if rate else 1 / statistics.mean(timings), 1)}

    print("RESULT " + json.dumps({
        "benchmark": "model_latency",
        "target": f"in-process median <= {TARGET_MEDIAN_MS:g} ms and <= {TARGET_BASELINE_RATIO} x the float baseline",
        "verdict": verdict,
        "int8_instruction_family": family,
        "summary": f"{family}: {worst_ratio:.2f} x the float baseline's median (worst of 1 and {os.cpu_count()} "
                   f"threads); "
                   f"one poster in-process, decode included: median {median_ms:.1f} ms, "
                   f"p95 {np.percentile(in_process, 95) * 1000:.1f} ms; batch {args.batch}: "
                   f"{batch_rate:.1f} images/s; one HTTP call {http_ratio:.2f} x in-process",
        "table": [row("in-process, one image", in_process), row(f"in-process, batch {args.batch}", rate=batch_rate),
                  row("HTTP endpoint, one call", over_http),
                  row(f"HTTP endpoint, {args.clients} clients", rate=http_rate)],
        "baseline_comparison": comparison}))


if __name__ == "__main__":
    main()
