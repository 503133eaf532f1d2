"""Call the SageMaker endpoint and turn every way it can fail into an ApiError.

The client comes from boto3's standard configuration, so AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME
points it at a local server without any branch here.
"""
import functools

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError,
                                 EndpointConnectionError, ReadTimeoutError)

from chalicelib.errors import EndpointTimeoutError, EndpointUnavailableError, ModelFailedError
from chalicelib.settings import Settings

MESSAGE_SUMMARY_CHARS = 300
UNAVAILABLE_ERROR_CODES = frozenset({
    "ValidationError", "ModelNotReadyException", "ServiceUnavailable", "ThrottlingException",
    "Throttling", "TooManyRequestsException",
})


@functools.lru_cache(maxsize=1)
def client_for(connect_timeout: float, read_timeout: float, max_attempts: int):
    """One client per Lambda container (per settings), created on first use, not at import."""
    config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                    retries={"mode": "standard", "total_max_attempts": max_attempts})
    return boto3.client("sagemaker-runtime", config=config)


def sagemaker_client(settings: Settings):
    return client_for(settings.connect_timeout, settings.read_timeout, settings.max_attempts)


def invoke_endpoint(settings: Settings, jpeg: bytes) -> bytes:
    """Send the image, return the raw answer body."""
    try:
        response = sagemaker_client(settings).invoke_endpoint(
            EndpointName=settings.endpoint_name, ContentType="application/x-image",
            Accept="application/json", Body=jpeg)
        return response["Body"].read()
    except ClientError as error:
        raise error_for_client_error(settings.endpoint_name, error) from error
    except ReadTimeoutError as error:
        raise EndpointTimeoutError(
            f"the model endpoint {settings.endpoint_name!r} did not answer within "
            f"{settings.read_timeout:g} s") from error
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise EndpointUnavailableError(
            f"the model endpoint {settings.endpoint_name!r} cannot be reached", detail=str(error)) from error
    except BotoCoreError as error:
        raise EndpointUnavailableError(
            f"the model endpoint {settings.endpoint_name!r} cannot be called", detail=str(error)) from error


def error_for_client_error(endpoint_name: str, error: ClientError):
    """The caller sees the first line of the upstream message (a container's may go on with a
    traceback); the log gets all of it."""
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "") or str(error)
    summary = message.strip().splitlines()[0][:MESSAGE_SUMMARY_CHARS] if message.strip() else code
    if code in UNAVAILABLE_ERROR_CODES:
        return EndpointUnavailableError(
            f"the model endpoint {endpoint_name!r} is not available ({code}: {summary})", detail=message)
    return ModelFailedError(
        f"the model endpoint {endpoint_name!r} failed ({code or 'error'}: {summary})", detail=message)
