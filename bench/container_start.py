"""The model container's start-up before and after the wheels moved into model.tar.gz: requirements install
plus model load, on the image's Python, in a fresh virtual environment each time.

    .venv/bin/python bench/container_start.py [--runs 2]

before: `pip install` of the serving pins from the package index (what code/requirements.txt did until the wheels
were shipped; no pip cache, as in a new container). after: the archive's own code/requirements.txt (--no-index,
--find-links wheels) with the network forbidden (`unshare -n`). Both then load the model with the shipped
code/inference.py's model_fn. The image's Python comes from pyenv or PATH; the AWS image's own start (image pull,
TorchServe start) is not here and is the same for both.
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

from poster_model.predictor import DEFAULT_MODEL_PATH  # noqa: E402
from scripts.model_deploy import images, wheelhouse  # noqa: E402
from scripts.model_deploy.archive import build_model_archive  # noqa: E402
from tests.test_model_archive_install import NO_PIP_CONFIGURATION, interpreter  # noqa: E402

LOAD_MODEL = "import sys, inference; inference.model_fn(sys.argv[1])"


def timed(command: list[str], **kwargs) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its children): on a busy machine the wall clock stretches."""
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started, children_cpu_seconds() - cpu_before


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_start(python: str, model_dir: Path, offline: bool) -> tuple[tuple[float, float], tuple[float, float]]:
    """((wall, CPU) of the install, (wall, CPU) of the model load) in a fresh virtual environment."""
    environment = {**os.environ, **NO_PIP_CONFIGURATION}
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir"]
        if offline:
            install = timed(["unshare", "-n", *pip, "-r", str(model_dir / "code" / "requirements.txt")],
                            env=environment)
        else:
            install = timed([*pip, *wheelhouse.serving_requirements()], env=environment)
        load = timed(["unshare", "-n", str(venv / "bin" / "python"), "-c", LOAD_MODEL, str(model_dir)],
                     cwd=model_dir / "code", env={**environment, "PYTHONPATH": str(model_dir / "code")})
    return install, load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
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
            runs = [one_start(python, Path(model_dir), offline) for _ in range(args.runs)]
            install, load = (statistics.median(run[step][0] for run in runs) for step in (0, 1))
            install_cpu = statistics.median(run[0][1] for run in runs)
            row = {"start": "after: wheels in model.tar.gz, no network" if offline else "before: pip from the index",
                   "install (s)": round(install, 1), "install CPU (s)": round(install_cpu, 1),
                   "model load (s)": round(load, 2), "total (s)": round(install + load, 1)}
            table.append(row)
            print(row, flush=True)
    before, after = table[0]["total (s)"], table[1]["total (s)"]
    print("RESULT " + json.dumps({
        "benchmark": "container_start",
        "summary": f"install + model load on Python {image.python}: {before} s from the index, {after} s from the "
                   f"archive's wheels with no network ({len(archive.data) / 1e6:.0f} MB archive); load average "
                   f"{os.getloadavg()[0]:.1f}",
        "table": table}))


if __name__ == "__main__":
    main()
