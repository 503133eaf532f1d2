"""How the deploy scripts end on a failure: one sentence on stderr and exit status 1 (2 for a refusal), never a
traceback."""
import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

CREDENTIAL_ERRORS = frozenset({
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
    "InvalidClientTokenId", "InvalidToken", "UnrecognizedClientException",
})


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
    except user_errors as error:
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
