"""Each deployable stage's SageMaker timeouts fit the endpoint kind it is meant for, inside Lambda's and API
Gateway's limits: dev waits once, as long as those limits allow (a serverless cold start may take longer: the
deploy says so, tests/test_deploy_model.py), prod retries a real-time endpoint once."""
import pytest

from chalicelib.settings import load_settings
from devkit.servers import PROJECT_ROOT, stage_environment
from scripts.chalice_project import read_config

CONFIG = read_config(PROJECT_ROOT)
API_GATEWAY_TIMEOUT_SECONDS = 29


def stage_settings(stage: str):
    return load_settings(stage_environment(stage))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_attempt_ends_before_the_function_and_the_gateway_give_up(stage):
    settings = stage_settings(stage)
    worst_case = settings.max_attempts * (settings.connect_timeout + settings.read_timeout)
    assert worst_case < CONFIG["stages"][stage]["lambda_timeout"] < API_GATEWAY_TIMEOUT_SECONDS


def test_the_real_time_stage_retries_once_within_a_short_read_timeout():
    settings = stage_settings("prod")
    assert (settings.max_attempts, settings.read_timeout) == (2, 8)
