"""How many requests per second one instance of each offered SageMaker type serves: the basis of the
auto-scaling targets in scripts/model_deploy/scaling.py and docs/deploy.md's "How many instances".

    .venv/bin/python bench/endpoint_throughput.py [--seconds 20]

The local endpoint (poster_model.server, the same invocation code as the container) is pinned to one CPU with
`taskset` (one onnxruntime thread), driven by 4 keep-alive clients pinned to the other CPUs, on the JPEGs the
API sends. Requests answered per CPU-second the endpoint process used is the rate of one vCPU it would have to
itself: a busy machine slows the wall clock, not that figure (the wall-clock rate is printed too). An instance's figure is that times its vCPUs times the
share of a vCPU it may use for long: 0.6 for ml.c5/ml.m5 (a vCPU there is one hyperthread: two make about 1.2
cores of work, where a vCPU here is a whole core); 0.2 for ml.t2.medium (its CPU-credit baseline: bursts above it
run out of credits within the hour). The assumptions, stated: a core there is as fast as one here for this model,
and TorchServe in the AWS image costs no more per request than the local endpoint's waitress; measure your own
instance type (the endpoint's CloudWatch ModelLatency and CPUUtilization) before trusting more.
"""
import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import aiohttp  # noqa: E402

from bench.model_latency import generated_posters  # noqa: E402
from chalicelib.image_normalizing import normalize_image  # noqa: E402
from chalicelib.settings import load_settings  # noqa: E402
from devkit.servers import LOCAL_ENDPOINT_NAME, VENV_BIN, free_port, running_process  # noqa: E402
from poster_model.predictor import DEFAULT_MODEL_PATH  # noqa: E402

CLIENTS = 4
INSTANCE_TYPES = {
    # type: (vCPUs, share of each vCPU available for long)
    "ml.t2.medium": (2, 0.2),
    "ml.c5.large": (2, 0.6),
    "ml.c5.xlarge": (4, 0.6),
    "ml.m5.large": (2, 0.6),
    "ml.m5.xlarge": (4, 0.6),
}


async def drive(url: str, bodies: list[bytes], seconds: float) -> tuple[int, int, float]:
    """(answered, failed, elapsed) for CLIENTS clients posting until `seconds` have passed."""
    headers = {"Content-Type": "application/x-image", "Accept": "application/json"}
    counts = {"answered": 0, "failed": 0}
    deadline = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession, offset: int) -> None:
        number = offset
        while time.monotonic() < deadline:
            async with session.post(url, data=bodies[number % len(bodies)], headers=headers) as response:
                await response.read()
                counts["answered" if response.status == 200 else "failed"] += 1
            number += CLIENTS

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, offset) for offset in range(CLIENTS)))
        return counts["answered"], counts["failed"], time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("error: needs two CPUs: one for the endpoint, one for the clients")
    settings = load_settings({"SAGEMAKER_ENDPOINT_NAME": LOCAL_ENDPOINT_NAME})
    bodies = [normalize_image(poster, settings.model_image_max_side, settings.max_image_pixels)
              for poster in generated_posters(16)]
    os.sched_setaffinity(0, cpus[1:])
    port = free_port()
    command = ["taskset", "-c", str(cpus[0]), str(VENV_BIN / "python"), "-m", "poster_model.server", "--host",
               "127.0.0.1", "--port", str(port), "--endpoint-name", LOCAL_ENDPOINT_NAME, "--model",
               str(DEFAULT_MODEL_PATH), "--threads", str(CLIENTS), "--model-threads", "1"]
    url = f"http://127.0.0.1:{port}/endpoints/{LOCAL_ENDPOINT_NAME}/invocations"
    with tempfile.TemporaryDirectory() as scratch, \
            running_process(command, f"http://127.0.0.1:{port}/ping", log_path=Path(scratch) / "endpoint.log") \
            as endpoint:
        asyncio.run(drive(url, bodies, 3.0))
        cpu_before = cpu_seconds(endpoint.pid)
        answered, failed, elapsed = asyncio.run(drive(url, bodies, args.seconds))
        used = cpu_seconds(endpoint.pid) - cpu_before
    per_vcpu = answered / used
    print(f"one vCPU of this machine: {per_vcpu:.1f} requests per CPU-second ({answered} answered, {failed} failed, "
          f"{used:.1f} CPU-s); wall clock {answered / elapsed:.1f} requests/s, load average "
          f"{os.getloadavg()[0]:.1f}")
    table = []
    for instance_type, (vcpus, share) in INSTANCE_TYPES.items():
        rate = per_vcpu * vcpus * share
        table.append({"instance type": instance_type, "vCPUs": vcpus, "vCPU share": share,
                      "requests/s": round(rate, 1), "scaling target (invocations/min)": round(rate * 60 * 0.5)})
        print(f"{instance_type:>14}: {rate:6.1f} requests/s")
    print("RESULT " + json.dumps({
        "benchmark": "endpoint_throughput",
        "summary": f"one vCPU: {per_vcpu:.1f} requests per CPU-second; so about " + ", ".join(
            f"{row['instance type']} {row['requests/s']}/s" for row in table) + " (assumptions in the script)",
        "table": table}))


if __name__ == "__main__":
    main()
