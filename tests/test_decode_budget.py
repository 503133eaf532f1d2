"""The decode budget: what the structure says before decoding, what a decode will cost, and the API's
normaliser refusing within it, converting what it accepts as before."""
import io
import struct

import pytest
from PIL import Image, ImageFile
from PIL.WebPImagePlugin import WebPImageFile

from chalicelib.decode_budget import CpuDeadline, DecodeBudget, ImageRefused, ImageTooCostly, Structure, decode_bytes
from chalicelib.errors import PayloadTooLargeError
from chalicelib.image_decoding import flatten_to_rgb, load, open_image, shrink_to_rgb
from chalicelib.image_normalizing import JPEG_QUALITY, model_jpeg, normalize_image
from chalicelib.image_structures import WEBP_DECODER_BYTES_PER_PIXEL, WEBP_HUFFMAN_GROUP_BYTES, inspect
from chalicelib.tiff_directories import DirectoryTooCostly, check_directories, orientation
from devkit.hostile_images import (CASES, gif_file, large_jpeg, png_chunk, png_claiming_size, png_with_chunks,
                                  tiff_one_strip, webp_exif_over_the_size_limit, webp_lossless_huffman_groups)
from devkit.hostile_structures import LONG, SHORT, aliasing_directory, entry, exif_with_a_loop_of_directories
from devkit.images import encode, jpeg_claiming_size, poster, poster_art, poster_jpeg

MAX_SIDE = 512
MAX_PIXELS = 40_000_000
BUDGET = DecodeBudget()
REFUSED_BEFORE_DECODING = [case for case in CASES if case.status == 413 and "cpu-deadline" not in case.id]


@pytest.mark.parametrize("fmt, options", [
    ("JPEG", {}), ("JPEG", {"progressive": True}), ("PNG", {}), ("GIF", {}), ("BMP", {}),
    ("WEBP", {}), ("WEBP", {"lossless": True}), ("WEBP", {"exif": b"Exif\x00\x00MM\x00*"}),
    ("TIFF", {}), ("TIFF", {"compression": "tiff_lzw"}), ("TIFF", {"big_tiff": True}),
], ids=["jpeg", "progressive-jpeg", "png", "gif", "bmp", "webp-lossy", "webp-lossless", "webp-extended",
        "tiff", "tiff-lzw", "big-tiff"])
def test_the_structure_gives_the_size_pillow_reads(fmt, options):
    data = encode(poster(123, 77, seed=3), fmt, **options)
    structure = inspect(data, BUDGET)
    assert (structure.format, (structure.width, structure.height)) == (fmt, Image.open(io.BytesIO(data)).size)


def test_a_gif_frame_beyond_its_logical_screen_grows_the_image_as_pillow_grows_it():
    data = gif_file(screen=(10, 10), frame=(20, 30))
    assert (inspect(data, BUDGET).width, inspect(data, BUDGET).height) == Image.open(io.BytesIO(data)).size == (20, 30)


def test_bytes_of_no_known_format_pass_to_pillow_unjudged():
    assert inspect(b"II*\x00 a TIFF, say", BUDGET) == Structure()


