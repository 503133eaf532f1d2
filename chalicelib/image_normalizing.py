"""Check with Pillow that the bytes are an image and shrink them to what the model needs.

Done before any call to SageMaker, so bad input never costs an invocation, and the call
stays small: an RGB JPEG no larger than the model needs.
"""
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from chalicelib.errors import BadRequestError, PayloadTooLargeError

JPEG_QUALITY = 90


def normalize_image(data: bytes, max_side: int, max_pixels: int) -> bytes:
    image = open_image(data, max_pixels, draft_side=max_side)
    if is_model_ready_jpeg(image, max_side):
        return data
    image = ImageOps.exif_transpose(flatten_to_rgb(image))
    image.thumbnail((max_side, max_side), Image.BILINEAR, reducing_gap=3.0)
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=JPEG_QUALITY)
    return output.getvalue()


def open_image(data: bytes, max_pixels: int, draft_side: int) -> Image.Image:
    """Decode fully (a truncated file fails here), refusing more than max_pixels first.

    A large JPEG decodes at the smallest DCT scale that keeps draft_side pixels per side.
    """
    try:
        image = Image.open(io.BytesIO(data))
        pixels = image.width * image.height
        if pixels > max_pixels:
            raise PayloadTooLargeError(
                f"image is too large: {image.width}x{image.height} pixels; at most {max_pixels:,} pixels are accepted")
        if image.format == "JPEG":
            image.draft("RGB", (draft_side, draft_side))
        image.load()
    except PayloadTooLargeError:
        raise
    except UnidentifiedImageError:
        raise BadRequestError("the data is not an image: its format is not one Pillow recognises") from None
    except Image.DecompressionBombError as error:
        raise PayloadTooLargeError(f"image is too large: {error}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise BadRequestError(f"the data is not an image that can be decoded ({error})") from None
    return image


def is_model_ready_jpeg(image: Image.Image, max_side: int) -> bool:
    """An upright RGB JPEG that is already small enough can be sent as it came."""
    orientation = image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1)
    return (image.format == "JPEG" and image.mode == "RGB" and orientation == 1
            and max(image.size) <= max_side)


def flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Transparent pixels become white, as a poster on a page would show them."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode.startswith("I"):
        return image.point(lambda value: value / 256).convert("RGB")
    return image.convert("RGB")
