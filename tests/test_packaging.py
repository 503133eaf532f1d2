"""`chalice package` with deploy/merge-template.json, for each deployable stage, checked the way AWS users check
CloudFormation: cfn-lint (the pinned one in the venv) must report nothing at all, on the template as written and
after the SAM transform (aws-sam-translator, the code CloudFormation runs for AWS::Serverless-2016-10-31), which
cfn-lint does not run and which refuses what cfn-lint lets through."""
import copy
import json
import os
import subprocess
import sys

import pytest
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

from devkit.servers import PROJECT_ROOT, VENV_BIN

STAGES = ("dev", "prod")
CFN_LINT = VENV_BIN / "cfn-lint"
CHALICE_CONFIG = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    """stage -> folder holding the sam.json and deployment.zip that scripts/package_api.py wrote."""
    folders = {}
    for stage in STAGES:
        folder = tmp_path_factory.mktemp(f"package-{stage}")
        subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "package_api.py"), "--stage", stage,
                        str(folder)], cwd=PROJECT_ROOT, env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
                       check=True, capture_output=True, timeout=300)
        folders[stage] = folder
    return folders


def template_of(packaged, stage):
    return json.loads((packaged[stage] / "sam.json").read_text())


def api_properties(packaged, stage):
    return template_of(packaged, stage)["Resources"]["RestAPI"]["Properties"]


def lint(path):
    return subprocess.run([str(CFN_LINT), "--", str(path)], capture_output=True, text=True, timeout=300)


class NoManagedPolicies:
    """The templates name no AWS managed policy, so the transform needs no IAM lookup."""

    def load(self) -> dict:
        return {}


def as_cloudformation_package_leaves_it(template: dict) -> dict:
    """`aws cloudformation package` uploads deployment.zip and puts its S3 URL in CodeUri (docs/deploy.md, step 9)."""
    packaged = copy.deepcopy(template)
    packaged["Resources"]["APIHandler"]["Properties"]["CodeUri"] = "s3://artifact-bucket/deployment.zip"
    return packaged


def sam_transform(template: dict) -> dict:
    return transform(as_cloudformation_package_leaves_it(template),
                     {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"},
                     NoManagedPolicies())


@pytest.mark.parametrize("stage", STAGES)
def test_packaged_template_passes_cfn_lint_without_any_finding(packaged, stage):
    result = lint(packaged[stage] / "sam.json")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_cfn_lint_does_catch_a_broken_api_property(packaged, tmp_path):
    template = template_of(packaged, "dev")
    template["Resources"]["RestAPI"]["Properties"]["MethodSettings"][0]["ThrottlingRate"] = 1
    broken = tmp_path / "sam.json"
    broken.write_text(json.dumps(template))
    assert lint(broken).returncode != 0


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX"])
def test_gateway_errors_carry_the_cors_origin_parameter(packaged, stage, response_type):
    headers = api_properties(packaged, stage)["GatewayResponses"][response_type]["ResponseParameters"]["Headers"]
    assert headers["Access-Control-Allow-Origin"] == {"Fn::Sub": "'${CorsAllowOrigin}'"}


@pytest.mark.parametrize("stage", STAGES)
def test_cors_origin_defaults_to_the_stage_origin(packaged, stage):
    stage_origin = CHALICE_CONFIG["stages"][stage]["environment_variables"]["CORS_ALLOW_ORIGIN"]
    assert template_of(packaged, stage)["Parameters"]["CorsAllowOrigin"]["Default"] == stage_origin


@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX"])
def test_gateway_error_body_follows_the_api_error_shape(packaged, response_type):
    template = api_properties(packaged, "prod")["GatewayResponses"][response_type]["ResponseTemplates"]
    rendered = template["application/json"].replace("$context.error.responseType", "INTEGRATION_TIMEOUT") \
                                           .replace("$context.error.messageString", json.dumps("Endpoint timed out"))
    assert json.loads(rendered) == {"error": "INTEGRATION_TIMEOUT", "message": "Endpoint timed out"}


@pytest.mark.parametrize("stage", STAGES)
def test_every_method_of_the_stage_is_throttled_by_parameters(packaged, stage):
    template = template_of(packaged, stage)
    assert api_properties(packaged, stage)["MethodSettings"] == [{
        "ResourcePath": "/*", "HttpMethod": "*",
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
    }]
    rate, burst = (template["Parameters"][name] for name in ("ThrottlingRateLimit", "ThrottlingBurstLimit"))
    assert rate["Type"] == burst["Type"] == "Number"
    assert 0 < rate["Default"] <= burst["Default"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_sam_transformed_template_passes_cfn_lint_without_any_finding(packaged, stage, tmp_path):
    transformed = tmp_path / "transformed.json"
    transformed.write_text(json.dumps(sam_transform(template_of(packaged, stage))))
    result = lint(transformed)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_sam_transform_refuses_a_bad_gateway_responses_key_that_cfn_lint_lets_through(packaged, tmp_path):
    template = template_of(packaged, "prod")
    response = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]["DEFAULT_4XX"]
    response["ResponseParameter"] = response.pop("ResponseParameters")
    broken = tmp_path / "sam.json"
    broken.write_text(json.dumps(template))
    assert lint(broken).returncode == 0
    with pytest.raises(InvalidDocumentException, match="ResponseParameter"):
        sam_transform(template)


@pytest.mark.parametrize("stage", STAGES)
def test_the_functions_log_group_keeps_its_logs_for_the_retention_parameter(packaged, stage):
    template = template_of(packaged, stage)
    log_group = sam_transform(template)["Resources"]["APIHandlerLogGroup"]["Properties"]
    assert log_group == {"LogGroupName": {"Fn::Sub": "/aws/lambda/${APIHandler}"},
                         "RetentionInDays": {"Ref": "LogRetentionDays"}}
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
