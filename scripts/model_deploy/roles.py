"""One IAM role per stage for SageMaker, with only what hosting (and a batch transform) of that stage needs.

Each stage has its own role and inline policy, so deploying one stage never changes another's permissions; the
trust policy lets SageMaker assume the role only for resources of this account in this region (aws:SourceArn),
against the confused-deputy problem.
"""
import json
import re

from botocore.exceptions import ClientError

from scripts.aws_failures import error_code
from scripts.model_deploy.errors import DeployError, say

ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
                       r"(?P<repository>[^:@]+)")


def role_name(app_name: str, stage: str) -> str:
    return f"{app_name}-{stage}-sagemaker"


def hosting_policy_name(app_name: str, stage: str) -> str:
    return f"{app_name}-{stage}-model-hosting"


def batch_policy_name(app_name: str, stage: str) -> str:
    return f"{app_name}-{stage}-batch-transform"


def trust_policy(partition: str, region: str, account: str) -> dict:
    """SageMaker Developer Guide, "Cross-service confused deputy prevention" (security-confused-deputy-prevention):
    "The most effective way to protect against the confused deputy problem is to use the aws:SourceArn global
    condition key with the full ARN of the resource. If you don't know the full ARN of the resource or if you are
    specifying multiple resources, use the aws:SourceArn global context condition key with wildcard characters (*)
    for the unknown portions of the ARN"; its SageMaker AI Inference example conditions the role's trust on
    ArnLike aws:SourceArn arn:aws:sagemaker:region:account-id:*. The model, endpoint and transform jobs of a
    stage all live in one region and account, so that one pattern covers them."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{partition}:sagemaker:{region}:{account}:*"}}}]}


def image_repository_arn(image: str, partition: str) -> str:
    """The ECR repository the role may pull from: the one the endpoint's image lives in."""
    match = ECR_IMAGE.match(image)
    if not match:
        raise DeployError(f"--create-role needs an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG), "
                          f"not {image}.")
    return f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"


def hosting_policy(partition: str, account: str, bucket: str, prefix: str, image: str) -> dict:
    """Only what hosting needs: read the model artefacts, pull the image, write the endpoint's logs and instance
    metrics (PutMetricData has no resource-level permissions: its resource is always *)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadModelArtefacts", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}/*"},
        {"Sid": "WriteEndpointLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
         "Resource": f"arn:{partition}:logs:*:{account}:log-group:/aws/sagemaker/*"},
        {"Sid": "WriteEndpointInstanceMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
         "Resource": "*"},
        {"Sid": "PullContainerImageToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
         "Resource": "*"},
        {"Sid": "PullContainerImage", "Effect": "Allow",
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
         "Resource": image_repository_arn(image, partition)},
    ]}


def batch_policy(partition: str, input_bucket: str, input_prefix: str, output_bucket: str,
                 output_prefix: str) -> dict:
    """A batch transform reads its manifest and the catalogue's images, and writes one answer per image."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ListCatalogue", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": f"arn:{partition}:s3:::{input_bucket}",
         "Condition": {"StringLike": {"s3:prefix": f"{input_prefix}*"}}},
        {"Sid": "ReadCatalogue", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:{partition}:s3:::{input_bucket}/{input_prefix}*"},
        {"Sid": "ReadManifest", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:{partition}:s3:::{output_bucket}/{output_prefix}*.manifest"},
        {"Sid": "WriteAnswers", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"arn:{partition}:s3:::{output_bucket}/{output_prefix}*"},
    ]}


def ensure_role(iam, name: str, partition: str, region: str, account: str) -> str:
    """Create the role (or keep the one of that name, its trust policy made ours); its ARN."""
    trust = json.dumps(trust_policy(partition, region, account))
    try:
        arn = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=trust,
            Description="Lets SageMaker host the poster classifier for one stage: read its model artefacts, pull "
                        "the PyTorch inference image, write its logs.")["Role"]["Arn"]
        say(f"created IAM role {arn}, assumable by sagemaker.amazonaws.com for resources of account {account} in "
            f"{region} only")
        return arn
    except ClientError as error:
        if error_code(error) != "EntityAlreadyExists":
            raise
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
    arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    say(f"IAM role {arn} already exists")
    return arn


def put_policy(iam, role: str, policy_name: str, policy: dict) -> None:
    iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
    grants = "; ".join(f"{statement['Action']} on {statement['Resource']}" for statement in policy["Statement"])
    say(f"set its inline policy {policy_name}: {grants}")


def existing_role(iam, name: str) -> str:
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            raise DeployError(f"IAM role {name} does not exist: pass --create-role to create it, or "
                              f"--role-arn ARN to use a role of yours.") from error
        raise
