"""Visitors' answers to "Is this movie a thriller or crime film?": the id /predict signs, the POST /feedback body
checked field by field, and the one record stored for it (nothing in it identifies the visitor).

Body: {"prediction_id": "...", "answer": "yes" | "no" | "not sure", "share_image": false}, or with
"share_image": true also "image": the base64 (or data URL) of the very image /predict was sent, at most
FEEDBACK_MAX_IMAGE_BYTES. An image is refused unless sharing is ticked, and must hash to the id's image; it is
kept without its metadata (chalicelib/shared_images.py).
"""
import hashlib
from dataclasses import dataclass

from chalicelib.answers import DECIDED, HARD_TO_TELL, NOT_A_POSTER, NOT_THRILLER, THRILLER
from chalicelib.errors import ApiError, BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError
from chalicelib.feedback_store import signing_keys
from chalicelib.prediction_ids import Prediction, PredictionIdError, prediction_key, sign, verify
from chalicelib.request_parsing import (JSON_CONTENT_TYPE, decode_base64_payload, json_document, json_type_name,
                                        media_type)
from chalicelib.settings import FeedbackSettings, load_feedback_settings
from chalicelib.shared_images import JPEG_START, PNG_SIGNATURE, without_metadata

ANSWERS = {"yes": True, "no": False, "not sure": None}
FIELDS = ("prediction_id", "answer", "share_image", "image")
MAX_BODY_BYTES = 100_000
"""A 60 KiB image in base64 is 82 KB; the rest of the body is a few hundred bytes."""
IMAGE_TYPES = {JPEG_START: ("image/jpeg", "jpg"), PNG_SIGNATURE: ("image/png", "png")}
AGREES, DISAGREES, NOT_SURE, NO_DECISION = "agrees", "disagrees", "not sure", "no decision"
VERDICTS = (THRILLER, HARD_TO_TELL, NOT_THRILLER, NOT_A_POSTER)
RECORD_ATTRIBUTES = ("prediction", "model_version", "predicted_at", "verdict", "probability", "image_sha256", "answer",
                     "agreement", "answered_at", "expires_at", "image_key", "image_type")
"""Everything a record may hold; the stage's IAM policy lets the function write no other attribute."""


class InvalidPredictionIdError(ApiError):
    """Forged, altered or not from this stage."""
    status_code = 403
    code = "InvalidPredictionId"


class PredictionExpiredError(ApiError):
    status_code = 410
    code = "PredictionExpired"


@dataclass(frozen=True)
class FeedbackRequest:
    prediction_id: str
    answer: str
    share_image: bool
    image: bytes | None


def signed_prediction_id(answer: dict, image: bytes, settings: FeedbackSettings, key: bytes, now: float) -> str:
    return sign(Prediction(settings.model_version, int(now), answer["verdict"], answer["probability"],
                           hashlib.sha256(image).hexdigest()), key)


def new_prediction_id(answer: dict, image: bytes, now: float) -> str | None:
    """The id /predict answers with; None where the stage keeps no feedback. ConfigurationError or
    FeedbackUnavailableError where it keeps feedback but cannot sign now."""
    settings = load_feedback_settings()
    if settings is None:
        return None
    return signed_prediction_id(answer, image, settings, signing_keys.key(settings.key_parameter), now)


def parse_feedback_request(body: bytes | None, content_type: str | None) -> FeedbackRequest:
    body = body or b""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"request body is {len(body):,} bytes; at most {MAX_BODY_BYTES:,} are accepted")
    if media_type(content_type) != JSON_CONTENT_TYPE:
        raise UnsupportedMediaTypeError(f"Content-Type {content_type or '(none)'!r} is not supported: send "
                                        f"application/json")
    document = json_document(body)
    unknown = sorted(set(document) - set(FIELDS))
    if unknown:
        raise BadRequestError(f"unknown field(s) {', '.join(map(repr, unknown))[:200]}: send only "
                              f"{', '.join(FIELDS)}")
    prediction_id = document.get("prediction_id")
    if not isinstance(prediction_id, str) or not prediction_id:
        raise BadRequestError(f'"prediction_id" must be the string /predict answered, not '
                              f'{json_type_name(prediction_id) if prediction_id != "" else "empty"}')
    answer = document.get("answer")
    if not isinstance(answer, str) or answer not in ANSWERS:
        raise BadRequestError(f'"answer" must be "yes", "no" or "not sure", not {str(answer)[:40]!r}')
    share_image = document.get("share_image", False)
    if not isinstance(share_image, bool):
        raise BadRequestError(f'"share_image" must be true or false, not {json_type_name(share_image)}')
    if share_image != ("image" in document):
        raise BadRequestError('send "image" exactly when "share_image" is true' if share_image else
                              'an "image" is accepted only with "share_image": true')
    image = None
    if share_image:
        if not isinstance(document["image"], str):
            raise BadRequestError(f'"image" must be a base64 string, not {json_type_name(document["image"])}')
        image = decode_base64_payload(document["image"])
    return FeedbackRequest(prediction_id, answer, share_image, image)


def agreement(verdict: str, answer: str) -> str:
    if ANSWERS[answer] is None:
        return NOT_SURE
    if verdict not in DECIDED:
        return NO_DECISION
    return AGREES if DECIDED[verdict] == ANSWERS[answer] else DISAGREES


def feedback_record(request: FeedbackRequest, settings: FeedbackSettings, key: bytes,
                    now: float) -> tuple[dict, bytes | None]:
    """The record to store: the model's side from the verified id, the visitor's answer, and when it expires; and
    the shared image to keep, without its metadata (None when not shared)."""
    try:
        prediction = verify(request.prediction_id, key, now, settings.max_age_s)
    except PredictionIdError as error:
        if error.expired:
            raise PredictionExpiredError(f"this prediction is too old to answer: {error.reason}") from None
        raise InvalidPredictionIdError(f"prediction_id was not issued by this API: {error.reason}") from None
    record = {
        "prediction": prediction_key(request.prediction_id),
        "model_version": prediction.model_version,
        "predicted_at": prediction.predicted_at,
        "verdict": prediction.verdict,
        "probability": prediction.probability,
        "image_sha256": prediction.image_sha256,
        "answer": request.answer,
        "agreement": agreement(prediction.verdict, request.answer),
        "answered_at": int(now),
        "expires_at": int(now) + settings.retention_days * 86400,
    }
    if request.image is None:
        return record, None
    record.update(shared_image_fields(request.image, prediction, settings, record["prediction"]))
    return record, without_metadata(request.image)


def shared_image_fields(image: bytes, prediction: Prediction, settings: FeedbackSettings, key: str) -> dict:
    if len(image) > settings.max_image_bytes:
        raise PayloadTooLargeError(f"the shared image is {len(image):,} bytes; at most {settings.max_image_bytes:,} "
                                   f"are kept (the page sends a smaller copy)")
    if hashlib.sha256(image).hexdigest() != prediction.image_sha256:
        raise BadRequestError('"image" is not the image this prediction was made for')
    kind = next((kind for magic, kind in IMAGE_TYPES.items() if image.startswith(magic)), None)
    if kind is None:
        raise BadRequestError('"image" must be a JPEG or PNG image to be shared')
    content_type, extension = kind
    return {"image_key": f"{settings.image_prefix}{key}.{extension}", "image_type": content_type}
