"""Start real servers on free loopback ports for tests, and always stop them; set up what they serve."""
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll url until any HTTP answer comes back; fail early if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def running_process(command: list[str], ready_url: str, env: dict | None = None, log_path: Path | None = None):
    """Run command in its own process group until the block ends; yield the Popen."""
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env={**os.environ, **(env or {})},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_ready(ready_url, process)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if log_path:
            log.close()


def unpack_model_archive(data: bytes, model_dir: Path) -> Path:
    """model.tar.gz's bytes unpacked into model_dir as SageMaker unpacks them into /opt/ml/model."""
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(model_dir, filter="data")
    return model_dir


def stage_environment(stage: str) -> dict:
    """The environment variables .chalice/config.json gives the stage's function: app-wide, then the stage's own."""
    config = read_config(PROJECT_ROOT)
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


LOCAL_ENDPOINT_NAME = stage_variable(PROJECT_ROOT, "local", "SAGEMAKER_ENDPOINT_NAME")
"""The endpoint the local stage's API invokes (.chalice/config.json)."""


@contextlib.contextmanager
def running_chalice_local(sagemaker_url: str, env: dict | None = None, log_path: Path | None = None):
    """The real API: `chalice local --stage local` wired to sagemaker_url; yields the API's base URL."""
    port = free_port()
    command = [str(VENV_BIN / "python"), "-m", "scripts.chalice_local", "local", "--stage", "local",
               "--no-autoreload", "--host", "127.0.0.1", "--port", str(port)]
    environment = {"AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": sagemaker_url, **(env or {})}
    url = f"http://127.0.0.1:{port}"
    with running_process(command, f"{url}/health", environment, log_path):
        yield url


@contextlib.contextmanager
def running_model_endpoint(model_path: Path, log_path: Path | None = None):
    """The local SageMaker-compatible endpoint (poster_model.server); yields its base URL."""
    port = free_port()
    command = [str(VENV_BIN / "python"), "-m", "poster_model.server", "--host", "127.0.0.1",
               "--port", str(port), "--endpoint-name", LOCAL_ENDPOINT_NAME, "--model", str(model_path)]
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
