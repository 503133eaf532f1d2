"""Check with Pillow that the bytes are an image and shrink them to what the model needs.

Done before any call to SageMaker, so bad input never costs an invocation, and the call
stays small: an RGB JPEG no larger than the model needs.
"""
import contextlib
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from chalicelib.errors import BadRequestError, PayloadTooLargeError

JPEG_QUALITY = 90
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
PASSTHROUGH_MAX_BYTES = 256 * 1024
"""A small JPEG goes on as it came, unless it carries more bytes than its pixels need."""


def normalize_image(data: bytes, max_side: int, max_pixels: int) -> bytes:
    image = open_image(data, max_pixels)
    with decoding_errors():
        send_as_it_came = is_model_ready_jpeg(image, max_side) and len(data) <= PASSTHROUGH_MAX_BYTES
    decode(image, draft_side=max_side)
    if send_as_it_came:
        return data
    image = flatten_to_rgb(ImageOps.exif_transpose(image))
    image.thumbnail((max_side, max_side), Image.BILINEAR, reducing_gap=3.0)
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=JPEG_QUALITY)
    return output.getvalue()


@contextlib.contextmanager
def decoding_errors():
    """Every way Pillow can fail on hostile bytes becomes a 400, or a 413 for a bomb."""
    try:
        yield
    except UnidentifiedImageError:
        raise BadRequestError("the data is not an image in a supported format (JPEG, PNG, WebP, GIF, BMP)") from None
    except Image.DecompressionBombError as error:
        raise PayloadTooLargeError(f"image is too large: {error}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise BadRequestError(f"the data is not an image that can be decoded ({error})") from None


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only, refusing more than max_pixels before any pixel is decoded."""
    with decoding_errors():
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    if image.width * image.height > max_pixels:
        raise PayloadTooLargeError(
            f"image is too large: {image.width}x{image.height} pixels; at most {max_pixels:,} pixels are accepted")
    return image


def decode(image: Image.Image, draft_side: int) -> None:
    """Decode fully, so a truncated file fails here; a large JPEG decodes at the smallest DCT
    scale that keeps draft_side pixels per side, several times faster than a full decode."""
    with decoding_errors():
        if image.format == "JPEG":
            image.draft("RGB", (draft_side, draft_side))
        image.load()


def is_model_ready_jpeg(image: Image.Image, max_side: int) -> bool:
    """An upright RGB JPEG already small enough for the model can be sent as it came."""
    return (image.format == "JPEG" and image.mode == "RGB" and max(image.size) <= max_side
            and image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1) == 1)


def flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Transparent pixels become white, as a poster on a page would show them."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode.startswith("I"):
        return image.point(lambda value: value / 256).convert("RGB")
    return image.convert("RGB")
