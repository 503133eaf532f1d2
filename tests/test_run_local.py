"""`make run` (scripts/run_local.py): the whole local stack comes up, answers, and always stops completely."""
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.images import poster_jpeg
from tests.servers import PROJECT_ROOT, free_port, running_process, wait_until_ready

REPETITIONS = 20
MAKE_RUN = ["make", "--no-print-directory", "-o", ".venv/.installed", "run"]
"""`make run` as typed, without re-installing the venv should a requirements file be newer than it."""


def stack_ports():
    return {"ENDPOINT_PORT": free_port(), "API_PORT": free_port(), "SITE_PORT": free_port()}


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


@pytest.fixture
def stack(tmp_path):
    """scripts/run_local.py on free ports; whatever the test does, the whole process group is stopped after."""
    ports = stack_ports()
    environment = {name: str(port) for name, port in ports.items()}
    with running_process([sys.executable, "scripts/run_local.py"], f"http://127.0.0.1:{ports['SITE_PORT']}/",
                         environment, tmp_path / "run.log") as process:
        yield process, ports


def test_the_page_api_and_model_answer_together_and_ctrl_c_stops_them_all(stack):
    """The servers run in process groups of their own, so only run_local's own cleanup can stop them."""
    process, ports = stack
    site, api = f"http://127.0.0.1:{ports['SITE_PORT']}", f"http://127.0.0.1:{ports['API_PORT']}"
    config_js = urllib.request.urlopen(f"{site}/config.js").read().decode()
    assert json.dumps(api) in config_js
    with urllib.request.urlopen(f"{site}/app.js") as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
    body = json.dumps({"data": base64.b64encode(poster_jpeg()).decode()}).encode()
    request = urllib.request.Request(f"{api}/predict", body, {"Content-Type": "application/json"})
    answer = json.loads(urllib.request.urlopen(request, timeout=30).read())
    assert answer["label"] in ("thriller/crime", "not thriller")

    os.kill(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 0
    for port in ports.values():
        assert port_is_closed(port)


def test_the_page_may_connect_only_to_itself_and_the_local_api(stack):
    _, ports = stack
    site = f"http://127.0.0.1:{ports['SITE_PORT']}"
    for path in ("/", "/index.html"):
        page = urllib.request.urlopen(f"{site}{path}").read().decode()
        assert f"connect-src 'self' http://127.0.0.1:{ports['API_PORT']};" in page
        assert "http: https:" not in page


def signal_make_run(process, how):
    if how == "SIGINT to its process group":  # Ctrl-C in a terminal
        os.killpg(process.pid, signal.SIGINT)
    elif how == "SIGTERM to make alone":  # kill PID: make forwards it to run_local
        os.kill(process.pid, signal.SIGTERM)
    else:  # a service manager, or kill -- -PGID: run_local gets it twice, from the kernel and from make
        os.killpg(process.pid, signal.SIGTERM)


@pytest.mark.parametrize("how", ["SIGINT to its process group", "SIGTERM to make alone",
                                 "SIGTERM to its process group"])
def test_make_run_stops_completely_every_time(tmp_path, how):
    """make's own exit status tells nothing (it dies of the signal it forwarded): what counts is that
    run_local stopped in order and left nothing behind. Same ports every round: a server left holding one
    would also make the next round refuse to start."""
    ports = stack_ports()
    for round_number in range(REPETITIONS):
        log_path = tmp_path / f"round-{round_number}.log"
        with make_run(ports, log_path) as process:
            wait_until_ready(f"http://127.0.0.1:{ports['SITE_PORT']}/", process)
            signal_make_run(process, how)
            process.wait(timeout=60)
            left_behind = processes_serving(ports)
        log = log_path.read_text(errors="replace")
        assert not left_behind, f"round {round_number}: servers left running\n{log}"
        assert all(port_is_closed(port) for port in ports.values()), f"round {round_number}\n{log}"
        assert "Stopping..." in log and "Traceback" not in log, f"round {round_number}\n{log}"


@pytest.mark.parametrize("taken", ["ENDPOINT_PORT", "API_PORT", "SITE_PORT"])
def test_a_taken_port_is_refused_at_once_by_name_before_any_banner(tmp_path, taken):
    ports = stack_ports()
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", ports[taken]))
        stranger.listen()
        with make_run(ports, tmp_path / "run.log") as process:
            status = process.wait(timeout=30)
            started = processes_serving(ports)
    log = (tmp_path / "run.log").read_text()
    assert status != 0
    assert f"Port {ports[taken]} ({taken}) on 127.0.0.1 is already in use" in log
    assert "open this" not in log and "Traceback" not in log
    assert started == []


def test_two_servers_on_one_port_are_refused(tmp_path):
    ports = stack_ports()
    ports["SITE_PORT"] = ports["API_PORT"]
    with make_run(ports, tmp_path / "run.log") as process:
        assert process.wait(timeout=30) != 0
    assert f"SITE_PORT and API_PORT are both {ports['API_PORT']}" in (tmp_path / "run.log").read_text()