def test_a_progressive_jpeg_counts_the_coefficients_its_decoder_keeps_and_a_baseline_one_none():
    width, height = 6_000, 6_600
    blocks = -(-width // 16) * -(-height // 16) * 6  # 4:2:0: four luma and two chroma blocks per 16x16 MCU
    assert inspect(large_jpeg(progressive=True), BUDGET).decoder_bytes == blocks * 128
    assert inspect(large_jpeg(), BUDGET).decoder_bytes == 0


def test_the_memory_of_a_decode_counts_the_mode_the_rows_and_the_decoder():
    assert decode_bytes("RGB", (100, 10), Structure()) == 100 * 10 * 4 + 10 * 16
    assert decode_bytes("L", (1, 1_000), Structure(decoder_bytes=7)) == 1_000 + 1_000 * 16 + 7
    assert decode_bytes("I;16", (10, 10), Structure()) == 10 * 10 * 2 + 10 * 16


@pytest.mark.parametrize("case", REFUSED_BEFORE_DECODING, ids=[case.id for case in REFUSED_BEFORE_DECODING])
def test_every_refusal_but_the_cpu_deadline_comes_before_any_pixel_is_decoded(case, monkeypatch):
    def no_decoding(self):
        raise AssertionError("decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(WebPImageFile, "load", no_decoding)
    monkeypatch.setattr(WebPImageFile, "_open", no_decoding)
    with pytest.raises(ImageRefused):
        model_jpeg(case.build(), MAX_SIDE, MAX_PIXELS)  # the decoding worker's job, here in-process


def test_the_cpu_deadline_stops_decoding_once_the_thread_has_spent_its_seconds():
    with pytest.raises(ImageTooCostly, match="more than 0 CPU-seconds"):
        load(open_image(encode(poster(600, 900, seed=5), "PNG"), ("PNG",), DecodeBudget(cpu_seconds=0.0)))


@pytest.mark.parametrize("data", [png_claiming_size(100_000, 100_000), jpeg_claiming_size(65_000, 65_000),
                                  png_claiming_size(2_000, 1_000)], ids=["png", "jpeg", "png-over-a-small-limit"])
def test_a_huge_header_is_refused_quoting_the_configured_pixel_limit(data):
    with pytest.raises(PayloadTooLargeError) as refusal:
        normalize_image(data, MAX_SIDE, 1_000_000)
    assert refusal.value.message.endswith("at most 1,000,000 pixels are accepted")


def test_a_pixel_limit_above_pillows_own_is_quoted_as_pillows():
    with pytest.raises(PayloadTooLargeError) as refusal:
        normalize_image(png_claiming_size(20_000, 10_000), MAX_SIDE, 10 ** 12)
    assert refusal.value.message.endswith(f"at most {2 * Image.MAX_IMAGE_PIXELS:,} pixels are accepted")


def test_a_small_upright_jpeg_goes_on_as_it_came():
    data = poster_jpeg()
    assert normalize_image(data, MAX_SIDE, MAX_PIXELS) == data


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_normal_poster_is_shrunk_exactly_as_pillows_thumbnail_shrinks_it(fmt):
    data = encode(poster_art(1_200, 1_800, seed=2), fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    expected = Image.open(io.BytesIO(data))
    expected.draft("RGB", (MAX_SIDE, MAX_SIDE))
    expected = expected.convert("RGB")
    expected.thumbnail((MAX_SIDE, MAX_SIDE), Image.BILINEAR, reducing_gap=3.0)

    normalized = normalize_image(data, MAX_SIDE, MAX_PIXELS)

    assert normalized == encode(expected, "JPEG", quality=JPEG_QUALITY)


def gradient(size: tuple[int, int], mode: str) -> Image.Image:
    """A smooth RGBA picture with varying transparency, in any mode: quick to build and to encode."""
    ramp = Image.linear_gradient("L")
    bands = [ramp.resize(size), ramp.rotate(90).resize(size), Image.new("L", size, 90),
             ramp.rotate(45).resize(size)]
    image = Image.merge("RGBA", bands)
    return Image.new("I;16", size, 40_000) if mode == "I;16" else image.convert(mode)


@pytest.mark.parametrize("factor", [1, 2])
@pytest.mark.parametrize("mode", ["RGB", "RGBA", "LA", "P", "PA", "1", "L", "I;16", "CMYK"])
def test_strip_by_strip_gives_exactly_the_whole_image_flattened_then_reduced(mode, factor):
    image = gradient((4_000, 3_001), mode)
    if mode == "P":
        image.info["transparency"] = 7
    reduced = shrink_to_rgb(image, 4_000 // factor, CpuDeadline(60))
    assert reduced.mode == "RGB"
    assert reduced.tobytes() == flatten_to_rgb(image).reduce(factor).tobytes()


@pytest.mark.parametrize("mode, fmt", [("RGBA", "PNG"), ("LA", "PNG"), ("P", "GIF"), ("1", "BMP"),
                                       ("I;16", "PNG"), ("CMYK", "JPEG")])
def test_every_mode_becomes_an_rgb_jpeg_of_the_models_size(mode, fmt):
    data = encode(gradient((3_200, 2_720), mode), fmt)
    normalized = Image.open(io.BytesIO(normalize_image(data, MAX_SIDE, MAX_PIXELS)))
    assert (normalized.format, normalized.mode, normalized.size) == ("JPEG", "RGB", (512, 435))


def test_transparent_pixels_of_a_reduced_image_become_white():
    image = Image.new("RGBA", (4_000, 3_000), (200, 10, 10, 0))
    normalized = Image.open(io.BytesIO(normalize_image(encode(image, "PNG"), MAX_SIDE, MAX_PIXELS)))
    assert min(normalized.getextrema()[channel][0] for channel in range(3)) >= 250


def test_a_multi_picture_jpeg_decodes_at_a_reduced_scale_like_any_jpeg():
    first, second = gradient((4_000, 6_000), "RGB"), gradient((4_000, 6_000), "L").convert("RGB")
    opened = open_image(encode(first, "MPO", save_all=True, append_images=[second]), ("JPEG",), BUDGET)
    assert opened.image.format == "MPO"
    assert load(opened, draft_side=MAX_SIDE).size == (1_000, 1_500)


def exif_of(*entries: tuple[int, int, int, int], order: str = "<") -> bytes:
    """A TIFF structure of one directory of (tag, type, count, value) entries."""
    return (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "IH", 8, len(entries)) + b"".join(
        entry(*fields, order=order) for fields in entries) + bytes(4)


@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
def test_the_orientation_is_one_short_of_tag_274(order):
    assert orientation(exif_of((274, SHORT, 1, 6), order=order)) == 6
    assert orientation(exif_of((274, LONG, 1, 6), order=order)) == 1
    assert orientation(exif_of((274, SHORT, 2, 6), order=order)) == 1
    assert orientation(exif_of((274, SHORT, 1, 9), order=order)) == 1
    assert orientation(exif_of((1, SHORT, 1, 6), order=order)) == 1
    assert orientation(b"\x00 is no TIFF header") == 1


def test_the_orientation_of_pillows_own_exif_is_read_as_pillow_reads_it():
    exif = Image.Exif()
    exif[274], exif[0x010F], exif[0x0110] = 8, "A camera maker with a long name", "Model X"
    assert orientation(exif.tobytes()[6:]) == 8


def test_a_directory_whose_entries_declare_more_than_its_block_holds_is_refused():
    block = aliasing_directory(20, 4_000)
    with pytest.raises(DirectoryTooCostly, match="declare 80,000 bytes of values in a block of 4,254 bytes"):
        check_directories(block, "EXIF block")
    check_directories(aliasing_directory(1, 4_000), "EXIF block")


def test_a_loop_of_directories_is_read_once():
    check_directories(exif_with_a_loop_of_directories(), "EXIF block")
    assert orientation(exif_with_a_loop_of_directories()) == 6


def test_exif_over_what_a_jpeg_segment_holds_and_xmp_over_a_megabyte_are_refused():
    with pytest.raises(ImageTooCostly, match="its EXIF block of 2,097,182 bytes is over 65,533"):
        inspect(webp_exif_over_the_size_limit(), BUDGET)
    xmp = png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + b"x" * 1_100_000)
    with pytest.raises(ImageTooCostly, match="its XMP block of 1,100,022 bytes is over 1,048,576"):
        inspect(png_with_chunks(xmp), BUDGET)


def test_a_tiff_counts_the_strip_libtiff_reads_whole_and_ycbcrs_rgba_copy():
    width, height = 6_000, 6_600
    assert inspect(tiff_one_strip(), BUDGET).decoder_bytes == width * height * 3
    assert inspect(tiff_one_strip(mode="YCbCr"), BUDGET).decoder_bytes == width * height * (3 + 4)
    small_strips = encode(Image.new("RGB", (width, height)), "TIFF", compression="tiff_adobe_deflate")
    assert inspect(small_strips, BUDGET).decoder_bytes < 1024 * 1024


def test_a_lossless_webp_counts_a_group_of_prefix_codes_per_pixel_of_its_entropy_image():
    roomy = DecodeBudget(memory_bytes=2**40)
    assert inspect(webp_lossless_huffman_groups(), roomy).decoder_bytes == (
        1_024 * 1_024 * WEBP_DECODER_BYTES_PER_PIXEL + 65_536 * WEBP_HUFFMAN_GROUP_BYTES)
    assert inspect(webp_lossless_huffman_groups(256, 256, 4_096), BUDGET).decoder_bytes == (
        256 * 256 * WEBP_DECODER_BYTES_PER_PIXEL + 4_096 * WEBP_HUFFMAN_GROUP_BYTES)
    encoded = encode(poster_art(1_000, 1_500), "WEBP", lossless=True)
    assert inspect(encoded, BUDGET).decoder_bytes == 1_000 * 1_500 * WEBP_DECODER_BYTES_PER_PIXEL
