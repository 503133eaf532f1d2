"""A control character in a request's URL (a %0a in the endpoint name) cannot forge lines in the local endpoint's log."""
import json
import logging
import urllib.error
import urllib.request

import pytest

from poster_model.log_safety import OneLineFormatter, escape_control_characters
from tests.onnx_models import model_path_for_tests
from tests.servers import running_model_endpoint

FORGED = "x%0a%0d2026-01-01%20INFO%20forged%e2%80%ae"
"""An endpoint name holding a newline, a carriage return, a made-up log line and a right-to-left override."""


def request_log_lines(log_path, marker):
    """The JSON request lines of the log mentioning marker, decoded."""
    return [json.loads(line) for line in log_path.read_text().splitlines()
            if line.startswith("{") and marker in line]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    directory = tmp_path_factory.mktemp("endpoint")
    with running_model_endpoint(model_path_for_tests(directory), directory / "endpoint.log") as url:
        yield url, directory / "endpoint.log"


def test_a_forged_endpoint_name_stays_inside_its_own_log_line(endpoint):
    url, log_path = endpoint
    request = urllib.request.Request(f"{url}/endpoints/{FORGED}/invocations", b"x",
                                     {"Content-Type": "application/x-image"})
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=30)
    lines = [line for line in log_path.read_text().splitlines() if "forged" in line]
    assert len(lines) == 1
    [record] = request_log_lines(log_path, "forged")
    for field in ("message", "endpoint"):  # what a reader of the decoded JSON (jq -r .message) sees
        assert "\n" not in record[field] and "\r" not in record[field] and "\u202e" not in record[field]
    assert "x\\x0a\\x0d2026-01-01 INFO forged\\u202e" in record["endpoint"]


def test_escaping_keeps_text_readable_and_unambiguous():
    assert escape_control_characters("GET /ping") == "GET /ping"
    assert escape_control_characters("a\nb\tc\\n") == "a\\x0ab\\x09c\\\\n"
    assert escape_control_characters("caf\u00e9 \u2028") == "caf\u00e9 \\u2028"


def test_text_log_lines_are_one_line_whatever_the_message():
    record = logging.LogRecord("waitress", logging.ERROR, __file__, 1, "Exception while serving %s",
                               ("/x\nFAKE line",), None)
    assert "\n" not in OneLineFormatter("%(levelname)s %(message)s").format(record)
