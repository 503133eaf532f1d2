"""How long CloudWatch keeps the model endpoint's and the API function's logs: without a retention, forever.

Shared by scripts/deploy_model.py (the endpoint's group) and scripts/api_gateway_settings.py (the function's).
"""
import argparse

from botocore.exceptions import ClientError

from scripts.aws_contract import SHARED_LOG_GROUPS
from scripts.aws_failures import error_code
from scripts.model_deploy.errors import say

DEFAULT_RETENTION_DAYS = 30
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                  3288, 3653)
"""The values CloudWatch Logs accepts for PutRetentionPolicy."""


def add_retention_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """--log-retention-days DAYS, one of the values CloudWatch Logs accepts (default: DEFAULT_RETENTION_DAYS)."""
    parser.add_argument("--log-retention-days", type=int, default=DEFAULT_RETENTION_DAYS, choices=RETENTION_DAYS,
                        metavar="DAYS", help=help)


def endpoint_log_group(endpoint_name: str) -> str:
    return f"/aws/sagemaker/Endpoints/{endpoint_name}"


def lambda_log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def current_retention(logs, group: str) -> int | None:
    """The group's retention in days; None when it keeps its logs forever or does not exist yet."""
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=group):
        for found in page["logGroups"]:
            if found["logGroupName"] == group:
                return found.get("retentionInDays")
    return None


def set_retention(logs, group: str, days: int) -> None:
    """Create the group if the service has not yet (so the retention holds from its first line), then set it. A group
    the whole account shares (aws_contract.SHARED_LOG_GROUPS) keeps a retention someone already set: only one that
    keeps its logs forever gets ours."""
    if group in SHARED_LOG_GROUPS:
        kept = current_retention(logs, group)
        if kept is not None:
            say(f"log group {group} keeps its logs {kept} days, as already set for the whole account (not changed)")
            return
    try:
        logs.create_log_group(logGroupName=group)
    except ClientError as error:
        if error_code(error) != "ResourceAlreadyExistsException":
            raise
    logs.put_retention_policy(logGroupName=group, retentionInDays=days)
    shared = " (it had none; the group is shared by the whole account, so a retention set later is kept)" \
        if group in SHARED_LOG_GROUPS else ""
    say(f"log group {group} keeps its logs {days} days{shared}")
