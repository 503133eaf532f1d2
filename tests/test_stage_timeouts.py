"""Each deployable stage's SageMaker timeouts fit the endpoint kind it is meant for, inside Lambda's and API
Gateway's limits: dev waits long enough for a serverless endpoint's cold start in one attempt, prod retries a
real-time endpoint once."""
import pytest

from chalicelib.settings import load_settings
from scripts import deploy_model
from scripts.chalice_project import read_config
from scripts.model_deploy import deployment
from scripts.model_deploy.deployment import SERVERLESS_COLD_START_SECONDS
from tests.servers import PROJECT_ROOT, stage_environment

CONFIG = read_config(PROJECT_ROOT)
API_GATEWAY_TIMEOUT_SECONDS = 29


def stage_settings(stage: str):
    return load_settings(stage_environment(stage))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_attempt_ends_before_the_function_and_the_gateway_give_up(stage):
    settings = stage_settings(stage)
    worst_case = settings.max_attempts * (settings.connect_timeout + settings.read_timeout)
    assert worst_case < CONFIG["stages"][stage]["lambda_timeout"] < API_GATEWAY_TIMEOUT_SECONDS


def test_the_serverless_stage_waits_out_a_cold_start():
    assert stage_settings("dev").read_timeout >= SERVERLESS_COLD_START_SECONDS


def test_the_real_time_stage_retries_once_within_a_short_read_timeout():
    settings = stage_settings("prod")
    assert (settings.max_attempts, settings.read_timeout) == (2, 8)


@pytest.mark.parametrize("stage, warned", [("dev", False), ("prod", True)])
def test_a_serverless_deploy_warns_when_the_stage_gives_up_before_a_cold_start(stage, warned, capsys):
    args = deploy_model.parse_args(["--stage", stage, "--bucket", "b", "--serverless", "2048"])
    deployment.warn_if_stage_gives_up_before_a_cold_start(stage, args)
    assert ("SAGEMAKER_READ_TIMEOUT" in capsys.readouterr().err) is warned


def test_provisioned_concurrency_needs_no_cold_start_warning(capsys):
    args = deploy_model.parse_args(["--stage", "prod", "--bucket", "b", "--serverless", "2048",
                                    "--provisioned-concurrency", "1"])
    deployment.warn_if_stage_gives_up_before_a_cold_start("prod", args)
    assert capsys.readouterr().err == ""
