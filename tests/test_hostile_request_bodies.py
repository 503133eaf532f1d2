"""Request bodies that cost the parser far more than their size says (issue 19), through the Lambda handler
as deployed, each in a process of its own (tests/lambda_handler.py): each gets its documented 4xx as JSON
with the CORS header, within 2 CPU-seconds and 400 MB peak."""
import pytest

from tests.fake_sagemaker import running_fake_sagemaker
from tests.hostile_images import MAX_CPU_SECONDS, MAX_PEAK_MB, REQUEST_CASES
from tests.lambda_handler import handler_call


@pytest.fixture(scope="module")
def sagemaker():
    with running_fake_sagemaker() as fake:
        fake.answer([0.3, 0.7])
        yield fake


@pytest.mark.parametrize("case", REQUEST_CASES, ids=[case.id for case in REQUEST_CASES])
def test_each_hostile_body_gets_its_answer_within_the_cpu_and_memory_budget(sagemaker, case):
    answer = handler_call(case.build(), case.content_type, sagemaker.url)

    assert answer.status == case.status, answer.body
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.json()["error"] == "BadRequest"
    assert "data URL" in answer.json()["message"]
    assert answer.cpu_seconds <= MAX_CPU_SECONDS
    assert answer.peak_mb <= MAX_PEAK_MB
