"""`make run` as a test starts it: in a session of its own, on free ports, and never outliving the test."""
import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

from devkit.servers import PROJECT_ROOT, free_port

MAKE_RUN = ["make", "--no-print-directory", "-o", ".venv/.installed", "run"]
"""`make run` as typed, without re-installing the venv should a requirements file be newer than it."""


def stack_ports():
    return {"ENDPOINT_PORT": free_port(), "API_PORT": free_port(), "SITE_PORT": free_port(), "STORE_PORT": free_port()}


def processes_serving(ports) -> list[int]:
    """Pids of any process whose command line holds `--port N` for one of ports: a server left behind."""
    wanted = {f"--port\0{port}\0" for port in ports.values()}
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                command_line = (entry / "cmdline").read_text()
                if any(argument in command_line for argument in wanted):
                    found.append(int(entry.name))
    return found


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@contextlib.contextmanager
def make_run(ports, log_path):
    """`make run` in a session of its own (as a terminal or a service manager starts it); yields the Popen.

    Whatever happens, nothing it started outlives the block.
    """
    with open(log_path, "wb") as log:
        process = subprocess.Popen(MAKE_RUN, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, **{name: str(port) for name, port in ports.items()}},
                                   start_new_session=True)
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            for pid in processes_serving(ports):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
