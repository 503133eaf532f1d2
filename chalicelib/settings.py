"""Configuration from environment variables, which .chalice/config.json sets per stage."""
import json
import os
from dataclasses import dataclass

from chalicelib.errors import ConfigurationError

DEFAULT_CLASS_LABELS = ("not thriller", "thriller/crime")


@dataclass(frozen=True)
class Settings:
    endpoint_name: str
    class_labels: tuple[str, ...]
    thriller_label: str
    max_body_bytes: int
    max_image_pixels: int
    model_image_max_side: int
    connect_timeout: float
    read_timeout: float
    max_attempts: int

    @property
    def thriller_index(self) -> int:
        return self.class_labels.index(self.thriller_label)


def load_settings(environ=None) -> Settings:
    """Read on each request: a few dictionary lookups, and tests can change the environment."""
    environ = os.environ if environ is None else environ
    try:
        labels = tuple(json.loads(environ.get("CLASS_LABELS", json.dumps(DEFAULT_CLASS_LABELS))))
        if len(labels) < 2 or not all(isinstance(label, str) for label in labels):
            raise ValueError(f"CLASS_LABELS must be a JSON list of at least two strings, not {labels}")
        thriller_label = environ.get("THRILLER_LABEL", labels[-1])
        if thriller_label not in labels:
            raise ValueError(f"THRILLER_LABEL {thriller_label!r} is not one of CLASS_LABELS {labels}")
        endpoint_name = environ.get("SAGEMAKER_ENDPOINT_NAME", "")
        if not endpoint_name:
            raise ValueError("SAGEMAKER_ENDPOINT_NAME is not set")
        return Settings(
            endpoint_name=endpoint_name,
            class_labels=labels,
            thriller_label=thriller_label,
            max_body_bytes=int(environ.get("MAX_BODY_BYTES", 6_000_000)),
            max_image_pixels=int(environ.get("MAX_IMAGE_PIXELS", 40_000_000)),
            model_image_max_side=int(environ.get("MODEL_IMAGE_MAX_SIDE", 512)),
            connect_timeout=float(environ.get("SAGEMAKER_CONNECT_TIMEOUT", 2)),
            read_timeout=float(environ.get("SAGEMAKER_READ_TIMEOUT", 8)),
            max_attempts=int(environ.get("SAGEMAKER_MAX_ATTEMPTS", 2)),
        )
    except (ValueError, TypeError) as error:
        raise ConfigurationError("the API is misconfigured; its log says how", detail=str(error)) from None


@dataclass(frozen=True)
class FeedbackSettings:
    """Where visitors' answers go (scripts/feedback_store.py creates each of these per stage) and for how long."""
    key_parameter: str
    """SSM SecureString parameter holding the base64 key that signs prediction ids."""
    table: str
    bucket: str
    image_prefix: str
    model_version: str
    max_age_s: int
    retention_days: int
    max_image_bytes: int


def load_feedback_settings(environ=None) -> FeedbackSettings | None:
    """None where the stage keeps no feedback (no PREDICTION_ID_KEY_PARAMETER): /predict then answers without an
    id and /feedback refuses, so a stage deployed without a feedback store still predicts."""
    environ = os.environ if environ is None else environ
    key_parameter = environ.get("PREDICTION_ID_KEY_PARAMETER", "")
    if not key_parameter:
        return None
    try:
        table, bucket = environ["FEEDBACK_TABLE"], environ["FEEDBACK_BUCKET"]
        prefix = environ.get("FEEDBACK_IMAGE_PREFIX", "feedback/")
        if not (table and bucket and prefix.endswith("/") and not prefix.startswith("/")):
            raise ValueError("FEEDBACK_TABLE and FEEDBACK_BUCKET must be set and FEEDBACK_IMAGE_PREFIX end in /")
        return FeedbackSettings(
            key_parameter=key_parameter, table=table, bucket=bucket, image_prefix=prefix,
            model_version=environ.get("MODEL_VERSION") or environ.get("SAGEMAKER_ENDPOINT_NAME", "unknown"),
            max_age_s=int(environ.get("PREDICTION_ID_MAX_AGE_S", 24 * 3600)),
            retention_days=int(environ.get("FEEDBACK_RETENTION_DAYS", 180)),
            max_image_bytes=int(environ.get("FEEDBACK_MAX_IMAGE_BYTES", 60 * 1024)),
        )
    except (KeyError, ValueError) as error:
        raise ConfigurationError("the API is misconfigured; its log says how",
                                 detail=f"feedback settings: {error}") from None
