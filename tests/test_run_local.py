"""`make run` (scripts/run_local.py): the whole local stack comes up, answers, and stops on Ctrl-C."""
import base64
import json
import os
import signal
import sys
import urllib.request

import pytest

from tests.images import poster_jpeg
from tests.servers import free_port, running_process


@pytest.fixture
def stack(tmp_path):
    """make run on free ports; whatever the test does, the whole process group is stopped after."""
    ports = {"ENDPOINT_PORT": free_port(), "API_PORT": free_port(), "SITE_PORT": free_port()}
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
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
