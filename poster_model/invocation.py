"""What a model container does with one SageMaker invocation, free of any web framework.

The local endpoint (poster_model.server) and the inference code shipped to a real SageMaker
endpoint both call these functions, so they accept the same requests and answer the same body.
Errors carry the HTTP status a model container answers with; the SageMaker runtime wraps any
container error into a `ModelError` (see ModelInvocationError.runtime_message).

The steps match a SageMaker framework container's handler functions: read_request is input_fn,
predict is predict_fn, encode_response is output_fn, and invoke is all three (transform_fn).
"""
import json
import math
import re
from typing import Protocol

import numpy as np

from poster_model.preprocess import InvalidImageError, prepare_untrusted_image

IMAGE_CONTENT_TYPES = (
    "application/x-image", "image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff",
    "application/octet-stream",
)
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
"""boto3's CustomAttributes travel under this header, to the runtime and from it to the container."""
JSON_CONTENT_TYPE = "application/json"
ACCEPTED_MEDIA_RANGES = (JSON_CONTENT_TYPE, "application/*", "*/*")
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
"""SageMaker real-time inference refuses request bodies over 6 MB before they reach the container."""


class Classifier(Protocol):
    """What an invocation needs of a model; poster_model.predictor.PosterClassifier is one."""

    height: int
    width: int

    def answer(self, batch: np.ndarray, explain: bool, log_aspect: float) -> dict | list[float]: ...


class ModelInvocationError(ValueError):
    """A request the model container refuses; status is the container's HTTP answer."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def runtime_message(self) -> str:
        """The message the SageMaker runtime gives the caller for this container error."""
        kind = "client" if self.status < 500 else "server"
        return (f'Received {kind} error ({self.status}) from primary with message "{self.message}". '
                "See the endpoint's log for more information.")


class UndecodableImageError(ModelInvocationError):
    status = 400


class UnsupportedAcceptError(ModelInvocationError):
    status = 406


class PayloadTooLargeError(ModelInvocationError):
    status = 413


class UnsupportedContentTypeError(ModelInvocationError):
    status = 415


class ModelFailureError(ModelInvocationError):
    """The model itself failed or answered nonsense: the container's internal error."""

    status = 500


def media_type(header: str | None) -> str:
    """'Image/JPEG; charset=x' -> 'image/jpeg'; a missing header -> ''."""
    return (header or "").split(";", 1)[0].strip().lower()


def response_content_type(accept: str | None) -> str:
    """The answer's Content-Type for an Accept header; no Accept means the default, JSON."""
    if not (accept or "").strip():
        return JSON_CONTENT_TYPE
    if any(media_type(part) in ACCEPTED_MEDIA_RANGES for part in accept.split(",")):
        return JSON_CONTENT_TYPE
    raise UnsupportedAcceptError(f"Unsupported Accept {accept!r}: this model answers {JSON_CONTENT_TYPE}")


def check_payload_size(size: int) -> None:
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLargeError(
            f"Request payload of {size} bytes exceeds the maximum of {MAX_PAYLOAD_BYTES} bytes")


def read_request(body: bytes, content_type: str | None) -> bytes:
    """A SageMaker input_fn: the image bytes of an acceptable request (decoding needs the model's size)."""
    if media_type(content_type) not in IMAGE_CONTENT_TYPES:
        raise UnsupportedContentTypeError(
            f"Unsupported Content-Type {content_type or '(none)'}: send image bytes as one of "
            + ", ".join(IMAGE_CONTENT_TYPES))
    check_payload_size(len(body))
    return body


def decode_image_batch(image: bytes, height: int, width: int) -> tuple[np.ndarray, float]:
    """Image bytes -> uint8 (1, height, width, 3) model input, and ln(width / height) of the image,
    decoded under the decode ceiling: a hostile image is refused, the container goes on."""
    try:
        return prepare_untrusted_image(image, height, width)
    except InvalidImageError as error:
        raise UndecodableImageError(f"The request body is not a readable image: {error}") from error


def wants_explanation(custom_attributes: str | None) -> bool:
    """SageMaker's CustomAttributes is an opaque string; ours is "explain=1" (among others, ; or , separated)."""
    pairs = (part.strip().lower() for part in re.split(r"[;,]", custom_attributes or ""))
    return any(pair in ("explain=1", "explain=true") for pair in pairs)


def predict(image: bytes, classifier: Classifier, explain: bool = False) -> dict | list[float]:
    """A SageMaker predict_fn: the answer object for one image's bytes (a plain class list for a model
    that only has class probabilities)."""
    batch, log_aspect = decode_image_batch(image, classifier.height, classifier.width)
    try:
        answer = classifier.answer(batch, explain, log_aspect)
    except Exception as error:  # onnxruntime raises its own exception types
        raise ModelFailureError(f"The model failed: {type(error).__name__}: {error}") from error
    probabilities = answer if isinstance(answer, list) else answer["probabilities"]
    if len(probabilities) != 2 or not all_finite(answer):
        raise ModelFailureError(f"The model answered {str(answer)[:200]}, not two finite class probabilities")
    return answer


def all_finite(value) -> bool:
    if isinstance(value, dict):
        return all(all_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(all_finite(item) for item in value)
    return not isinstance(value, float) or math.isfinite(value)


def encode_response(answer: dict | list[float], accept: str | None) -> tuple[bytes, str]:
    """A SageMaker output_fn: answer -> (JSON body, Content-Type)."""
    return json.dumps(answer).encode(), response_content_type(accept)


def invoke(classifier: Classifier, body: bytes, content_type: str | None, accept: str | None,
           custom_attributes: str | None = None) -> tuple[bytes, str]:
    """One whole invocation, in the order the container's input_fn, predict_fn and output_fn run:
    (body, Content-Type) or a ModelInvocationError."""
    explain = wants_explanation(custom_attributes)
    return encode_response(predict(read_request(body, content_type), classifier, explain), accept)
