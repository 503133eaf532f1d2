"""Turn a /predict request body into the image bytes it carries, or say what is wrong with it."""
import base64
import binascii
import json
from dataclasses import dataclass

from chalicelib.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError

JSON_CONTENT_TYPE = "application/json"
RAW_IMAGE_CONTENT_TYPES = frozenset({
    "image/jpeg", "image/jpg", "image/png", "image/webp", "image/gif", "image/bmp",
    "application/octet-stream",
})
DATA_URL_SCHEME = "data:"
MAX_DATA_URL_HEADER = 1_024
"""A data URL's media type and parameters come before its first comma; browsers write a few dozen characters.
Only this many are searched, so a "data" string of megabytes without a comma costs no more than a short one."""
BASE64_WHITESPACE = b" \t\n\r\x0b\x0c"
EXPLAIN_QUERY_VALUES = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass(frozen=True)
class PredictRequest:
    image: bytes
    explain: bool


def media_type(content_type: str | None) -> str:
    """'Application/JSON; charset=utf-8' -> 'application/json'."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_predict_request(body: bytes | None, content_type: str | None, query_params: dict | None,
                          max_body_bytes: int) -> PredictRequest:
    """The image, and whether the caller asked where the model looked ("explain": true or ?explain=1)."""
    body = body or b""
    if len(body) > max_body_bytes:
        raise PayloadTooLargeError(
            f"request body is {len(body):,} bytes; at most {max_body_bytes:,} bytes are accepted")
    explain = explain_from_query(query_params or {})
    kind = media_type(content_type)
    if kind == JSON_CONTENT_TYPE:
        document = json_document(body)
        return PredictRequest(image_bytes_from_json(document), explain or explain_from_json(document))
    if kind in RAW_IMAGE_CONTENT_TYPES:
        if not body:
            raise BadRequestError("request body is empty: send the image's bytes")
        return PredictRequest(body, explain)
    raise UnsupportedMediaTypeError(
        f"Content-Type {content_type or '(none)'!r} is not supported: send application/json "
        f"{{\"data\": \"<base64>\"}} or the raw image as image/jpeg, image/png, image/webp, image/gif, image/bmp "
        f"or application/octet-stream")


def explain_from_query(query_params: dict) -> bool:
    value = query_params.get("explain")
    if value is None:
        return False
    key = value.strip().lower()
    if key not in EXPLAIN_QUERY_VALUES:
        raise BadRequestError(f"query parameter explain must be 1 or 0 (true or false), not {value[:40]!r}")
    return EXPLAIN_QUERY_VALUES[key]


def explain_from_json(document: dict) -> bool:
    value = document.get("explain", False)
    if not isinstance(value, bool):
        raise BadRequestError(f'"explain" must be true or false, not {json_type_name(value)}')
    return value


def json_document(body: bytes) -> dict:
    """A JSON object; a UTF-8 byte-order mark, which some Windows tools write, is accepted."""
    if not body.strip():
        raise BadRequestError('request body is empty: send {"data": "<base64 image>"}')
    try:
        # strict=False accepts the raw line breaks that `base64` puts inside the JSON string.
        document = json.loads(body.decode("utf-8-sig"), strict=False)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadRequestError(f"request body is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise BadRequestError('request body must be a JSON object like {"data": "<base64 image>"}')
    return document


def image_bytes_from_json(document: dict) -> bytes:
    if "data" not in document:
        raise BadRequestError('request body has no "data" field holding the base64 image')
    data = document["data"]
    if not isinstance(data, str):
        raise BadRequestError(f'"data" must be a base64 string, not {json_type_name(data)}')
    return decode_base64_payload(data)


def decode_base64_payload(data: str) -> bytes:
    """Plain base64, or a data URL of any media type image/* with ;base64."""
    if data[:len(DATA_URL_SCHEME)].lower() == DATA_URL_SCHEME:
        comma = data.find(",", len(DATA_URL_SCHEME), len(DATA_URL_SCHEME) + MAX_DATA_URL_HEADER)
        if comma < 0:
            raise BadRequestError(f"data URL has no comma within its first {MAX_DATA_URL_HEADER:,} characters: "
                                  "send data:image/...;base64,<base64>")
        media_type, _, parameters = data[len(DATA_URL_SCHEME):comma].partition(";")
        if not media_type.lower().startswith("image/"):
            raise BadRequestError(f"data URL has media type {media_type or '(none)'!r}; it must be an image")
        if ";base64" not in f";{parameters}".lower():
            raise BadRequestError("data URL must be base64-encoded (data:image/...;base64,...)")
        data = data[comma + 1:]
    try:
        encoded = data.encode("ascii").translate(None, BASE64_WHITESPACE)
    except UnicodeEncodeError:
        raise BadRequestError('"data" is not valid base64: it holds non-ASCII characters') from None
    if not encoded:
        raise BadRequestError('"data" is empty: it must hold the base64-encoded image')
    try:
        return base64.b64decode(encoded + b"=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadRequestError(f'"data" is not valid base64: {error}') from None


def json_type_name(value) -> str:
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number",
             list: "an array", dict: "an object"}
    return names.get(type(value), type(value).__name__)
