"""200 simultaneous requests through the real API (`chalice local`) reach the endpoint once each.

Nothing is retried, neither by the clients nor by the API (one SageMaker attempt), so a refused,
reset or lost request shows up as a failure here. Each client sends a different poster, and
an upright RGB JPEG of model size is forwarded byte for byte, so the bodies the endpoint
received must be exactly the posters sent: none lost, none duplicated, none mixed up.
"""
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from devkit import fake_sagemaker
from devkit.images import encode, poster
from devkit.servers import running_chalice_local

CLIENTS = 200


def listen_queue_overflows() -> int | None:
    """The kernel's count of connections dropped because a listen backlog was full (TcpExt ListenOverflows)."""
    try:
        with open("/proc/net/netstat") as netstat:
            lines = netstat.read().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:]))["ListenOverflows"])
    return None


@pytest.fixture(scope="module")
def sagemaker():
    with fake_sagemaker.running_fake_sagemaker() as fake:
        yield fake


@pytest.fixture(scope="module")
def api(sagemaker, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("load") / "chalice.log"
    with running_chalice_local(sagemaker.url, {"SAGEMAKER_MAX_ATTEMPTS": "1"}, log_path) as url:
        yield url


def test_200_concurrent_requests_all_succeed_and_each_reaches_the_endpoint_once(api, sagemaker):
    posters = [encode(poster(120, 180, seed=seed), "JPEG", quality=80) for seed in range(CLIENTS)]
    assert len(set(posters)) == CLIENTS
    sagemaker.answer([0.3, 0.7])
    sagemaker.invocations.clear()
    start_together = threading.Barrier(CLIENTS)

    def ask(image: bytes):
        request = urllib.request.Request(f"{api}/predict", data=image, headers={"Content-Type": "image/jpeg"})
        start_together.wait()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())
        except OSError as error:
            return None, repr(error)

    overflows_before = listen_queue_overflows()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(ask, posters))
    overflows = None if overflows_before is None else listen_queue_overflows() - overflows_before

    failures = [answer for answer in answers if answer[0] != 200]
    assert failures == [], (f"{len(failures)} of {CLIENTS} requests failed, the first: {failures[0]}; "
                            f"the kernel counted {overflows} listen queue overflows meanwhile")
    assert all(answer["probability"] == 0.7 for _, answer in answers)
    assert sorted(invocation.body for invocation in sagemaker.invocations) == sorted(posters)
