"""Everything a client might send to POST /predict, through one real `chalice local` server.

Each case gets its documented status (valid images 200; bad input 400, too large or too costly
to decode 413, unsupported content type 415), a JSON body and CORS headers; none gets a 5xx, bad input
never costs a SageMaker invocation, and the server keeps serving after the whole corpus.
"""
import base64
import http.client
import io
import json
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import pytest
from PIL import Image

from devkit.fake_sagemaker import running_fake_sagemaker
from devkit.hostile_images import CASES as HOSTILE_CASES
from devkit.hostile_images import CEILING_CASES, REQUEST_CASES
from devkit.images import (animated_gif, encode, exif_rotated_jpeg, jpeg_claiming_size, png_bomb, poster,
                          poster_jpeg, sixteen_bit_png)
from devkit.servers import running_chalice_local

ORIGIN = "http://127.0.0.1:8001"
MODEL_IMAGE_MAX_SIDE = 512
ERROR_CODES = {400: "BadRequest", 413: "PayloadTooLarge", 415: "UnsupportedMediaType"}
JSON = "application/json"


@dataclass
class Case:
    id: str
    body: Callable[[], bytes]
    content_type: str | None
    status: int


def as_json(document) -> Callable[[], bytes]:
    return lambda: json.dumps(document).encode()


def as_data(image: Callable[[], bytes], prefix: str = "") -> Callable[[], bytes]:
    """{"data": prefix + base64(image)}, built only when the case runs."""
    return lambda: json.dumps({"data": prefix + base64.b64encode(image()).decode()}).encode()


