"""Turn image bytes into the uint8 NHWC array the ONNX model takes.

Training and serving share this code so the model sees the same pixels in both.
"""
import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000


class InvalidImageError(ValueError):
    """The bytes are not an image Pillow can decode."""


def decode_image(data: bytes, draft_side: int | None = None) -> Image.Image:
    """Decode bytes into an upright RGB image, refusing decompression bombs.

    The pixel count is checked from the header, before any pixel is decoded (and far below
    Pillow's own bomb warning), so no process-wide warning filter is needed in a threaded server.

    draft_side lets a large JPEG decode at a reduced scale that still has at least
    that many pixels on each side, which is several times faster than a full decode.
    """
    if not data:
        raise InvalidImageError("empty image")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise InvalidImageError(f"image of {image.width}x{image.height} pixels is too large")
        if draft_side and image.format == "JPEG":
            image.draft("RGB", (draft_side, draft_side))
        image.load()
        image = ImageOps.exif_transpose(image)
    except InvalidImageError:
        raise
    except UnidentifiedImageError:
        raise InvalidImageError("not a recognised image format") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise InvalidImageError(f"cannot decode image: {error}") from error
    return to_rgb(image)


def to_rgb(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white and convert any mode to RGB."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64) / 256.0
        image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), mode="L")
    return image.convert("RGB")


def to_model_input(image: Image.Image, height: int, width: int) -> np.ndarray:
    """Resize (stretching, as posters are all near 2:3) to the model's size; shape (1, H, W, 3)."""
    resized = image.resize((width, height), Image.BILINEAR, reducing_gap=3.0)
    return np.asarray(resized, dtype=np.uint8)[np.newaxis]


def image_bytes_to_input(data: bytes, height: int, width: int) -> np.ndarray:
    return to_model_input(decode_image(data, draft_side=max(height, width)), height, width)
