"""Turn image bytes into the uint8 NHWC array the ONNX model takes.

Training and serving share this code so the model sees the same pixels in both. Serving decodes
untrusted bytes, so it prepares them in a worker process under the decode ceiling
(prepare_untrusted_image); training decodes its own posters in-process.
"""
import struct

import numpy as np
from PIL import Image

from chalicelib.decode_budget import DecodeBudget, ImageRefused
from chalicelib.decode_ceiling import within_ceiling
from chalicelib.image_decoding import (REDUCING_GAP, UndecodableImage, decoding_errors, exif_orientation, load,
                                       open_image, shrink_to_rgb, upright)

FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
"""The formats the endpoint documents; Pillow's others (ICO, PSD, ...) are never opened."""
BUDGET = DecodeBudget()
"""The API's decode budget: the same images are refused here as there."""
ASPECT_BYTES = struct.calcsize("<d")


class InvalidImageError(ValueError):
    """The bytes are not an image this endpoint decodes, or one too costly to decode."""


def decode_image(data: bytes, draft_side: int | None = None) -> Image.Image:
    """Decode bytes into an upright RGB image within BUDGET, checked before any pixel is decoded.

    draft_side lets a large image decode (JPEG) or shrink (any format) to a size that keeps at
    least that many pixels, times REDUCING_GAP, on its longest side: several times faster, and
    only one full-size image is ever held.
    """
    try:
        return upright_rgb(data, draft_side)
    except (ImageRefused, UndecodableImage) as error:
        raise InvalidImageError(error.message) from None


def upright_rgb(data: bytes, draft_side: int | None) -> Image.Image:
    """decode_image's work, raising the decoder's own refusals (ImageRefused, UndecodableImage)."""
    if not data:
        raise UndecodableImage("empty image")
    with decoding_errors(FORMATS, BUDGET):
        opened = open_image(data, FORMATS, BUDGET)
        image = load(opened, draft_side)
        orientation = exif_orientation(image, data)
        min_side = REDUCING_GAP * draft_side if draft_side else max(image.size)
        return upright(shrink_to_rgb(image, min_side, opened.deadline), orientation)


def to_model_input(image: Image.Image, height: int, width: int) -> np.ndarray:
    """Resize (stretching, as posters are all near 2:3) to the model's size; shape (1, H, W, 3)."""
    resized = image.resize((width, height), Image.BILINEAR, reducing_gap=3.0)
    return np.asarray(resized, dtype=np.uint8)[np.newaxis]


def prepare_image(data: bytes, height: int, width: int) -> tuple[np.ndarray, float]:
    """The model input, and the natural log of the upright image's width / height (posters are about 2:3)."""
    return model_input_and_aspect(decode_image(data, draft_side=max(height, width)), height, width)


def model_input_and_aspect(image: Image.Image, height: int, width: int) -> tuple[np.ndarray, float]:
    return to_model_input(image, height, width), float(np.log(image.width / image.height))


def image_bytes_to_input(data: bytes, height: int, width: int) -> np.ndarray:
    return prepare_image(data, height, width)[0]


def prepare_untrusted_image(data: bytes, height: int, width: int) -> tuple[np.ndarray, float]:
    """prepare_image's answer, computed in the decoding worker, whose memory and CPU the operating system
    bounds: the pixels come back as they are, so the model input is byte-identical."""
    try:
        with_aspect = within_ceiling(pixels_and_aspect, data, {"height": height, "width": width}, BUDGET)
    except (ImageRefused, UndecodableImage) as error:
        raise InvalidImageError(error.message) from None
    log_aspect, pixels = struct.unpack_from("<d", with_aspect)[0], with_aspect[ASPECT_BYTES:]
    return np.frombuffer(pixels, dtype=np.uint8).reshape(1, height, width, 3).copy(), log_aspect


def pixels_and_aspect(data: bytes, height: int, width: int) -> bytes:
    """prepare_image's answer as bytes for the pipe; runs in the decoding worker."""
    batch, log_aspect = model_input_and_aspect(upright_rgb(data, max(height, width)), height, width)
    return struct.pack("<d", log_aspect) + batch.tobytes()
