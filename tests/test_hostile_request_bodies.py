"""Request bodies that cost the parser far more than their size says, and images whose cost only the decode
ceiling stops (issue 19), through the Lambda handler as deployed, each in a process of its own
(devkit/lambda_handler.py): each gets its documented 400 as JSON with the CORS header, within 2 CPU-seconds
and 400 MB peak, the decoding worker included."""
import pytest

from devkit.fake_sagemaker import running_fake_sagemaker
from devkit.hostile_images import CEILING_CASES, MAX_CPU_SECONDS, MAX_PEAK_MB, REQUEST_CASES
from devkit.lambda_handler import handler_call


@pytest.fixture(scope="module")
def sagemaker():
    with running_fake_sagemaker() as fake:
        fake.answer([0.3, 0.7])
        yield fake


CASES = REQUEST_CASES + CEILING_CASES


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_hostile_body_gets_its_answer_within_the_cpu_and_memory_budget(sagemaker, case):
    answer = handler_call(case.build(), case.content_type, sagemaker.url)

    assert answer.status == case.status, answer.body
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.json()["error"] == "BadRequest"
    assert answer.json()["message"].startswith(
        "data URL" if case in REQUEST_CASES else "the data is not an image that can be decoded")
    assert answer.cpu_seconds <= MAX_CPU_SECONDS
    assert answer.peak_mb <= MAX_PEAK_MB
