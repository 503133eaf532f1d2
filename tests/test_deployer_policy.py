"""deploy/deployer-policy.json, the permissions of the identity that deploys: every AWS call the deploy scripts make,
found in their source, and what AWS does on the caller's behalf (scripts/aws_contract.py), and docs/deploy.md points
to it."""
import ast
import json
import re

import botocore.session
import pytest
from botocore import xform_name

from devkit.servers import PROJECT_ROOT
from scripts.aws_contract import PERMISSIONS_NO_CALL_SHOWS

DEPLOY_SOURCES = sorted(
    [*PROJECT_ROOT.glob("scripts/model_deploy/*.py"), *PROJECT_ROOT.glob("scripts/static_site/*.py")]
    + [PROJECT_ROOT / "scripts" / name for name in (
        "deploy_model.py", "batch_transform.py", "sync_static.py", "alarms.py", "api_gateway_settings.py",
        "log_retention.py", "feedback_store.py", "feedback_report.py")])
"""The scripts of `make deploy`, `make deploy-model` and the batch transform (a new deploy script joins here)."""
CLIENT_NAMES = {"s3": "s3", "iam": "iam", "sagemaker": "sagemaker", "logs": "logs",
                "autoscaling": "application-autoscaling", "cloudfront": "cloudfront", "cdn": "cloudfront",
                "acm": "acm", "route53": "route53", "sts": "sts", "sns": "sns", "cloudwatch": "cloudwatch",
                "apigateway": "apigateway", "dynamodb": "dynamodb", "ssm": "ssm"}
"""The variable names the scripts give their boto3 clients."""
S3_ACTIONS = {"HeadBucket": "ListBucket", "ListObjectsV2": "ListBucket", "HeadObject": "GetObject",
              "DeleteObjects": "DeleteObject", "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
              "GetPublicAccessBlock": "GetBucketPublicAccessBlock", "PutBucketEncryption": "PutEncryptionConfiguration",
              "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration"}
"""Service Authorization Reference, Amazon S3: the operations whose IAM action has another name."""
NEEDS_NO_PERMISSION = {("sts", "GetCallerIdentity")}
"""STS: "No permissions are required to perform this operation" (GetCallerIdentity API reference)."""
WAITER_OPERATIONS = {("cloudfront", "distribution_deployed"): "GetDistribution",
                     ("dynamodb", "table_exists"): "DescribeTable"}

loader = botocore.session.get_session()


def operations(service: str) -> dict[str, str]:
    """python_name -> OperationName of a service."""
    return {xform_name(name): name for name in loader.get_service_model(service).operation_names}


def called_operations() -> set[tuple[str, str]]:
    """(service, OperationName) of every call the deploy sources make: client.method(...), a client made inline
    (session.client("svc").method(...)), and operation names in strings that only one service has (paginators,
    tables of calls, describe_or_none's "DescribeTransformJob")."""
    found = set()
    per_service = {service: operations(service) for service in set(CLIENT_NAMES.values()) | {"cloudformation"}}
    for path in DEPLOY_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                receiver, method = node.func.value, node.func.attr
                service = None
                if isinstance(receiver, ast.Name):
                    service = CLIENT_NAMES.get(receiver.id)
                elif isinstance(receiver, ast.Call) and getattr(receiver.func, "attr", "") == "client" \
                        and receiver.args and isinstance(receiver.args[0], ast.Constant):
                    service = receiver.args[0].value
                if service and method in per_service.get(service, {}):
                    found.add((service, per_service[service][method]))
                if service and method == "get_waiter" and node.args and isinstance(node.args[0], ast.Constant):
                    found.add((service, WAITER_OPERATIONS[(service, node.args[0].value)]))
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                owners = [(service, names[node.value]) for service, names in per_service.items()
                          if node.value in names and "_" in node.value]
                owners += [(service, node.value) for service, names in per_service.items()
                           if node.value in names.values() and node.value[:1].isupper()]
                if len(owners) == 1:
                    found.add(owners[0])
    return found


def iam_action(service: str, operation: str) -> str | None:
    if (service, operation) in NEEDS_NO_PERMISSION:
        return None
    if service == "s3":
        return f"s3:{S3_ACTIONS.get(operation, operation)}"
    if service == "apigateway":
        return f"apigateway:{loader.get_service_model(service).operation_model(operation).http['method']}"
    return f"{service}:{operation}"


def policy_actions() -> set[str]:
    policy = json.loads((PROJECT_ROOT / "deploy" / "deployer-policy.json").read_text())
    return {action for statement in policy["Statement"] if statement["Effect"] == "Allow"
            for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}


def test_the_scan_finds_the_calls_it_must():
    found = called_operations()
    assert {("sagemaker", "CreateTransformJob"), ("s3", "ListObjectsV2"), ("cloudfront", "CreateCachePolicy"),
            ("cloudfront", "GetDistribution"), ("apigateway", "GetRestApi"), ("logs", "DescribeLogGroups")} <= found


@pytest.mark.parametrize("service, operation", sorted(called_operations()))
def test_the_deployer_policy_allows_every_call_the_deploy_makes(service, operation):
    action = iam_action(service, operation)
    assert action is None or action in policy_actions()


@pytest.mark.parametrize("action", sorted(PERMISSIONS_NO_CALL_SHOWS))
def test_the_deployer_policy_allows_what_aws_does_on_the_callers_behalf(action):
    assert action in policy_actions(), PERMISSIONS_NO_CALL_SHOWS[action]


def test_the_deploy_guide_names_the_policy_and_what_no_call_shows():
    guide = (PROJECT_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "deploy/deployer-policy.json" in guide
    for action in PERMISSIONS_NO_CALL_SHOWS:
        assert re.search(rf"`{re.escape(action)}`", guide), action
