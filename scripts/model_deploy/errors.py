"""What the deploy modules share about failures: the user's own mistakes, and SageMaker's way of saying 'missing'."""
import sys

from botocore.exceptions import ClientError

from scripts.aws_failures import error_code


class DeployError(Exception):
    """A problem the user can fix; the command line prints it as one line."""


def is_missing(error: ClientError) -> bool:
    """SageMaker answers a describe of a missing resource with ValidationException 'Could not find ...'."""
    return error_code(error) == "ValidationException" and "could not find" in str(error).lower()


def describe_or_none(describe, **names) -> dict | None:
    """SageMaker's describe_* answer for the named resource, None where it does not exist."""
    try:
        return describe(**names)
    except ClientError as error:
        if is_missing(error):
            return None
        raise


def say(message: str) -> None:
    """Progress goes to stderr; stdout carries only the command's result."""
    print(message, file=sys.stderr, flush=True)
