"""Call the SageMaker endpoint and turn every way it can fail into an ApiError.

The client comes from boto3's standard configuration, so AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME
points it at a local server without any branch here.
"""
import functools
import threading

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError,
                                 EndpointConnectionError, ReadTimeoutError)

from chalicelib.errors import EndpointTimeoutError, EndpointUnavailableError, ModelFailedError
from chalicelib.settings import Settings

UNAVAILABLE_STATUS_CODES = frozenset({429, 503})
UNAVAILABLE_ERROR_CODES = frozenset({
    "ValidationError", "ModelNotReadyException", "ServiceUnavailable", "ThrottlingException",
    "Throttling", "TooManyRequestsException",
})


client_creation = threading.Lock()


@functools.lru_cache(maxsize=1)
def client_for(connect_timeout: float, read_timeout: float, max_attempts: int):
    """One client per Lambda container (per settings), created on first use, not at import."""
    config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                    retries={"mode": "standard", "total_max_attempts": max_attempts})
    return boto3.session.Session().client("sagemaker-runtime", config=config)


def sagemaker_client(settings: Settings):
    """Under a lock: boto3 client creation is not thread-safe, and chalice local serves threads."""
    with client_creation:
        return client_for(settings.connect_timeout, settings.read_timeout, settings.max_attempts)


EXPLAIN_ATTRIBUTE = "explain=1"
"""SageMaker passes CustomAttributes to the container untouched: our model reads it as 'answer the evidence too'."""


def invoke_endpoint(settings: Settings, jpeg: bytes, explain: bool = False) -> bytes:
    """Send the image, return the raw answer body."""
    extra = {"CustomAttributes": EXPLAIN_ATTRIBUTE} if explain else {}
    try:
        response = sagemaker_client(settings).invoke_endpoint(
            EndpointName=settings.endpoint_name, ContentType="application/x-image",
            Accept="application/json", Body=jpeg, **extra)
        return response["Body"].read()
    except ClientError as error:
        raise error_for_client_error(settings.endpoint_name, error) from error
    except ReadTimeoutError as error:
        raise EndpointTimeoutError(
            f"the model endpoint {settings.endpoint_name!r} did not answer in time ({settings.max_attempts} "
            f"attempt(s) of {settings.read_timeout:g} s)", detail=str(error)) from error
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise EndpointUnavailableError(
            f"the model endpoint {settings.endpoint_name!r} cannot be reached", detail=str(error)) from error
    except BotoCoreError as error:
        raise EndpointUnavailableError(
            f"the model endpoint {settings.endpoint_name!r} cannot be called", detail=str(error)) from error


def error_for_client_error(endpoint_name: str, error: ClientError):
    """The caller learns what kind of failure it was; the upstream message, which can hold the
    account id or a container's traceback, goes to the log only."""
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    detail = error.response.get("Error", {}).get("Message", "") or str(error)
    if code in UNAVAILABLE_ERROR_CODES or status in UNAVAILABLE_STATUS_CODES:
        return EndpointUnavailableError(
            f"the model endpoint {endpoint_name!r} does not exist, is not in service or is busy ({code})",
            detail=detail)
    if status == 504:
        return EndpointTimeoutError(f"the model endpoint {endpoint_name!r} timed out ({code})", detail=detail)
    return ModelFailedError(f"the model endpoint {endpoint_name!r} failed ({code or status})", detail=detail)
