"""`make run` keeps visitors' feedback across a restart (devkit/make_run.py ends it with a SIGKILL of the whole
stack), with no AWS account: the answer given before is still there afterwards (a second answer to the same
prediction is refused, so its id still verifies: the key survived too) and the report counts it."""
import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request

from devkit.images import poster_jpeg
from devkit.make_run import make_run, stack_ports
from devkit.servers import wait_until_ready


def post(url: str, document: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(document).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_feedback_given_before_a_restart_is_kept_and_counted(tmp_path, monkeypatch):
    journal = tmp_path / "journal.jsonl"
    monkeypatch.setenv("LOCAL_STORE_JOURNAL", str(journal))
    ports = stack_ports()
    api = f"http://127.0.0.1:{ports['API_PORT']}"
    with make_run(ports, tmp_path / "first.log") as process:
        wait_until_ready(f"http://127.0.0.1:{ports['SITE_PORT']}/", process)
        status, answer = post(f"{api}/predict", {"data": base64.b64encode(poster_jpeg()).decode()})
        assert status == 200
        assert post(f"{api}/feedback", {"prediction_id": answer["prediction_id"], "answer": "yes"})[0] == 200
    with make_run(ports, tmp_path / "second.log") as process:
        wait_until_ready(f"http://127.0.0.1:{ports['SITE_PORT']}/", process)
        status, refusal = post(f"{api}/feedback", {"prediction_id": answer["prediction_id"], "answer": "no"})
        assert (status, refusal["error"]) == (409, "AlreadyAnswered")
    report = subprocess.run([sys.executable, "scripts/feedback_report.py", "--stage", "local"],
                            capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("Stage local: 1 answers")
