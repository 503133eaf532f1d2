"""A real HTTP server that speaks the SageMaker runtime protocol and misbehaves on request.

It stands in for SageMaker itself, which cannot run here; the app reaches it through
boto3's AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME exactly as it would reach AWS.
"""
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Behaviour:
    """What the next invocations get: a status, an optional x-amzn-ErrorType, a body, a delay."""
    status: int = 200
    body: bytes = b"[0.3, 0.7]"
    error_type: str | None = None
    delay_s: float = 0.0


@dataclass
class Invocation:
    path: str
    headers: dict
    body: bytes


@dataclass
class FakeSageMaker:
    url: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    invocations: list = field(default_factory=list)

    def answer(self, probabilities) -> None:
        self.behaviour = Behaviour(body=json.dumps(probabilities).encode())

    def fail(self, status: int, error_type: str | None, message: str = "failure") -> None:
        self.behaviour = Behaviour(status=status, error_type=error_type,
                                   body=json.dumps({"message": message}).encode())

    def delay(self, seconds: float) -> None:
        self.behaviour = Behaviour(delay_s=seconds)


class BurstProofServer(ThreadingHTTPServer):
    """Not under test itself: give it a listen backlog like a real endpoint's, not Python's default 5."""
    request_queue_size = 1024
    daemon_threads = True


@contextlib.contextmanager
def running_fake_sagemaker():
    fake = FakeSageMaker(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            fake.invocations.append(Invocation(self.path, dict(self.headers), body))
            behaviour = fake.behaviour
            time.sleep(behaviour.delay_s)
            self.send_response(behaviour.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(behaviour.body)))
            if behaviour.error_type:
                self.send_header("x-amzn-ErrorType", behaviour.error_type)
            else:
                self.send_header("x-Amzn-Invoked-Production-Variant", "AllTraffic")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(behaviour.body)

        def log_message(self, *_):
            pass

    server = BurstProofServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
