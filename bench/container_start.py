"""The model container's start-up before and after the wheels moved into model.tar.gz: requirements install,
model load and the first answer, on the image's Python, in a fresh virtual environment each time, as the serverless
endpoint's first request after idling meets it; compared with how long the stage's API waits.

    .venv/bin/python bench/container_start.py [--runs 2] [--cpus 2] [--stage dev]

before: `pip install` of the serving pins from the package index (what code/requirements.txt did until the wheels
were shipped; no pip cache, as in a new container). after: the archive's own code/requirements.txt (--no-index,
--find-links wheels) with the network forbidden (`unshare -n`). Both then load the model with the shipped
code/inference.py's model_fn and answer one poster with its transform_fn, as the first invocation does. Every step
runs on --cpus CPUs (taskset), the container's share rather than this whole machine. The image's Python comes
from pyenv or PATH; the AWS image's own start (image pull, TorchServe start) is not here, is the same for both, and
comes on top of what the first visitor waits for.
"""
import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from devkit.interpreters import NO_PIP_CONFIGURATION, interpreter  # noqa: E402
from poster_model.predictor import DEFAULT_MODEL_PATH  # noqa: E402
from scripts.model_deploy import images, wheelhouse  # noqa: E402
from scripts.model_deploy.archive import build_model_archive  # noqa: E402
from scripts.model_deploy.deployment import stage_gives_up_after_s  # noqa: E402

FIRST_ANSWER = ("import json, sys, time; started = time.perf_counter(); import inference; "
                "model = inference.model_fn(sys.argv[1]); loaded = time.perf_counter(); "
                "inference.transform_fn(model, open(sys.argv[2], 'rb').read(), 'application/x-image', "
                "'application/json'); print(json.dumps([loaded - started, time.perf_counter() - loaded]))")
"""Load the model, then answer one poster: the container's own timings of both steps."""
POSTER = PROJECT_ROOT / "static" / "examples" / "night-shift.jpg"


def timed(command: list[str], **kwargs) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children): on a busy machine the wall clock stretches."""
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started, children_cpu_seconds() - cpu_before


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_start(python: str, model_dir: Path, offline: bool, cpus: int) -> tuple[tuple[float, float], float, float]:
    """((wall, CPU) of the install, model load s, first answer s) in a fresh virtual environment on cpus CPUs."""
    environment = {**os.environ, **NO_PIP_CONFIGURATION}
    on_cpus = ["taskset", "-c", f"0-{cpus - 1}"]
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [*on_cpus, str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir"]
        if offline:
            install = timed(["unshare", "-n", *pip, "-r", str(model_dir / "code" / "requirements.txt")],
                            env=environment)
        else:
            install = timed([*pip, *wheelhouse.serving_requirements()], env=environment)
        answered = subprocess.run(
            ["unshare", "-n", *on_cpus, str(venv / "bin" / "python"), "-c", FIRST_ANSWER, str(model_dir),
             str(POSTER)], cwd=model_dir / "code", env={**environment, "PYTHONPATH": str(model_dir / "code")},
            check=True, capture_output=True, text=True)
        load, first_answer = json.loads(answered.stdout.splitlines()[-1])
    return install, load, first_answer


def first_visitor(stage: str, measured_s: float, gives_up_s: float) -> str:
    """What the first request after idling gets, as far as the measured part of a cold start decides it."""
    if measured_s >= gives_up_s:
        return (f"stage {stage} gives up after {gives_up_s:g} s, so a serverless cold start's first visitor gets an "
                f"error")
    return (f"stage {stage} gives up after {gives_up_s:g} s, so a serverless cold start's first visitor gets an answer "
            f"only if the image pull and model server start fit in the remaining {gives_up_s - measured_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=2, help="CPUs the container gets (default: 2, an ml.c6i.large)")
    parser.add_argument("--stage", default="dev", help="stage whose read timeout the start is compared with")
    args = parser.parse_args()
    cpus = min(args.cpus, os.cpu_count() or 1)
    image = images.DEFAULT_IMAGE
    python = interpreter(image.python)
    if python is None:
        raise SystemExit(f"error: Python {image.python} (the image's) is not on this machine")
    archive = build_model_archive(DEFAULT_MODEL_PATH, wheelhouse.download_wheels(image.python, image.glibc))
    table = []
    with tempfile.TemporaryDirectory() as model_dir:
        with tarfile.open(fileobj=io.BytesIO(archive.data)) as unpacked:
            unpacked.extractall(model_dir, filter="data")
        for offline in (False, True):
            runs = [one_start(python, Path(model_dir), offline, cpus) for _ in range(args.runs)]
            install = statistics.median(run[0][0] for run in runs)
            install_cpu = statistics.median(run[0][1] for run in runs)
            load, first_answer = (statistics.median(run[step] for run in runs) for step in (1, 2))
            row = {"start": "after: wheels in model.tar.gz, no network" if offline else "before: pip from the index",
                   "install (s)": round(install, 1), "install CPU (s)": round(install_cpu, 1),
                   "model load (s)": round(load, 2), "first answer (s)": round(first_answer, 2),
                   "total (s)": round(install + load + first_answer, 1)}
            table.append(row)
            print(row, flush=True)
    before, after = table[0]["total (s)"], table[1]["total (s)"]
    gives_up = stage_gives_up_after_s(args.stage)
    print("RESULT " + json.dumps({
        "benchmark": "container_start",
        "summary": f"install + model load + first answer on Python {image.python}, {cpus} CPUs: {before} s from the "
                   f"index, {after} s from the archive's wheels with no network ({len(archive.data) / 1e6:.0f} MB "
                   f"archive), before the image pull and model server start; "
                   f"{first_visitor(args.stage, after, gives_up)}; load average {os.getloadavg()[0]:.1f}",
        "table": table}))


if __name__ == "__main__":
    main()
