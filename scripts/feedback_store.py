"""Create a stage's feedback store before `chalice deploy`: the DynamoDB table, the private S3 bucket for the posters
visitors share, and the key that signs prediction ids.

    .venv/bin/python scripts/feedback_store.py --stage prod [--region REGION]

Names come from the stage's FEEDBACK_TABLE, FEEDBACK_BUCKET, FEEDBACK_IMAGE_PREFIX and PREDICTION_ID_KEY_PARAMETER
in .chalice/config.json; retention from FEEDBACK_RETENTION_DAYS (180). The table is on-demand, its records expire
through TTL on expires_at; the bucket blocks every kind of public access, refuses plain HTTP, and a lifecycle rule
deletes shared posters after the same number of days. The key is 32 random bytes in an SSM SecureString parameter,
made once and never printed: only the function reads it. The stage's policy file must grant exactly these
resources (checked first: nothing is created when it does not). Re-running changes nothing that is right already.
"""
import argparse
import base64
import json
import secrets
import sys
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from chalicelib.feedback import RECORD_ATTRIBUTES
from chalicelib.settings import FeedbackSettings, load_feedback_settings
from scripts.aws_failures import error_code, run_reporting_failures
from scripts.chalice_project import ChaliceProjectError, read_config, stage_variables

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KEY_BYTES = 32
TTL_ATTRIBUTE = "expires_at"
LIFECYCLE_RULE_ID = "delete-shared-posters"


class FeedbackStoreError(Exception):
    """A problem the user can fix; its message is the one sentence they see."""


def stage_feedback_settings(project_dir: Path, stage: str) -> FeedbackSettings:
    settings = load_feedback_settings({**stage_variables(project_dir, stage), "SAGEMAKER_ENDPOINT_NAME": "-"})
    if settings is None:
        raise FeedbackStoreError(f"Stage {stage} sets no PREDICTION_ID_KEY_PARAMETER in .chalice/config.json, so it "
                                 f"keeps no feedback and needs no store.")
    return settings


def expected_statements(settings: FeedbackSettings) -> dict[str, tuple[str, str]]:
    """action -> (resource ARN with any region and account, what it is), as the stage's policy must grant it."""
    return {
        "dynamodb:PutItem": (f"arn:aws:dynamodb:*:*:table/{settings.table}", "the feedback table"),
        "s3:PutObject": (f"arn:aws:s3:::{settings.bucket}/{settings.image_prefix}*", "the shared posters' prefix"),
        "ssm:GetParameter": (f"arn:aws:ssm:*:*:parameter{settings.key_parameter}", "the signing key"),
    }


def policy_problems(policy: dict, settings: FeedbackSettings) -> list[str]:
    """Why the stage's policy does not let the function use this store, or lets it do more than add records."""
    problems = []
    statements = [s for s in policy.get("Statement", []) if s.get("Effect") == "Allow"]
    for action, (resource, what) in expected_statements(settings).items():
        granting = [s for s in statements if s.get("Action") in (action, [action])]
        if [s.get("Resource") for s in granting] != [resource]:
            problems.append(f"it must grant {action} on {resource} ({what}) in one statement")
    for statement in statements:
        if statement.get("Action") in ("dynamodb:PutItem", ["dynamodb:PutItem"]):
            condition = statement.get("Condition", {})
            attributes = condition.get("ForAllValues:StringEquals", {}).get("dynamodb:Attributes")
            if sorted(attributes or []) != sorted(RECORD_ATTRIBUTES):
                problems.append("its dynamodb:PutItem must be limited to the record's attributes "
                                "(ForAllValues:StringEquals dynamodb:Attributes)")
            if condition.get("StringEqualsIfExists", {}).get("dynamodb:ReturnValues") != "NONE":
                problems.append("its dynamodb:PutItem must not return old items (dynamodb:ReturnValues NONE)")
    return problems


def check_policy(project_dir: Path, stage: str, settings: FeedbackSettings) -> None:
    path = project_dir / ".chalice" / read_config(project_dir)["stages"][stage].get("iam_policy_file", "")
    try:
        policy = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FeedbackStoreError(f"Stage {stage}'s policy file {path} cannot be read ({error}).") from None
    problems = policy_problems(policy, settings)
    if problems:
        raise FeedbackStoreError(f"{path} does not match the stage's feedback settings: {'; '.join(problems)}.")


