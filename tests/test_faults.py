"""Every way the model endpoint can fail, through the real API (`chalice local`).

Each fault gets its documented status, a JSON error with CORS headers, within the time the
configured timeouts and retries allow; once the fault clears, the very next request succeeds.
tests/test_api_local.py already checks the throttling retry count, the slow endpoint's 504
and recovery after an InternalFailure; this module adds the other faults and recovery from each.
"""
import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import pytest

from devkit.fake_sagemaker import Behaviour, FakeSageMaker, running_fake_sagemaker
from devkit.images import poster_jpeg
from devkit.servers import free_port, running_chalice_local

CONNECT_TIMEOUT_S = 1
READ_TIMEOUT_S = 2
MAX_ATTEMPTS = 2
TIME_LIMIT_S = 29
"""API Gateway's integration timeout: an answer after it never reaches the page as ours."""


class FaultyLink:
    """A TCP relay between the API and the endpoint that can refuse connections or drop them.

    Down: nothing listens on its port (connection refused), as when the endpoint's host is gone.
    Dropping: it takes each request and closes the connection unanswered, as a crashing container does.
    """

    def __init__(self, target_url: str):
        target = urlsplit(target_url)
        self.target = (target.hostname, target.port)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dropping = False
        self.listener: socket.socket | None = None
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()

    def come_up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self.accept_forever, args=(listener,), daemon=True).start()

    def go_down(self) -> None:
        """Stop listening and cut every open connection, pooled keep-alive ones included."""
        if self.listener:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() that close() alone would leave blocked
            self.listener.close()
            self.listener = None
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def restore(self) -> None:
        self.dropping = False
        if self.listener is None:
            self.come_up()

    def accept_forever(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client: socket.socket) -> None:
        if self.dropping:
            with client:
                client.recv(65536)
            return
        with client, socket.create_connection(self.target) as upstream:
            with self.lock:
                self.connections.update((client, upstream))
            pump = threading.Thread(target=self.pump, args=(upstream, client), daemon=True)
            pump.start()
            self.pump(client, upstream)
            pump.join()
            with self.lock:
                self.connections.difference_update((client, upstream))

    @staticmethod
    def pump(source: socket.socket, destination: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                destination.sendall(data)
        with contextlib.suppress(OSError):
            destination.shutdown(socket.SHUT_WR)


@dataclass
class Fault:
    id: str
    start: Callable[[FakeSageMaker, FaultyLink], None]
    status: int
    error: str


def answering(body: bytes) -> Callable[[FakeSageMaker, FaultyLink], None]:
    def start(sagemaker, _link):
        sagemaker.behaviour = Behaviour(body=body)
    return start


def failing(status: int, error_type: str | None) -> Callable[[FakeSageMaker, FaultyLink], None]:
    return lambda sagemaker, _link: sagemaker.fail(status, error_type, f"simulated {error_type or status}")


def dropping_connections(_sagemaker, link: FaultyLink) -> None:
    link.dropping = True


FAULTS = [
    Fault("slow-past-the-read-timeout", lambda sagemaker, _link: sagemaker.delay(READ_TIMEOUT_S * 3),
          504, "EndpointTimeout"),
    Fault("endpoint-down", lambda _sagemaker, link: link.go_down(), 503, "EndpointUnavailable"),
    Fault("connection-dropped-unanswered", dropping_connections, 503, "EndpointUnavailable"),
    Fault("throttling", failing(400, "ThrottlingException"), 503, "EndpointUnavailable"),
    Fault("model-not-ready", failing(429, "ModelNotReadyException"), 503, "EndpointUnavailable"),
    Fault("service-unavailable", failing(503, "ServiceUnavailable"), 503, "EndpointUnavailable"),
    Fault("endpoint-not-found", failing(400, "ValidationError"), 503, "EndpointUnavailable"),
    Fault("model-error", failing(424, "ModelError"), 502, "ModelFailed"),
    Fault("bare-500-without-error-type", failing(500, None), 502, "ModelFailed"),
    Fault("answer-with-one-probability", answering(b"[1.0]"), 502, "ModelFailed"),
    Fault("answer-with-three-probabilities", answering(b"[0.2, 0.3, 0.5]"), 502, "ModelFailed"),
    Fault("answer-as-an-object", answering(b'{"predictions": [0.3, 0.7]}'), 502, "ModelFailed"),
    Fault("answer-as-strings", answering(b'["0.3", "0.7"]'), 502, "ModelFailed"),
    Fault("answer-not-summing-to-one", answering(b"[0.6, 0.6]"), 502, "ModelFailed"),
    Fault("answer-out-of-range", answering(b"[-0.5, 1.5]"), 502, "ModelFailed"),
    Fault("answer-with-nan", answering(b"[NaN, 1.0]"), 502, "ModelFailed"),
    Fault("answer-not-json", answering(b"<html>Internal error</html>"), 502, "ModelFailed"),
    Fault("answer-empty", answering(b""), 502, "ModelFailed"),
]


@pytest.fixture(scope="module")
def sagemaker():
    with running_fake_sagemaker() as fake:
        yield fake


@pytest.fixture(scope="module")
def link(sagemaker):
    faulty_link = FaultyLink(sagemaker.url)
    faulty_link.come_up()
    yield faulty_link
    faulty_link.go_down()


@pytest.fixture(scope="module")
def api(link, tmp_path_factory):
    env = {"SAGEMAKER_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_S), "SAGEMAKER_READ_TIMEOUT": str(READ_TIMEOUT_S),
           "SAGEMAKER_MAX_ATTEMPTS": str(MAX_ATTEMPTS)}
    with running_chalice_local(link.url, env, tmp_path_factory.mktemp("faults") / "chalice.log") as url:
        yield url


@pytest.fixture(autouse=True)
def healthy_endpoint(sagemaker, link):
    sagemaker.answer([0.3, 0.7])
    link.restore()


def post_poster(api: str):
    """(status, headers, JSON answer, seconds taken)."""
    request = urllib.request.Request(f"{api}/predict", data=poster_jpeg(),
                                     headers={"Content-Type": "image/jpeg", "Origin": "http://127.0.0.1:8001"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    return status, headers, json.loads(body), time.monotonic() - started


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.id for fault in FAULTS])
def test_each_fault_gets_its_documented_error_in_time_and_the_next_request_succeeds(api, sagemaker, link, fault):
    fault.start(sagemaker, link)
    status, headers, answer, seconds = post_poster(api)

    assert (status, answer["error"]) == (fault.status, fault.error), answer["message"]
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert seconds < TIME_LIMIT_S

    sagemaker.answer([0.8, 0.2])
    link.restore()
    status, _, answer, _ = post_poster(api)
    assert (status, answer["label"]) == (200, "not thriller")


def test_a_slow_answer_within_the_read_timeout_is_not_cut_off(api, sagemaker):
    sagemaker.delay(READ_TIMEOUT_S / 4)
    status, _, answer, _ = post_poster(api)
    assert (status, answer["probability"]) == (200, 0.7)


def test_the_link_relays_when_no_fault_is_set(api, sagemaker):
    """The relay itself must not be what fails or succeeds: healthy, every request goes through it."""
    sagemaker.invocations.clear()
    assert post_poster(api)[0] == 200
    assert len(sagemaker.invocations) == 1
