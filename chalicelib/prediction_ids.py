"""Signed prediction ids: what /predict answered, verifiable by /feedback without anything stored at predict time.

An id is `v1.<payload>.<mac>`: the payload (base64url JSON) holds the model version, when it was answered, the
verdict, the probability and the image's SHA-256; the mac is HMAC-SHA256 over `v1.<payload>` with the stage's
key. Whoever changes one character of either part gets an id that does not verify, and one that verifies says
exactly what the model answered, so the feedback record can be trusted to hold the model's side.
"""
import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass

VERSION = "v1"
MAX_ID_LENGTH = 512
"""Real ids are about 220 characters; anything longer is refused before any work is done."""
CLOCK_SKEW_S = 300
"""An id dated this far in the future is still accepted (the functions' clocks are not one clock)."""


class PredictionIdError(Exception):
    """The id was not made by this stage (reason says how it fails), or is too old."""

    def __init__(self, reason: str, expired: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


@dataclass(frozen=True)
class Prediction:
    """What the model answered, as the id carries it."""
    model_version: str
    predicted_at: int
    verdict: str
    probability: float
    image_sha256: str
    """Hex digest of the image bytes /predict received."""


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mac_of(signed_part: str, key: bytes) -> str:
    return encode(hmac.new(key, signed_part.encode("ascii"), hashlib.sha256).digest())


def sign(prediction: Prediction, key: bytes) -> str:
    payload = json.dumps([prediction.model_version, prediction.predicted_at, prediction.verdict,
                          round(prediction.probability, 6), encode(bytes.fromhex(prediction.image_sha256))],
                         separators=(",", ":"))
    signed_part = f"{VERSION}.{encode(payload.encode('utf-8'))}"
    return f"{signed_part}.{mac_of(signed_part, key)}"


def verify(prediction_id, key: bytes, now: float, max_age_s: float) -> Prediction:
    """The prediction the id was signed over; PredictionIdError if it was not signed with key or is too old."""
    if not isinstance(prediction_id, str) or not prediction_id.isascii() or len(prediction_id) > MAX_ID_LENGTH:
        raise PredictionIdError("it is not a prediction id")
    parts = prediction_id.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise PredictionIdError("it is not a prediction id")
    signed_part, mac = f"{parts[0]}.{parts[1]}", parts[2]
    if not hmac.compare_digest(mac_of(signed_part, key), mac):
        raise PredictionIdError("its signature does not match")
    try:
        model_version, predicted_at, verdict, probability, image_hash = json.loads(decode(parts[1]))
        prediction = Prediction(model_version, predicted_at, verdict, probability, decode(image_hash).hex())
    except (ValueError, TypeError, binascii.Error):
        raise PredictionIdError("its payload is malformed") from None
    if not (isinstance(model_version, str) and isinstance(verdict, str) and type(predicted_at) is int
            and isinstance(probability, (int, float)) and not isinstance(probability, bool)
            and math.isfinite(probability) and len(prediction.image_sha256) == 64):
        raise PredictionIdError("its payload is malformed")
    if predicted_at > now + CLOCK_SKEW_S:
        raise PredictionIdError("it is dated in the future")
    if now - predicted_at > max_age_s:
        raise PredictionIdError(f"it is older than {max_age_s / 3600:g} hours", expired=True)
    return prediction


def prediction_key(prediction_id: str) -> str:
    """The record's key: the id's mac, unique per prediction and free of anything the visitor sent besides it."""
    return prediction_id.rsplit(".", 1)[-1]
