"""Whatever arrives, request parsing and image normalizing fail only with the documented 4xx errors.

Hypothesis generates bodies, JSON documents, data URLs, content types and damaged images; the
only exceptions allowed out are ApiError subclasses with a 4xx status, so app.py turns every
bad request into a clear answer and never into a 500 with a traceback.
"""
import base64
import io
import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib.errors import ApiError
from chalicelib.image_normalizing import normalize_image
from chalicelib.request_parsing import parse_predict_request
from devkit.images import encode, poster

MAX_BODY_BYTES = 6_000_000
MAX_SIDE = 512
MAX_PIXELS = 40_000_000

CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from([
        "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/jsonx",
        "image/jpeg", "image/png; charset=binary", "image/webp", "application/octet-stream",
        "text/plain", "multipart/form-data; boundary=x", "", ";", "image/", "*/*",
    ]),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
ACCEPTED_PREFIXES = ["", "data:image/png;base64,", "data:image/jpeg;base64,", "data:IMAGE/GIF;BASE64,",
                     "data:image/webp;charset=utf-8;base64,", "data:image/svg+xml;base64,"]
REFUSED_PREFIXES = ["data:text/plain;base64,", "data:;base64,", "data:application/octet-stream;base64,",
                    "data:image/png,", "data:image/png;charset=utf-8,"]
IMAGE_FILES = [
    encode(poster(40, 60, seed=1), "JPEG", quality=80),
    encode(poster(40, 60, seed=2), "PNG"),
    encode(poster(40, 60, seed=3, mode="P"), "GIF"),
    encode(poster(40, 60, seed=4, mode="RGBA"), "WEBP"),
    encode(poster(40, 60, seed=5), "BMP"),
    encode(poster(40, 60, seed=6, mode="CMYK"), "JPEG"),
    encode(poster(40, 60, seed=7, mode="LA"), "PNG"),
]
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_only_documented_errors(call, *args):
    """Either a result, or an ApiError whose status is a 4xx and whose message says something."""
    try:
        return call(*args)
    except ApiError as error:
        assert 400 <= error.status_code < 500, f"{type(error).__name__} {error.status_code}: {error.message}"
        assert error.message and error.to_body()["error"] == error.code
        return None


def image_bytes(body: bytes, content_type: str, limit: int) -> bytes:
    return parse_predict_request(body, content_type, None, limit).image


def json_body(document) -> bytes:
    return json.dumps(document).encode()


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=2_000), content_type=CONTENT_TYPES)
def test_arbitrary_bytes_with_any_content_type_raise_only_documented_errors(body, content_type):
    assert_only_documented_errors(image_bytes, body, content_type, MAX_BODY_BYTES)


@PROPERTY_SETTINGS
@given(document=JSON_VALUES)
def test_any_json_document_raises_only_documented_errors(document):
    assert_only_documented_errors(image_bytes, json_body(document), "application/json", MAX_BODY_BYTES)


@PROPERTY_SETTINGS
@given(data=st.text(max_size=300))
@example(data="\ud800")
@example(data="data:image/png;base64,")
@example(data="====")
def test_any_string_as_data_raises_only_documented_errors(data):
    body = json_body({"data": data})
    assert_only_documented_errors(image_bytes, body, "application/json", MAX_BODY_BYTES)


@PROPERTY_SETTINGS
@given(prefix=st.sampled_from(ACCEPTED_PREFIXES + REFUSED_PREFIXES), payload=st.binary(max_size=200),
       line_length=st.sampled_from([0, 1, 76]))
def test_base64_payloads_decode_to_exactly_what_was_encoded_when_the_prefix_is_accepted(prefix, payload, line_length):
    """Plain base64 or an image data URL, wrapped at any width (the blog's `base64` wraps at 76)."""
    encoded = base64.b64encode(payload).decode()
    if line_length:
        encoded = "\n".join(encoded[i:i + line_length] for i in range(0, len(encoded), line_length))
    body = json_body({"data": prefix + encoded})
    decoded = assert_only_documented_errors(image_bytes, body, "application/json", MAX_BODY_BYTES)
    assert decoded == (payload if prefix in ACCEPTED_PREFIXES and payload else None)


