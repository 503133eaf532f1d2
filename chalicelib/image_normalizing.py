"""Check with Pillow that the bytes are an image and shrink them to what the model needs.

Done before any call to SageMaker, so bad input never costs an invocation, and the call
stays small: an RGB JPEG no larger than the model needs. Decoding stays within a budget of
pixels, memory and CPU that fits the Lambda function (chalicelib.decode_budget), judged from the
structure, and runs in a worker process under an operating-system ceiling for what the structure
cannot tell (chalicelib.decode_ceiling); nothing in image handling raises anything but a 400 or a 413.
"""
import contextlib
import io

from PIL import Image

from chalicelib.decode_budget import DecodeBudget, ImageRefused
from chalicelib.decode_ceiling import within_ceiling
from chalicelib.errors import BadRequestError, PayloadTooLargeError
from chalicelib.image_decoding import (REDUCING_GAP, UndecodableImage, decoding_errors, exif_orientation, load,
                                       open_image, shrink_to_rgb, upright)

JPEG_QUALITY = 90
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
PASSTHROUGH_MAX_BYTES = 256 * 1024
"""A small JPEG goes on as it came, unless it carries more bytes than its pixels need."""


def normalize_image(data: bytes, max_side: int, max_pixels: int) -> bytes:
    with api_errors():
        return within_ceiling(model_jpeg, data, {"max_side": max_side, "max_pixels": max_pixels},
                              DecodeBudget(max_pixels=max_pixels))


def model_jpeg(data: bytes, max_side: int, max_pixels: int) -> bytes:
    """The JPEG the model is sent; runs in the decoding worker."""
    budget = DecodeBudget(max_pixels=max_pixels)
    with decoding_errors(ACCEPTED_FORMATS, budget):
        opened = open_image(data, ACCEPTED_FORMATS, budget)
        model_ready = is_model_ready_jpeg(opened.image, max_side) and len(data) <= PASSTHROUGH_MAX_BYTES
        image = load(opened, draft_side=max_side)
        orientation = exif_orientation(image, data)
        if model_ready and orientation == 1:
            return data
        image = shrink_to_rgb(image, REDUCING_GAP * max_side, opened.deadline)
        image.thumbnail((max_side, max_side), Image.BILINEAR, reducing_gap=REDUCING_GAP)
        return jpeg_bytes(upright(image, orientation))


@contextlib.contextmanager
def api_errors():
    """The budget's refusals are 413s; an image that cannot be decoded or converted is a 400."""
    try:
        yield
    except ImageRefused as error:
        raise PayloadTooLargeError(error.message) from None
    except UndecodableImage as error:
        raise BadRequestError(error.message, detail=error.detail) from None


def is_model_ready_jpeg(image: Image.Image, max_side: int) -> bool:
    """An RGB JPEG already small enough for the model can be sent as it came (if upright)."""
    return image.format == "JPEG" and image.mode == "RGB" and max(image.size) <= max_side


def jpeg_bytes(image: Image.Image) -> bytes:
    """The image alone, without the metadata Pillow would carry over: a PNG's or GIF's comment may be
    longer than a JPEG comment can hold."""
    image.info = {}
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=JPEG_QUALITY)
    return output.getvalue()
