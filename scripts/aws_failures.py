"""How the deploy scripts end on a failure: one sentence on stderr and exit status 1 (2 for a refusal), never a
traceback."""
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from scripts import aws_contract

T = TypeVar("T")

CREDENTIAL_ERRORS = frozenset({
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
    "InvalidClientTokenId", "InvalidToken", "UnrecognizedClientException",
})


class IamNotInForce(Exception):
    """A call that relies on a just-written role or policy kept being refused for longer than IAM takes."""


def error_code(error: ClientError) -> str:
    """The code of AWS's answer ("" when it names none)."""
    return error.response.get("Error", {}).get("Code", "")


def describe_client_error(error: ClientError) -> str:
    code = error_code(error) or "Unknown"
    message = error.response.get("Error", {}).get("Message") or code
    if code in CREDENTIAL_ERRORS:
        return f"AWS rejected your credentials ({code}): check or refresh them."
    return f"AWS refused {error.operation_name}: {code}: {message}."


def run_reporting_failures(action: Callable[[], None], user_errors: tuple[type[Exception], ...],
                           describe: Callable[[ClientError], str] = describe_client_error,
                           refusals: tuple[type[Exception], ...] = ()) -> int:
    """Run action; user_errors carry their own sentence, AWS's errors get one here. refusals carry their own
    sentence too, and end with exit status 2 instead of 1."""
    status = 1
    try:
        action()
        return 0
    except refusals as error:
        reason, status = str(error), 2
    except (IamNotInForce, *user_errors) as error:
        reason = str(error)
    except NoCredentialsError:
        reason = ("No AWS credentials found: run `aws configure`, set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and "
                  "AWS_SECRET_ACCESS_KEY.")
    except NoRegionError:
        reason = "No AWS region: pass --region or set AWS_DEFAULT_REGION."
    except ClientError as error:
        reason = describe(error)
    except BotoCoreError as error:
        reason = f"AWS call failed: {error}."
    print(f"error: {' '.join(reason.split())}", file=sys.stderr)
    return status


pause = time.sleep
"""How the IAM retries wait: tests put a recorder here instead of sleeping."""


def retry_while_iam_propagates(action: Callable[[], T], what: str,
                               budget_s: float = aws_contract.IAM_PROPAGATION_SECONDS) -> T:
    """Run action, which relies on a role or policy written a moment ago; while AWS answers that it is not in force
    yet, try again every few seconds for at most budget_s (IAM is eventually consistent), saying so on stderr."""
    waited = 0.0
    while True:
        try:
            return action()
        except ClientError as error:
            if not aws_contract.is_iam_propagation_error(error):
                raise
            if waited >= budget_s:
                raise IamNotInForce(f"{what} still fails after {waited:g} s ({error_code(error)}: "
                                    f"{error.response.get('Error', {}).get('Message', '')}): the role or policy "
                                    f"written for it is not in force, or lacks a permission; run again in a few "
                                    f"minutes, or check the policy.") from error
            if waited == 0:
                print(f"waiting for IAM: {what} is refused until the policy just written is in force (up to "
                      f"{budget_s:g} s)", file=sys.stderr, flush=True)
            pause(aws_contract.IAM_PROPAGATION_POLL_SECONDS)
            waited += aws_contract.IAM_PROPAGATION_POLL_SECONDS
