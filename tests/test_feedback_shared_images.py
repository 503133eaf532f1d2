"""A shared poster is kept without the metadata that could say who took or saved it, and with the very pixels the
model saw (chalicelib/shared_images.py)."""
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from chalicelib.errors import BadRequestError
from chalicelib.shared_images import without_metadata
from devkit.images import poster_art

GPS_IFD = 0x8825


def jpeg_with_metadata(comment: bytes = b"saved by Jane Doe") -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0132] = "2026:12:04 20:00:00"  # DateTime
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    output = io.BytesIO()
    poster_art(120, 180, seed=3).save(output, "JPEG", quality=90, exif=exif, comment=comment,
                                      xmp=b"<x:xmpmeta><dc:creator>Jane Doe</dc:creator></x:xmpmeta>")
    return output.getvalue()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


def test_a_jpegs_exif_gps_xmp_and_comment_are_cut_and_its_pixels_kept():
    original = jpeg_with_metadata()
    kept = without_metadata(original)
    assert b"Exif" in original and b"Jane Doe" in original
    assert b"Exif" not in kept and b"Jane Doe" not in kept and b"PhoneMaker" not in kept
    assert pixels(kept) == pixels(original)
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif() and "comment" not in image.info


def test_a_pngs_text_chunks_are_cut_and_its_pixels_kept():
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Doe")
    text.add_itxt("Location", "51.5, -0.1")
    output = io.BytesIO()
    poster_art(60, 90, seed=4).save(output, "PNG", pnginfo=text)
    kept = without_metadata(output.getvalue())
    assert b"Jane Doe" in output.getvalue() and b"Jane Doe" not in kept and b"Location" not in kept
    assert pixels(kept) == pixels(output.getvalue())


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=1, max_size=300).filter(lambda comment: b"\xff" not in comment))
def test_cutting_keeps_the_pixels_and_a_second_cut_changes_nothing(comment):
    original = jpeg_with_metadata(comment)
    kept = without_metadata(original)
    assert pixels(kept) == pixels(original)
    assert without_metadata(kept) == kept


@pytest.mark.parametrize("image", [
    jpeg_with_metadata()[:40], b"\xff\xd8\x00\x00", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    b"GIF89a...", b"RIFF\x00\x00\x00\x00WEBPVP8 ",
], ids=["truncated-jpeg", "jpeg-without-markers", "truncated-png", "gif", "webp"])
def test_what_cannot_be_cut_safely_is_refused(image):
    with pytest.raises(BadRequestError):
        without_metadata(image)
