"""Issue 12's hostile images through the Lambda handler as deployed, each in a process of its own.

Each image goes to POST /predict as API Gateway's REST proxy integration hands it to Lambda (binary
bodies base64-encoded, isBase64Encoded true; see devkit/lambda_handler.py). Each gets its status, a
JSON body and the CORS header, and neither the request's CPU-seconds nor the process's peak memory
passes the budget that keeps a 512 MB function alive: 2 CPU-seconds here (about 6 s on the
function's share of a vCPU, inside its 25 s timeout) and 400 MB peak resident memory.
"""
import pytest

from devkit.fake_sagemaker import running_fake_sagemaker
from devkit.hostile_images import CASES, MAX_CPU_SECONDS, MAX_PEAK_MB
from devkit.lambda_handler import handler_call


@pytest.fixture(scope="module")
def sagemaker():
    with running_fake_sagemaker() as fake:
        fake.answer([0.3, 0.7])
        yield fake


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_hostile_image_gets_its_answer_within_the_cpu_and_memory_budget(sagemaker, case):
    answer = handler_call(case.build(), case.content_type, sagemaker.url)

    assert answer.status == case.status, answer.body
    # API Gateway's proxy integration answers application/json when the function names no Content-Type.
    assert answer.headers.get("Content-Type", "application/json") == "application/json"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    body = answer.json()
    if case.status == 413:
        assert set(body) == {"error", "message"} and body["error"] == "PayloadTooLarge"
        assert body["message"].startswith("image is too")
    else:
        assert body["label"] in ("thriller/crime", "not thriller")
    assert answer.cpu_seconds <= MAX_CPU_SECONDS
    assert answer.peak_mb <= MAX_PEAK_MB


def test_the_413_for_a_huge_header_quotes_the_apps_pixel_limit(sagemaker):
    answer = handler_call(next(case for case in CASES if case.id == "png-claiming-100000x100000").build(),
                          "image/png", sagemaker.url)
    assert answer.json()["message"] == ("image is too large: 100000x100000 pixels; "
                                        "at most 40,000,000 pixels are accepted")
