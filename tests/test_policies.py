"""The Lambda role of each deployable stage may call its own SageMaker endpoint, write its logs and store visitors'
feedback, nothing else."""
import json
import re

import pytest

from devkit.servers import PROJECT_ROOT

STAGES = ("dev", "prod")
CHALICE_DIR = PROJECT_ROOT / ".chalice"
CHALICE_CONFIG = json.loads((CHALICE_DIR / "config.json").read_text())
ALLOWED_ACTIONS = {
    "sagemaker": {"sagemaker:InvokeEndpoint"},
    "logs": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
    # visitors' feedback; tests/test_feedback_deploy.py checks these statements' resources and conditions
    "dynamodb": {"dynamodb:PutItem"}, "s3": {"s3:PutObject"}, "ssm": {"ssm:GetParameter"},
}
LOGS_RESOURCE = re.compile(r"arn:aws[a-z-]*:logs:[^:]+:[^:]+:.+")


def as_list(value):
    return value if isinstance(value, list) else [value]


def endpoint_arn_pattern(endpoint_name):
    """Any region and account (a wildcard there is fine), but exactly this endpoint."""
    return re.compile(rf"arn:aws[a-z-]*:sagemaker:[a-z0-9*-]+:[0-9*]+:endpoint/{re.escape(endpoint_name.lower())}")


def policy_problems(policy, endpoint_name):
    """Every way policy grants more than invoking endpoint_name and writing logs (empty when it grants no more)."""
    problems = []
    for statement in policy.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        for key in ("NotAction", "NotResource", "NotPrincipal"):
            if key in statement:
                problems.append(f"{key} grants everything it does not name")
        actions = as_list(statement.get("Action", []))
        resources = as_list(statement.get("Resource", []))
        for action in actions:
            service = action.split(":", 1)[0]
            if "*" in action or "?" in action:
                problems.append(f"wildcard action {action}")
            elif action not in ALLOWED_ACTIONS.get(service, set()):
                problems.append(f"action {action} is not needed")
        services = {action.split(":", 1)[0] for action in actions}
        if "sagemaker" in services:
            endpoint_arn = endpoint_arn_pattern(endpoint_name)
            problems += [f"SageMaker resource {resource} is not the stage's endpoint"
                         for resource in resources if not endpoint_arn.fullmatch(resource)]
        if "logs" in services:
            problems += [f"logs resource {resource} is not a CloudWatch Logs ARN"
                         for resource in resources if not LOGS_RESOURCE.fullmatch(resource)]
    return problems


def stage_policy(stage):
    stage_config = CHALICE_CONFIG["stages"][stage]
    return json.loads((CHALICE_DIR / stage_config["iam_policy_file"]).read_text())


def stage_endpoint(stage):
    return CHALICE_CONFIG["stages"][stage]["environment_variables"]["SAGEMAKER_ENDPOINT_NAME"]


@pytest.mark.parametrize("stage", STAGES)
def test_stage_uses_its_policy_file_not_the_generator(stage):
    stage_config = CHALICE_CONFIG["stages"][stage]
    assert stage_config.get("autogen_policy", CHALICE_CONFIG.get("autogen_policy")) is False
    assert (CHALICE_DIR / stage_config["iam_policy_file"]).is_file()


@pytest.mark.parametrize("stage", STAGES)
def test_stage_policy_grants_nothing_beyond_its_endpoint_and_logs(stage):
    assert policy_problems(stage_policy(stage), stage_endpoint(stage)) == []


@pytest.mark.parametrize("stage", STAGES)
def test_stage_policy_lets_the_function_invoke_its_endpoint(stage):
    endpoint_arn = endpoint_arn_pattern(stage_endpoint(stage))
    assert any("sagemaker:InvokeEndpoint" in as_list(statement["Action"])
               and any(endpoint_arn.fullmatch(resource) for resource in as_list(statement["Resource"]))
               for statement in stage_policy(stage)["Statement"] if statement["Effect"] == "Allow")


@pytest.mark.parametrize("stage", STAGES)
def test_stage_policy_lets_the_function_write_its_logs(stage):
    granted = {action for statement in stage_policy(stage)["Statement"] if statement["Effect"] == "Allow"
               for action in as_list(statement["Action"])}
    assert ALLOWED_ACTIONS["logs"] <= granted


def allow(action, resource):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


ENDPOINT = "is-this-movie-a-thriller"
ENDPOINT_ARN = f"arn:aws:sagemaker:*:*:endpoint/{ENDPOINT}"


@pytest.mark.parametrize("policy", [
    allow("sagemaker:*", ENDPOINT_ARN),
    allow("sagemaker:Invoke*", ENDPOINT_ARN),
    allow("*", "*"),
    allow(["logs:PutLogEvents", "logs:*"], "arn:aws:logs:*:*:*"),
], ids=["service-wildcard", "prefix-wildcard", "everything", "logs-wildcard"])
def test_checker_rejects_wildcard_actions(policy):
    assert any("wildcard action" in problem for problem in policy_problems(policy, ENDPOINT))


@pytest.mark.parametrize("policy", [
    allow("s3:GetObject", "arn:aws:s3:::bucket/*"),
    allow("sagemaker:DescribeEndpoint", ENDPOINT_ARN),
    {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]},
], ids=["other-service", "other-sagemaker-action", "not-action"])
def test_checker_rejects_other_services_and_actions(policy):
    assert policy_problems(policy, ENDPOINT)


@pytest.mark.parametrize("resource", [
    "*", "arn:aws:sagemaker:*:*:endpoint/*", f"arn:aws:sagemaker:*:*:endpoint/{ENDPOINT}-dev",
    f"arn:aws:sagemaker:*:*:endpoint/{ENDPOINT}*",
])
def test_checker_rejects_any_other_endpoint(resource):
    assert policy_problems(allow("sagemaker:InvokeEndpoint", resource), ENDPOINT)
