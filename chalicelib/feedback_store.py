"""The feedback store through boto3: the signing key from SSM, one DynamoDB record per answered prediction, and
a shared poster in the stage's private S3 prefix.

The clients come from boto3's standard configuration, so AWS_ENDPOINT_URL points them at the local store
(scripts/local_store.py) under `make run` without any branch here.
"""
import base64
import functools
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import ApiError
from chalicelib.settings import FeedbackSettings

KEY_RETRY_AFTER_S = 60
"""After SSM fails, /predict answers without ids for a minute instead of waiting on SSM at every request."""
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "total_max_attempts": 2})
NOT_ANSWERED_YET = "attribute_not_exists(prediction)"


class AlreadyAnsweredError(ApiError):
    status_code = 409
    code = "AlreadyAnswered"


class FeedbackUnavailableError(ApiError):
    """The stage keeps no feedback, or its store cannot be reached."""
    status_code = 503
    code = "FeedbackUnavailable"


client_creation = threading.Lock()


@functools.lru_cache(maxsize=None)
def client_for(service: str):
    """One client per service per Lambda container, created on first use."""
    return boto3.session.Session().client(service, config=CLIENT_CONFIG)


def client(service: str):
    """Under a lock: boto3 client creation is not thread-safe, and chalice local serves threads."""
    with client_creation:
        return client_for(service)


class SigningKeys:
    """The stage's key, read from SSM once per container; a failure is remembered for KEY_RETRY_AFTER_S."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys: dict[str, bytes] = {}
        self.failed: dict[str, tuple[float, str]] = {}

    def key(self, parameter: str) -> bytes:
        with self.lock:
            if parameter in self.keys:
                return self.keys[parameter]
            failed_at, reason = self.failed.get(parameter, (None, ""))
            if failed_at is not None and time.monotonic() - failed_at < KEY_RETRY_AFTER_S:
                raise FeedbackUnavailableError("feedback cannot be taken right now", detail=reason)
            try:
                value = client("ssm").get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
                key = base64.b64decode(value, validate=True)
                if len(key) < 32:
                    raise ValueError(f"the key in {parameter} has {len(key)} bytes; 32 are needed")
            except (ClientError, BotoCoreError, ValueError) as error:
                self.failed[parameter] = (time.monotonic(), f"signing key {parameter}: {error}")
                raise FeedbackUnavailableError("feedback cannot be taken right now",
                                               detail=self.failed[parameter][1]) from None
            self.keys[parameter] = key
            return key


signing_keys = SigningKeys()


def attribute_value(value) -> dict:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": repr(value)}
    return {"S": value}


def store_feedback(settings: FeedbackSettings, record: dict, image: bytes | None) -> None:
    """The shared image first (it is the id's image, so a repeat writes the same object), then the record, on
    condition that this prediction has none yet."""
    try:
        if image is not None:
            client("s3").put_object(Bucket=settings.bucket, Key=record["image_key"], Body=image,
                                    ContentType=record["image_type"])
        client("dynamodb").put_item(
            TableName=settings.table, Item={name: attribute_value(value) for name, value in record.items()},
            ConditionExpression=NOT_ANSWERED_YET)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise AlreadyAnsweredError("this prediction has been answered already; thank you") from None
        raise FeedbackUnavailableError("the feedback store failed; try again later", detail=str(error)) from None
    except BotoCoreError as error:
        raise FeedbackUnavailableError("the feedback store cannot be reached; try again later",
                                       detail=str(error)) from None
