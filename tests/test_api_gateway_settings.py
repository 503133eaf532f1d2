"""scripts/api_gateway_settings.py against a real moto server: a `chalice deploy`ed API gets the merge template's
gateway responses and throttling."""
import json

import boto3
import pytest

from scripts.api_gateway_settings import MERGE_TEMPLATE, main
from tests.aws_like import contract_parameters  # noqa: F401
from tests.moto_server import REGION

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""

SITE_ORIGIN = "https://thriller.example.com"
API_STAGE = "api"
TEMPLATE = json.loads(MERGE_TEMPLATE.read_text())


@pytest.fixture
def apigateway(aws):
    return boto3.client("apigateway", region_name=REGION)


@pytest.fixture
def rest_api_id(apigateway):
    """A deployed REST API like the one `chalice deploy` leaves: one method, stage `api`."""
    api_id = apigateway.create_rest_api(name="is-this-movie-a-thriller")["id"]
    root = next(item for item in apigateway.get_resources(restApiId=api_id)["items"] if item["path"] == "/")
    apigateway.put_method(restApiId=api_id, resourceId=root["id"], httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api_id, resourceId=root["id"], httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api_id, stageName=API_STAGE)
    return api_id


@pytest.fixture
def project(tmp_path, rest_api_id):
    """A Chalice project whose prod stage allows the site's origin and was deployed as rest_api_id."""
    chalice_dir = tmp_path / ".chalice"
    (chalice_dir / "deployed").mkdir(parents=True)
    (chalice_dir / "config.json").write_text(json.dumps({"version": "2.0", "app_name": "t", "stages": {
        "prod": {"environment_variables": {"CORS_ALLOW_ORIGIN": SITE_ORIGIN}}}}))
    (chalice_dir / "deployed" / "prod.json").write_text(json.dumps({"resources": [{
        "name": "rest_api", "resource_type": "rest_api", "rest_api_id": rest_api_id,
        "rest_api_url": f"https://{rest_api_id}.execute-api.{REGION}.amazonaws.com/{API_STAGE}/",
    }]}))
    return tmp_path


def default_of(parameter):
    return TEMPLATE["Parameters"][parameter]["Default"]


@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX"])
def test_gateway_errors_carry_the_stage_origin(apigateway, rest_api_id, project, response_type):
    assert main(["--stage", "prod", "--project-dir", str(project)]) == 0
    response = apigateway.get_gateway_response(restApiId=rest_api_id, responseType=response_type)
    assert response["responseParameters"] == {"gatewayresponse.header.Access-Control-Allow-Origin": f"'{SITE_ORIGIN}'"}


def test_gateway_error_body_follows_the_api_error_shape(apigateway, rest_api_id, project):
    assert main(["--stage", "prod", "--project-dir", str(project)]) == 0
    template = apigateway.get_gateway_response(
        restApiId=rest_api_id, responseType="DEFAULT_4XX")["responseTemplates"]["application/json"]
    rendered = template.replace("$context.error.responseType", "THROTTLED") \
                       .replace("$context.error.messageString", json.dumps("Too Many Requests"))
    assert json.loads(rendered) == {"error": "THROTTLED", "message": "Too Many Requests"}


def test_gateway_responses_are_deployed_to_the_stage(apigateway, rest_api_id, project):
    before = {item["id"] for item in apigateway.get_deployments(restApiId=rest_api_id)["items"]}
    assert main(["--stage", "prod", "--project-dir", str(project)]) == 0
    new = {item["id"] for item in apigateway.get_deployments(restApiId=rest_api_id)["items"]} - before
    assert apigateway.get_stage(restApiId=rest_api_id, stageName=API_STAGE)["deploymentId"] in new


def test_stage_is_throttled_with_the_template_defaults(apigateway, rest_api_id, project):
    assert main(["--stage", "prod", "--project-dir", str(project)]) == 0
    settings = apigateway.get_stage(restApiId=rest_api_id, stageName=API_STAGE)["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] == default_of("ThrottlingRateLimit")
    assert settings["throttlingBurstLimit"] == default_of("ThrottlingBurstLimit")


def test_throttling_limits_can_be_overridden(apigateway, rest_api_id, project):
    assert main(["--stage", "prod", "--project-dir", str(project), "--rate-limit", "2.5", "--burst-limit", "5"]) == 0
    settings = apigateway.get_stage(restApiId=rest_api_id, stageName=API_STAGE)["methodSettings"]["*/*"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (2.5, 5)


def test_undeployed_stage_is_a_clear_error(aws, project, capsys):
    assert main(["--stage", "dev", "--project-dir", str(project)]) == 1
    error = capsys.readouterr().err
    assert "chalice deploy --stage dev" in error and "Traceback" not in error


def test_an_origin_cloudformation_would_refuse_is_refused_before_any_change(apigateway, rest_api_id, project, capsys):
    assert main(["--stage", "prod", "--project-dir", str(project), "--cors-origin", "https://x.example.com/"]) == 1
    assert "CorsAllowOrigin" in capsys.readouterr().err
    assert "https://x.example.com/" not in json.dumps(apigateway.get_gateway_responses(restApiId=rest_api_id))


def lambda_log_retention(stage: str) -> int | None:
    group = f"/aws/lambda/t-{stage}"
    [found] = [item for item in boto3.client("logs", region_name=REGION).describe_log_groups(
        logGroupNamePrefix=group)["logGroups"] if item["logGroupName"] == group]
    return found.get("retentionInDays")


def test_the_functions_logs_are_kept_thirty_days_by_default(apigateway, project):
    assert main(["--stage", "prod", "--project-dir", str(project)]) == 0
    assert lambda_log_retention("prod") == 30


def test_the_functions_log_retention_follows_the_flag(apigateway, project):
    assert main(["--stage", "prod", "--project-dir", str(project), "--log-retention-days", "90"]) == 0
    assert lambda_log_retention("prod") == 90