@PROPERTY_SETTINGS
@given(document=JSON_VALUES, nesting=st.integers(min_value=1, max_value=200_000))
def test_deeply_nested_json_raises_only_documented_errors(document, nesting):
    body = b"[" * nesting + json_body(document) + b"]" * nesting
    assert_only_documented_errors(image_bytes, body, "application/json", MAX_BODY_BYTES)


@PROPERTY_SETTINGS
@given(size=st.integers(min_value=0, max_value=64), limit=st.integers(min_value=0, max_value=64),
       content_type=st.sampled_from(["application/json", "image/jpeg", "text/plain"]))
def test_bodies_over_the_limit_get_413_whatever_else_is_wrong(size, limit, content_type):
    try:
        image_bytes(b"x" * size, content_type, limit)
    except ApiError as error:
        assert (error.status_code == 413) == (size > limit)
    else:
        assert size <= limit


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=3_000))
def test_arbitrary_bytes_as_an_image_raise_only_documented_errors(data):
    assert_only_documented_errors(normalize_image, data, MAX_SIDE, MAX_PIXELS)


@PROPERTY_SETTINGS
@given(original=st.sampled_from(IMAGE_FILES), data=st.data())
def test_damaged_images_raise_only_documented_errors(original, data):
    """Flipped bytes and cut-off files are what decoders really choke on."""
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8), label="flips")):
        position = data.draw(st.integers(min_value=0, max_value=len(damaged) - 1), label="position")
        damaged[position] = data.draw(st.integers(min_value=0, max_value=255), label="byte")
    length = data.draw(st.integers(min_value=0, max_value=len(damaged)), label="length")
    assert_only_documented_errors(normalize_image, bytes(damaged[:length]), MAX_SIDE, MAX_PIXELS)


@pytest.mark.parametrize("original", IMAGE_FILES, ids=["jpeg", "png", "gif", "webp", "bmp", "cmyk-jpeg", "la-png"])
def test_every_intact_image_becomes_an_rgb_jpeg_the_model_can_take(original):
    normalized = Image.open(io.BytesIO(normalize_image(original, MAX_SIDE, MAX_PIXELS)))
    assert (normalized.format, normalized.mode) == ("JPEG", "RGB")
    assert max(normalized.size) <= MAX_SIDE


@PROPERTY_SETTINGS
@given(media_type=st.text(alphabet=st.characters(blacklist_characters=";,"), max_size=30),
       parameters=st.lists(st.text(alphabet=st.characters(blacklist_characters=";,"), max_size=12), max_size=6),
       payload=st.binary(min_size=1, max_size=60))
def test_a_data_url_is_read_as_its_media_type_and_parameters_say(media_type, parameters, payload):
    """What the old pattern data:TYPE(;PARAMETER)*, meant, read from the text before the first comma."""
    header = ";".join([media_type, *parameters])
    body = json_body({"data": f"data:{header}," + base64.b64encode(payload).decode()})
    if media_type.lower().startswith("image/") and ";base64" in "".join(f";{p}" for p in parameters).lower():
        assert image_bytes(body, "application/json", MAX_BODY_BYTES) == payload
    else:
        with pytest.raises(ApiError) as refusal:
            image_bytes(body, "application/json", MAX_BODY_BYTES)
        assert refusal.value.status_code == 400


@pytest.mark.parametrize("after_scheme", [";" * 100_000, "image/png" + ";a=b" * 100_000, "a" * 100_000],
                         ids=["semicolons", "parameters", "letters"])
def test_a_data_url_without_a_comma_in_its_first_kilobyte_is_refused_saying_so(after_scheme):
    with pytest.raises(ApiError) as refusal:
        image_bytes(json_body({"data": "data:" + after_scheme + ",AAAA"}), "application/json", MAX_BODY_BYTES)
    assert (refusal.value.status_code, refusal.value.message) == (
        400, "data URL has no comma within its first 1,024 characters: send data:image/...;base64,<base64>")
