"""Decode untrusted image bytes within a DecodeBudget and shrink them to an upright RGB image.

The decoded image is flattened to RGB and reduced strip by strip, and turned upright once small: next
to it at most one full-size image (its RGB flattening, when it is not reduced) is ever held. The EXIF
orientation is read by chalicelib.tiff_directories, not by Pillow's getexif() (which builds every entry
of the directory); EXIF that cannot be read counts as upright, as browsers show it.
The API's normaliser and the model endpoint's preprocessing both decode through here, inside the worker
process of chalicelib.decode_ceiling.
"""
import contextlib
import dataclasses
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from chalicelib.decode_budget import (CpuDeadline, DeadlineReader, DecodeBudget, ImageRefused, ImageTooLarge,
                                      Structure, check_memory, check_pixels)
from chalicelib.image_structures import inspect
from chalicelib.tiff_directories import exif_block, orientation

READ_BLOCK_BYTES = 4096
"""Pillow feeds decoders this much at a time, so the CPU deadline is checked often."""
STRIP_PIXELS = 1 << 20
JPEG_FORMATS = ("JPEG", "MPO")
"""Pillow opens a JPEG with a multi-picture index (a phone's) as MPO, a JPEG all the same."""
REDUCING_GAP = 3
"""Reduce by whole factors only while the result keeps this many times the target size (as Pillow's thumbnail)."""
ORIENTATION_TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class UndecodableImage(ValueError):
    """Not an image of the accepted formats, or one that cannot be decoded or converted."""

    def __init__(self, message: str, detail: str = ""):
        """detail (what Pillow raised) goes only to the log."""
        super().__init__(message)
        self.message = message
        self.detail = detail


@dataclass
class OpenedImage:
    """An image whose header is read and judged, its pixels not yet decoded."""
    image: Image.Image
    structure: Structure
    budget: DecodeBudget
    deadline: CpuDeadline


@contextlib.contextmanager
def decoding_errors(formats: tuple[str, ...], budget: DecodeBudget):
    """Whatever Pillow raises on hostile bytes, before or after decoding, becomes UndecodableImage, or
    ImageTooLarge for a bomb: Pillow's decoders and metadata parsers raise far more than OSError."""
    try:
        yield
    except ImageRefused:
        raise
    except UnidentifiedImageError:
        raise UndecodableImage(f"the data is not an image in a supported format ({', '.join(formats)})") from None
    except Image.DecompressionBombError:
        limit = within_pillows_limit(budget).max_pixels
        raise ImageTooLarge(f"image is too large: at most {limit:,} pixels are accepted") from None
    except MemoryError:
        raise ImageTooLarge("image is too large to decode in the memory available") from None
    except Exception as error:
        raise UndecodableImage(f"the data is not an image that can be decoded ({error})", repr(error)) from error


def within_pillows_limit(budget: DecodeBudget) -> DecodeBudget:
    """Pillow refuses twice Image.MAX_IMAGE_PIXELS itself: the budget never promises more, so every
    refusal, ours or Pillow's, quotes the limit that really applies."""
    if Image.MAX_IMAGE_PIXELS is None:
        return budget
    return dataclasses.replace(budget, max_pixels=min(budget.max_pixels, 2 * Image.MAX_IMAGE_PIXELS))


def open_image(data: bytes, formats: tuple[str, ...], budget: DecodeBudget) -> OpenedImage:
    """Judge the structure, then let Pillow read the header of one of `formats`; no pixel is decoded."""
    budget = within_pillows_limit(budget)
    structure = inspect(data, budget)
    deadline = CpuDeadline(budget.cpu_seconds)
    image = Image.open(DeadlineReader(data, deadline), formats=formats)
    check_pixels(image.width, image.height, budget)
    image.decodermaxblock = READ_BLOCK_BYTES
    return OpenedImage(image, structure, budget, deadline)


def load(opened: OpenedImage, draft_side: int | None = None) -> Image.Image:
    """Decode the first frame, a JPEG at the smallest DCT scale that keeps draft_side pixels a side,
    after checking that its memory fits the budget."""
    image = opened.image
    if draft_side and image.format in JPEG_FORMATS:
        image.draft("RGB", (draft_side, draft_side))
    check_memory(image.mode, image.size, opened.structure, opened.budget)
    image.load()
    return image


def exif_orientation(image: Image.Image, data: bytes) -> int:
    """Call after load(), which reads a PNG's chunks after the pixels. A TIFF file is its own EXIF; a PNG
    may carry it as ImageMagick's hex "Raw profile type exif" text (as Pillow's getexif() reads it)."""
    if image.format == "TIFF":
        return orientation(data)
    block = image.info.get("exif")
    if block is None and isinstance(raw_profile := image.info.get("Raw profile type exif"), str):
        try:
            block = bytes.fromhex("".join(raw_profile.split("\n")[3:]))
        except ValueError:
            return 1
    return orientation(exif_block(block)) if isinstance(block, bytes) else 1


def upright(image: Image.Image, orientation: int) -> Image.Image:
    transpose = ORIENTATION_TRANSPOSES.get(orientation)
    return image.transpose(transpose) if transpose is not None else image


def shrink_to_rgb(image: Image.Image, min_side: int, deadline: CpuDeadline) -> Image.Image:
    """Flatten to RGB and reduce by the largest whole factor that keeps min_side pixels on the longest
    side, strip by strip: next to the decoded image only the result and one strip are ever held."""
    factor = max(1, max(image.size) // max(1, min_side))
    if factor == 1 and image.mode == "RGB" and "transparency" not in image.info:
        return image
    width, height = image.size
    rows = factor * max(1, STRIP_PIXELS // (width * factor))
    reduced = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        deadline.check()
        strip = flatten_to_rgb(image.crop((0, top, width, min(height, top + rows))))
        reduced.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return reduced


def flatten_to_rgb(image: Image.Image) -> Image.Image:
    """Transparent pixels become white, as a poster on a page would show them; RGB stays as it is."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode.startswith("I"):
        return image.point(lambda value: value / 256).convert("RGB")
    if image.mode == "RGB":
        return image
    return image.convert("RGB")
