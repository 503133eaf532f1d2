"""scripts/feedback_store.py against moto: each stage's table, bucket and key exist as docs/operations.md says,
retention is applied, re-running changes nothing, and the function's policy (as written and as packaged) grants
exactly what the store needs."""
import base64
import copy
import json
import os
import subprocess
import sys

import boto3
import pytest

from chalicelib.feedback import RECORD_ATTRIBUTES
from devkit.servers import PROJECT_ROOT
from scripts import feedback_store as deploy
from tests.aws_like import contract_parameters  # noqa: F401
from tests.test_policies import stage_policy

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""

STAGES = ("dev", "prod")


def settings_of(stage):
    return deploy.stage_feedback_settings(PROJECT_ROOT, stage)


@pytest.fixture
def deployed(aws):
    assert deploy.main(["--stage", "dev"]) == 0
    return settings_of("dev")


def test_the_table_is_on_demand_keyed_by_prediction_and_its_records_expire(deployed):
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.describe_table(TableName=deployed.table)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [{"AttributeName": "prediction", "KeyType": "HASH"}]
    assert dynamodb.describe_time_to_live(TableName=deployed.table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_the_bucket_is_private_https_only_and_deletes_shared_posters_after_the_retention(deployed):
    s3 = boto3.client("s3")
    block = s3.get_public_access_block(Bucket=deployed.bucket)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=deployed.bucket)["Rules"]
    assert rule["Status"] == "Enabled" and rule["Filter"] == {"Prefix": deployed.image_prefix}
    assert rule["Expiration"] == {"Days": deployed.retention_days}
    [statement] = json.loads(s3.get_bucket_policy(Bucket=deployed.bucket)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_plain_http_is_refused_by_the_bucket(deployed):
    """moto is served over plain HTTP, so its answer is what AWS answers a request without TLS."""
    with pytest.raises(boto3.client("s3").exceptions.ClientError, match="Forbidden|AccessDenied"):
        boto3.client("s3").put_object(Bucket=deployed.bucket, Key=f"{deployed.image_prefix}x.jpg", Body=b"x")


def test_the_key_is_a_secure_string_of_32_random_bytes_kept_across_deploys(deployed, capsys):
    ssm = boto3.client("ssm")
    parameter = ssm.get_parameter(Name=deployed.key_parameter, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString" and len(base64.b64decode(parameter["Value"])) == 32
    assert parameter["Value"] not in capsys.readouterr().out
    assert deploy.main(["--stage", "dev"]) == 0
    again = ssm.get_parameter(Name=deployed.key_parameter, WithDecryption=True)["Parameter"]
    assert again["Value"] == parameter["Value"] and again["Version"] == parameter["Version"]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_policy_grants_exactly_its_own_store(stage):
    assert deploy.policy_problems(stage_policy(stage), settings_of(stage)) == []


@pytest.mark.parametrize("stage", STAGES)
def test_the_function_may_write_only_the_records_attributes_and_never_read_old_items(stage):
    [statement] = [s for s in stage_policy(stage)["Statement"] if s["Action"] == "dynamodb:PutItem"]
    assert sorted(statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]) == \
        sorted(RECORD_ATTRIBUTES)
    assert statement["Condition"]["StringEqualsIfExists"] == {"dynamodb:ReturnValues": "NONE"}


@pytest.mark.parametrize("widen", [
    lambda s: s.update(Resource="arn:aws:dynamodb:*:*:table/*") if s["Action"] == "dynamodb:PutItem" else None,
    lambda s: s.update(Resource="arn:aws:s3:::is-this-movie-a-thriller-dev-feedback/*")
    if s["Action"] == "s3:PutObject" else None,
    lambda s: s.update(Resource="arn:aws:ssm:*:*:parameter/*") if s["Action"] == "ssm:GetParameter" else None,
    lambda s: s.pop("Condition") if s["Action"] == "dynamodb:PutItem" else None,
], ids=["any-table", "whole-bucket", "any-parameter", "any-attribute"])
def test_a_wider_policy_is_found_and_the_deploy_refuses_it_before_creating_anything(aws, tmp_path, widen):
    project = tmp_path / "project"
    (project / ".chalice").mkdir(parents=True)
    for name in ("config.json", "policy-dev.json"):
        (project / ".chalice" / name).write_text((PROJECT_ROOT / ".chalice" / name).read_text())
    policy = copy.deepcopy(stage_policy("dev"))
    for statement in policy["Statement"]:
        widen(statement)
    (project / ".chalice" / "policy-dev.json").write_text(json.dumps(policy))
    assert deploy.main(["--stage", "dev", "--project-dir", str(project)]) == 1
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []


ACCOUNT_ARN = "eu-west-1:123456789012"


def what_the_function_may_do(stage):
    """(action, resource) -> permitted, as moto's IAM policy evaluation judges the stage's policy (actions and
    resources; it does not evaluate DynamoDB's condition keys, checked above)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    policy = IAMPolicy(json.dumps(stage_policy(stage)))
    return lambda action, resource: policy.is_action_permitted(action, resource) == PermissionResult.PERMITTED


@pytest.mark.parametrize("stage", STAGES)
def test_the_function_may_add_records_images_and_read_its_key_and_nothing_more(stage):
    settings, other = settings_of(stage), settings_of("prod" if stage == "dev" else "dev")
    table = f"arn:aws:dynamodb:{ACCOUNT_ARN}:table/{settings.table}"
    key = f"arn:aws:ssm:{ACCOUNT_ARN}:parameter{settings.key_parameter}"
    image = f"arn:aws:s3:::{settings.bucket}/{settings.image_prefix}abc.jpg"
    may = what_the_function_may_do(stage)
    assert may("dynamodb:PutItem", table) and may("s3:PutObject", image) and may("ssm:GetParameter", key)
    for action in ("dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:DeleteItem",
                   "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteTable"):
        assert not may(action, table), action
    assert not may("s3:GetObject", image) and not may("s3:DeleteObject", image)
    assert not may("s3:PutObject", f"arn:aws:s3:::{settings.bucket}/elsewhere/abc.jpg")
    assert not may("s3:PutBucketPolicy", f"arn:aws:s3:::{settings.bucket}")
    assert not may("ssm:PutParameter", key) and not may("ssm:GetParametersByPath", key)
    assert not may("dynamodb:PutItem", f"arn:aws:dynamodb:{ACCOUNT_ARN}:table/{other.table}")
    assert not may("ssm:GetParameter", f"arn:aws:ssm:{ACCOUNT_ARN}:parameter{other.key_parameter}")
    assert not may("s3:PutObject", f"arn:aws:s3:::{other.bucket}/{other.image_prefix}abc.jpg")


@pytest.fixture(scope="module")
def packaged_prod(tmp_path_factory):
    """sam.json of `chalice package` for prod as scripts/package_api.py writes it (tests/test_packaging.py lints it)."""
    folder = tmp_path_factory.mktemp("package-prod")
    subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "package_api.py"), "--stage", "prod", str(folder)],
                   cwd=PROJECT_ROOT, env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}, check=True,
                   capture_output=True, timeout=300)
    return json.loads((folder / "sam.json").read_text())


def test_the_packaged_api_has_post_feedback_with_cors_under_the_stages_throttling(packaged_prod):
    api = packaged_prod["Resources"]["RestAPI"]["Properties"]
    assert set(api["DefinitionBody"]["paths"]["/feedback"]) == {"post", "options"}
    assert {"ResourcePath": "/*", "HttpMethod": "*"}.items() <= api["MethodSettings"][0].items()


def test_the_packaged_role_holds_the_stages_feedback_grants(packaged_prod):
    [role] = [resource for resource in packaged_prod["Resources"].values() if resource["Type"] == "AWS::IAM::Role"]
    [policy] = role["Properties"]["Policies"]
    assert deploy.policy_problems(policy["PolicyDocument"], settings_of("prod")) == []
