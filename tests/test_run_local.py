"""`make run` (scripts/run_local.py): the whole local stack comes up, answers, and always stops completely."""
import base64
import json
import os
import signal
import socket
import sys
import urllib.request

import pytest

from devkit.images import poster_jpeg
from devkit.make_run import make_run, port_is_closed, processes_serving, stack_ports
from devkit.servers import running_process, wait_until_ready

REPETITIONS = 20


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
    assert answer["verdict"] in ("thriller/crime", "hard to tell", "not thriller", "not a poster")

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
