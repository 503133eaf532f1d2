"""Start the local servers and always stop them: one way for `make run`, the tests and the benchmarks.

Each server runs in a process group of its own and is stopped with its whole group; the tests' and benchmarks'
servers listen on free loopback ports. Also what the servers serve: a stage's environment, an unpacked model archive.
"""
import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.chalice_project import read_config, stage_variable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
LOCAL_ENDPOINT_NAME = stage_variable(PROJECT_ROOT, "local", "SAGEMAKER_ENDPOINT_NAME")
"""The endpoint the local stage's API invokes (.chalice/config.json)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


STARTUP_TIMEOUT_S = 60.0
POLL_S = 0.1


class ServerDidNotStart(RuntimeError):
    """A server exited, or did not answer, while starting."""


def start(command: list[str], env: dict | None = None, log=None) -> subprocess.Popen:
    """command in a process group of its own: a Ctrl-C or a TERM to the starter's group reaches only the starter,
    which stops it (stop()). env is the whole environment (None: this process's); log a file, else our output."""
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT if log is not None else None, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's whole group, SIGKILL after 10 s; returns once the server is reaped."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float = STARTUP_TIMEOUT_S,
                     keep_waiting=lambda: True) -> bool:
    """Poll url until our own process answers it (any HTTP status); ServerDidNotStart if it exits first or never
    answers. False, at once, when keep_waiting() turns false (a stop was asked for meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not keep_waiting():
            return False
        if process.poll() is not None:
            raise ServerDidNotStart(f"exited with status {process.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
        except urllib.error.HTTPError:
            pass
        except OSError:
            time.sleep(POLL_S)
            continue
        if process.poll() is None:
            return True
    raise ServerDidNotStart(f"did not answer {url} within {timeout:g} s")


@contextlib.contextmanager
def running_process(command: list[str], ready_url: str, env: dict | None = None, log_path: Path | None = None):
    """Run command (env on top of this process's environment) until the block ends; yield the Popen once it
    answers ready_url. Its output goes to log_path, or nowhere."""
    with open(log_path, "wb") if log_path else open(os.devnull, "wb") as log:
        process = start(command, {**os.environ, **(env or {})}, log)
        try:
            wait_until_ready(ready_url, process)
            yield process
        finally:
            stop(process)


def model_endpoint_command(host: str, port: int, model_path: Path | None = None) -> list[str]:
    """The local SageMaker-compatible endpoint (poster_model.server) serving LOCAL_ENDPOINT_NAME; the shipped model
    unless model_path."""
    return [str(VENV_BIN / "python"), "-m", "poster_model.server", "--host", host, "--port", str(port),
            "--endpoint-name", LOCAL_ENDPOINT_NAME, *(["--model", str(model_path)] if model_path else [])]


def chalice_local_command(host: str, port: int) -> list[str]:
    """The real API: `chalice local --stage local`, without reloading on edits."""
    return [str(VENV_BIN / "python"), "-m", "scripts.chalice_local", "local", "--stage", "local",
            "--no-autoreload", "--host", host, "--port", str(port)]


def local_store_command(host: str, port: int, journal: Path | None = None) -> list[str]:
    """make run's feedback store (scripts/local_store.py); its journal LOCAL_STORE_JOURNAL's unless given."""
    return [str(VENV_BIN / "python"), "-m", "scripts.local_store", "--host", host, "--port", str(port),
            *(["--journal", str(journal)] if journal else [])]


def unpack_model_archive(data: bytes, model_dir: Path) -> Path:
    """model.tar.gz's bytes unpacked into model_dir as SageMaker unpacks them into /opt/ml/model."""
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(model_dir, filter="data")
    return model_dir


def stage_environment(stage: str) -> dict:
    """The environment variables .chalice/config.json gives the stage's function: app-wide, then the stage's own."""
    config = read_config(PROJECT_ROOT)
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


@contextlib.contextmanager
def running_chalice_local(sagemaker_url: str, env: dict | None = None, log_path: Path | None = None):
    """The real API: `chalice local --stage local` wired to sagemaker_url; yields the API's base URL."""
    port = free_port()
    command = chalice_local_command("127.0.0.1", port)
    environment = {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": sagemaker_url, **(env or {})}
    url = f"http://127.0.0.1:{port}"
    with running_process(command, f"{url}/health", environment, log_path):
        yield url


@contextlib.contextmanager
def running_model_endpoint(model_path: Path, log_path: Path | None = None):
    """The local SageMaker-compatible endpoint (poster_model.server); yields its base URL."""
    port = free_port()
    command = model_endpoint_command("127.0.0.1", port, model_path)
    url = f"http://127.0.0.1:{port}"
    with running_process(command, f"{url}/ping", log_path=log_path):
        yield url


@contextlib.contextmanager
def running_local_stack(model_path: Path, logs: Path):
    """The local stack: the SageMaker-compatible endpoint and `chalice local` wired to it; yields the API's base URL.
    The two servers log to logs/endpoint.log and logs/api.log."""
    with running_model_endpoint(model_path, logs / "endpoint.log") as endpoint_url:
        with running_chalice_local(endpoint_url, log_path=logs / "api.log") as url:
            yield url