def ensure_table(dynamodb, settings: FeedbackSettings) -> None:
    try:
        dynamodb.create_table(TableName=settings.table, BillingMode="PAY_PER_REQUEST",
                              AttributeDefinitions=[{"AttributeName": "prediction", "AttributeType": "S"}],
                              KeySchema=[{"AttributeName": "prediction", "KeyType": "HASH"}])
        print(f"table {settings.table}: created (on-demand)")
    except ClientError as error:
        if error_code(error) != "ResourceInUseException":
            raise
        print(f"table {settings.table}: exists")
    dynamodb.get_waiter("table_exists").wait(TableName=settings.table, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
    ttl = dynamodb.describe_time_to_live(TableName=settings.table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl.get("AttributeName") == TTL_ATTRIBUTE:
        print(f"  records expire through TTL on {TTL_ATTRIBUTE}")
        return
    dynamodb.update_time_to_live(TableName=settings.table,
                                 TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE})
    print(f"  TTL on {TTL_ATTRIBUTE} enabled: DynamoDB deletes each record after {settings.retention_days} days")


def lifecycle_rules(settings: FeedbackSettings) -> list[dict]:
    return [{"ID": LIFECYCLE_RULE_ID, "Status": "Enabled", "Filter": {"Prefix": settings.image_prefix},
             "Expiration": {"Days": settings.retention_days},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]


def https_only_policy(bucket: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "RefusePlainHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


def ensure_bucket(s3, settings: FeedbackSettings, region: str, https_only: bool = True) -> None:
    """https_only: False only for the local store, which is served over plain HTTP on loopback."""
    arguments = {"Bucket": settings.bucket}
    if region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**arguments)
        print(f"bucket {settings.bucket}: created")
    except ClientError as error:
        if error_code(error) == "BucketAlreadyExists":
            raise FeedbackStoreError(f"Bucket name {settings.bucket} is taken by another AWS account: set the "
                                     f"stage's FEEDBACK_BUCKET in .chalice/config.json and its policy file to a "
                                     f"name of your own.") from None
        if error_code(error) != "BucketAlreadyOwnedByYou":
            raise
        print(f"bucket {settings.bucket}: exists")
    s3.put_public_access_block(Bucket=settings.bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=settings.bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    if https_only:
        s3.put_bucket_policy(Bucket=settings.bucket, Policy=json.dumps(https_only_policy(settings.bucket)))
    s3.put_bucket_lifecycle_configuration(Bucket=settings.bucket,
                                          LifecycleConfiguration={"Rules": lifecycle_rules(settings)})
    print(f"  private{', HTTPS only' if https_only else ''}; {settings.image_prefix}* deleted after "
          f"{settings.retention_days} days")


def ensure_key(ssm, settings: FeedbackSettings) -> None:
    """Made once: a new key would refuse the ids of answers the page is showing right now."""
    try:
        ssm.put_parameter(Name=settings.key_parameter, Type="SecureString", Overwrite=False, Tier="Standard",
                          Value=base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii"),
                          Description="Signs the prediction ids of the API (scripts/feedback_store.py)")
        print(f"key {settings.key_parameter}: created (SecureString; its value is not shown)")
    except ClientError as error:
        if error_code(error) != "ParameterAlreadyExists":
            raise
        print(f"key {settings.key_parameter}: exists (kept)")


def apply(args: argparse.Namespace, session: boto3.session.Session) -> None:
    settings = stage_feedback_settings(args.project_dir, args.stage)
    check_policy(args.project_dir, args.stage, settings)
    region = args.region or session.region_name
    if not region:
        raise FeedbackStoreError("No AWS region: pass --region or set AWS_DEFAULT_REGION.")
    ensure_table(session.client("dynamodb", region_name=region), settings)
    ensure_bucket(session.client("s3", region_name=region), settings, region)
    ensure_key(session.client("ssm", region_name=region), settings)


def main(argv: list[str] | None = None, session: boto3.session.Session | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    parser.add_argument("--region", help="AWS region (default: AWS configuration)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="Chalice project (default: here)")
    args = parser.parse_args(argv)
    return run_reporting_failures(lambda: apply(args, session or boto3.session.Session()),
                                  (FeedbackStoreError, ChaliceProjectError))


if __name__ == "__main__":
    sys.exit(main())