def exactly(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def image_of(mode: str, fmt: str, **options) -> Callable[[], bytes]:
    return lambda: encode(poster(120, 180, seed=1, mode=mode), fmt, **options)


def one_pixel(fmt: str) -> Callable[[], bytes]:
    return lambda: encode(Image.new("RGB", (1, 1), (200, 30, 30)), fmt)


def palette_png_with_transparency() -> bytes:
    image = poster(120, 180, seed=2, mode="P")
    return encode(image, "PNG", transparency=0)


def png_with_corrupt_pixel_data() -> bytes:
    data = bytearray(encode(poster(120, 180, seed=3), "PNG"))
    pixels = data.index(b"IDAT") + 4
    data[pixels + 100:pixels + 400] = bytes(300)
    return bytes(data)


def seven_megabytes_of_json() -> bytes:
    return json.dumps({"data": "A" * 7_000_000}).encode()


def nested(depth: int, opening: str, closing: str, inner: str = "1") -> Callable[[], bytes]:
    return lambda: (opening * depth + inner + closing * depth).encode()


def truncated_jpeg() -> bytes:
    data = poster_jpeg()
    return data[:len(data) // 2]


VALID_IMAGES = [
    Case("jpeg-as-base64", as_data(poster_jpeg), JSON, 200),
    Case("jpeg-as-data-url", as_data(poster_jpeg, "data:image/jpeg;base64,"), JSON, 200),
    Case("png-as-data-url", as_data(image_of("RGB", "PNG"), "data:image/png;base64,"), JSON, 200),
    Case("data-url-media-type-differs-from-content", as_data(poster_jpeg, "data:image/png;base64,"), JSON, 200),
    Case("data-url-with-parameters", as_data(poster_jpeg, "data:image/jpeg;name=poster.jpg;base64,"), JSON, 200),
    Case("one-by-one-jpeg", as_data(one_pixel("JPEG")), JSON, 200),
    Case("one-by-one-png", as_data(one_pixel("PNG")), JSON, 200),
    Case("animated-gif", as_data(animated_gif), JSON, 200),
    Case("cmyk-jpeg", as_data(image_of("CMYK", "JPEG")), JSON, 200),
    Case("sixteen-bit-png", as_data(sixteen_bit_png), JSON, 200),
    Case("rgba-png", as_data(image_of("RGBA", "PNG")), JSON, 200),
    Case("grayscale-jpeg", as_data(image_of("L", "JPEG")), JSON, 200),
    Case("grayscale-alpha-png", as_data(image_of("LA", "PNG")), JSON, 200),
    Case("palette-png-with-transparency", as_data(palette_png_with_transparency), JSON, 200),
    Case("one-bit-png", as_data(image_of("1", "PNG")), JSON, 200),
    Case("exif-rotated-jpeg", as_data(exif_rotated_jpeg), JSON, 200),
    Case("progressive-jpeg", as_data(image_of("RGB", "JPEG", progressive=True)), JSON, 200),
    Case("large-jpeg-is-shrunk", as_data(lambda: poster_jpeg(2000, 3000)), JSON, 200),
    Case("extra-json-fields-are-ignored",
         lambda: json.dumps({"data": base64.b64encode(poster_jpeg()).decode(), "name": "x.jpg"}).encode(),
         JSON, 200),
    Case("raw-jpeg", poster_jpeg, "image/jpeg", 200),
    Case("raw-png", image_of("RGB", "PNG"), "image/png", 200),
    Case("raw-webp", image_of("RGB", "WEBP"), "image/webp", 200),
    Case("raw-gif", animated_gif, "image/gif", 200),
    Case("raw-bmp", image_of("RGB", "BMP"), "image/bmp", 200),
    Case("raw-octet-stream", poster_jpeg, "application/octet-stream", 200),
    Case("raw-jpeg-labelled-png", poster_jpeg, "image/png", 200),
    Case("json-charset-utf8", as_data(poster_jpeg), "application/json; charset=utf-8", 200),
    Case("json-uppercase-charset", as_data(poster_jpeg), 'Application/JSON;Charset="UTF-8"', 200),
    Case("json-charset-latin1-ascii-body", as_data(poster_jpeg), "application/json; charset=iso-8859-1", 200),
]

BAD_INPUT = [
    Case("tiff-as-base64-is-not-a-supported-format", as_data(image_of("RGB", "TIFF")), JSON, 400),
    Case("empty-body", exactly(b""), JSON, 400),
    Case("whitespace-body", exactly(b" \r\n\t "), JSON, 400),
    Case("not-json", exactly(b"{nope"), JSON, 400),
    Case("form-encoded-body-sent-as-json", exactly(b"data=abc"), JSON, 400),
    Case("json-list", as_json(["data"]), JSON, 400),
    Case("json-string", as_json("data"), JSON, 400),
    Case("json-number", as_json(42), JSON, 400),
    Case("json-null", as_json(None), JSON, 400),
    Case("data-missing", as_json({}), JSON, 400),
    Case("data-key-capitalised", as_json({"Data": "aGVsbG8="}), JSON, 400),
    Case("data-empty", as_json({"data": ""}), JSON, 400),
    Case("data-null", as_json({"data": None}), JSON, 400),
    Case("data-number", as_json({"data": 12345}), JSON, 400),
    Case("data-boolean", as_json({"data": True}), JSON, 400),
    Case("data-list", as_json({"data": ["aGVsbG8="]}), JSON, 400),
    Case("data-object", as_json({"data": {"base64": "aGVsbG8="}}), JSON, 400),
    Case("data-nan", exactly(b'{"data": NaN}'), JSON, 400),
    Case("data-infinite-number", exactly(b'{"data": 1e999}'), JSON, 400),
    Case("invalid-base64", as_json({"data": "!!!not base64!!!"}), JSON, 400),
    Case("base64url-alphabet", as_json({"data": "_-_-" * 10}), JSON, 400),
    Case("base64-only-padding", as_json({"data": "===="}), JSON, 400),
    Case("base64-of-text", as_data(lambda: b"This is a poster, honest."), JSON, 400),
    Case("base64-of-html", as_data(lambda: b"<!doctype html><title>poster</title>"), JSON, 400),
    Case("base64-of-zeros", as_data(lambda: bytes(3000)), JSON, 400),
    Case("data-url-empty-payload", as_json({"data": "data:image/png;base64,"}), JSON, 400),
    Case("data-url-of-text", as_data(lambda: b"hello", "data:text/plain;base64,"), JSON, 400),
    Case("data-url-not-base64", as_json({"data": "data:image/png,%89PNG"}), JSON, 400),
    Case("data-url-of-svg", as_data(lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', "data:image/svg+xml;base64,"),
         JSON, 400),
    Case("truncated-jpeg", as_data(truncated_jpeg), JSON, 400),
    Case("jpeg-header-only", as_data(lambda: poster_jpeg()[:200]), JSON, 400),
    Case("png-with-corrupt-pixel-data", as_data(png_with_corrupt_pixel_data), JSON, 400),
    Case("unicode-garbage-body", exactly("☃ünïcödé 🎬 ⸘".encode()), JSON, 400),
    Case("unicode-garbage-in-data", as_json({"data": "ünïcödé🎬"}), JSON, 400),
    Case("invalid-utf8-body", exactly(b'{"data": "\xff\xfe\xfd"}'), JSON, 400),
    Case("utf16-json", exactly(json.dumps({"data": "aGVsbG8="}).encode("utf-16")), JSON, 400),
    Case("deeply-nested-arrays", nested(100_000, "[", "]"), JSON, 400),
    Case("deeply-nested-objects-in-data", nested(50_000, '{"data": ', "}", "null"), JSON, 400),
    Case("raw-zero-byte-image", exactly(b""), "image/jpeg", 400),
    Case("raw-truncated-jpeg", truncated_jpeg, "image/jpeg", 400),
    Case("raw-html-labelled-jpeg", exactly(b"<html><body>not a poster</body></html>"), "image/jpeg", 400),
    Case("raw-pdf-labelled-png", exactly(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), "image/png", 400),
    Case("raw-json-labelled-jpeg", as_data(poster_jpeg), "image/jpeg", 400),
]

TOO_LARGE = [
    Case("png-bomb-20000x20000", as_data(png_bomb), JSON, 413),
    Case("raw-png-bomb-20000x20000", png_bomb, "image/png", 413),
    Case("jpeg-claiming-10000x10000", as_data(lambda: jpeg_claiming_size(10_000, 10_000)), JSON, 413),
    Case("jpeg-claiming-65000x65000", as_data(lambda: jpeg_claiming_size(65_000, 65_000)), JSON, 413),
    Case("seven-megabyte-json-body", seven_megabytes_of_json, JSON, 413),
    Case("seven-megabyte-raw-body", exactly(b"\xff\xd8" + bytes(7_000_000)), "image/jpeg", 413),
]

UNSUPPORTED = [
    Case("no-content-type", as_data(poster_jpeg), None, 415),
    Case("text-plain", as_data(poster_jpeg), "text/plain", 415),
    Case("text-plain-with-charset", as_data(poster_jpeg), "text/plain;charset=UTF-8", 415),
    Case("form-urlencoded", as_data(poster_jpeg), "application/x-www-form-urlencoded", 415),
    Case("multipart-form-data", poster_jpeg, "multipart/form-data; boundary=poster", 415),
    Case("raw-tiff", image_of("RGB", "TIFF"), "image/tiff", 415),
    Case("raw-svg", exactly(b'<svg xmlns="http://www.w3.org/2000/svg"/>'), "image/svg+xml", 415),
    Case("json-suffix-type", as_data(poster_jpeg), "application/ld+json", 415),
    Case("garbage-content-type", as_data(poster_jpeg), "\u00fcber/\u00e9trange", 415),
]

HOSTILE = [Case(f"hostile-{case.id}", case.build, case.content_type, case.status)
           for case in HOSTILE_CASES + CEILING_CASES + REQUEST_CASES]
"""Issues 12 and 19: images that cost far more to decode than their size says, or carry metadata that breaks
image handling after decoding, and data URLs that cost a pattern match far more than their size."""

CORPUS = VALID_IMAGES + BAD_INPUT + TOO_LARGE + UNSUPPORTED + HOSTILE


@pytest.fixture(scope="module")
def sagemaker():
    with running_fake_sagemaker() as fake:
        yield fake


@pytest.fixture(scope="module")
def api(sagemaker, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("corpus") / "chalice.log"
    with running_chalice_local(sagemaker.url, {"SAGEMAKER_MAX_ATTEMPTS": "1"}, log_path) as url:
        yield url


@pytest.fixture(autouse=True)
def fresh_sagemaker(sagemaker):
    sagemaker.answer([0.3, 0.7])
    sagemaker.invocations.clear()


def call(api: str, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
    """(status, headers, body) with exactly the headers given: urllib would add a Content-Type of its own."""
    address = urlsplit(api)
    headers = {"Origin": ORIGIN}
    if content_type is not None:
        headers["Content-Type"] = content_type.encode("utf-8").decode("latin-1")
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_the_corpus_is_large_enough_and_each_case_is_named_once():
    assert len(CORPUS) >= 40
    assert len({case.id for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_each_input_gets_its_documented_status_json_body_and_cors_headers(api, sagemaker, case):
    status, headers, body = call(api, "POST", "/predict", case.body(), case.content_type)

    assert status == case.status, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    answer = json.loads(body)
    if case.status == 200:
        assert answer["label"] in ("thriller/crime", "not thriller")
        assert len(sagemaker.invocations) == 1
        sent = Image.open(io.BytesIO(sagemaker.invocations[0].body))
        assert (sent.format, sent.mode) == ("JPEG", "RGB")
        assert max(sent.size) <= MODEL_IMAGE_MAX_SIDE
    else:
        assert set(answer) == {"error", "message"}
        assert answer["error"] == ERROR_CODES[case.status]
        assert isinstance(answer["message"], str) and answer["message"]
        assert sagemaker.invocations == []


def test_an_exif_rotated_poster_reaches_the_model_upright(api, sagemaker):
    stored_sideways = exif_rotated_jpeg(width=450, height=300, orientation=6)
    status, _, _ = call(api, "POST", "/predict", stored_sideways, "image/jpeg")
    assert status == 200
    assert Image.open(io.BytesIO(sagemaker.invocations[0].body)).size == (300, 450)


def test_the_server_still_answers_after_the_whole_corpus(api):
    for case in CORPUS:
        call(api, "POST", "/predict", case.body(), case.content_type)
    assert call(api, "GET", "/health")[:1] == (200,)
    status, _, body = call(api, "POST", "/predict", poster_jpeg(), "image/jpeg")
    assert (status, json.loads(body)["probability"]) == (200, 0.7)
