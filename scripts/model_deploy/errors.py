"""What the deploy modules share about failures: the user's own mistakes, and SageMaker's way of saying 'missing'."""
import sys

from botocore import xform_name
from botocore.exceptions import ClientError

from scripts.aws_contract import is_not_found


class DeployError(Exception):
    """A problem the user can fix; the command line prints it as one line."""


def describe_or_none(client, operation_name: str, **names) -> dict | None:
    """The answer of a Describe operation (e.g. "DescribeTransformJob") for the named resource, None where it does
    not exist: "missing" is told by the error codes the operation's service model declares."""
    try:
        return getattr(client, xform_name(operation_name))(**names)
    except ClientError as error:
        if is_not_found(client, operation_name, error):
            return None
        raise


def say(message: str) -> None:
    """Progress goes to stderr; stdout carries only the command's result."""
    print(message, file=sys.stderr, flush=True)
