"""Small hostile images, built byte by byte: each costs far more to decode than its size suggests,
or carries metadata that breaks image handling after decoding (issues 12 and 19). Nothing here is stored
in git.

Every builder returns the file's bytes; the defaults are the sizes the issues measured. CASES are the
API's (and, TIFF aside, the model container's); CONTAINER_CASES add what only the container opens.
"""
import functools
import io
import json
import struct
import zlib
from dataclasses import dataclass
from typing import Callable

from PIL import Image

from devkit.hostile_structures import (RATIONAL, SHORT, TYPE_BYTES, aliasing_directory, exif_with_a_loop_of_directories,
                                      tiff_tags_aliasing, vp8l_huffman_groups)
from devkit.images import encode, poster, poster_jpeg

MAX_CPU_SECONDS = 2.0
"""The request's own CPU-seconds: about 6 s on a 512 MB function's share of a vCPU, inside its 25 s timeout."""
MAX_PEAK_MB = 400
"""Peak resident memory of the process, runtime included: what keeps a 512 MB function alive."""


# PNG


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_file(width: int, height: int, bit_depth: int, colour_type: int, idat: bytes,
             before_idat: bytes = b"", after_idat: bytes = b"") -> bytes:
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + before_idat + png_chunk(b"IDAT", idat)
            + after_idat + png_chunk(b"IEND", b""))


def blank_rows(row_bytes: int, rows: int) -> bytes:
    """zlib stream of `rows` rows of `row_bytes` zero bytes, each after its filter byte 0."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + row_bytes)
    rows_per_block = max(1, (1 << 22) // len(row))
    parts, done = [], 0
    while done < rows:
        count = min(rows_per_block, rows - done)
        parts.append(compressor.compress(row * count))
        done += count
    return b"".join(parts) + compressor.flush()


@functools.cache
def png_one_pixel_wide(height: int = 39_000_000) -> bytes:
    """A grayscale PNG one pixel wide and `height` rows tall: under the pixel cap, and each row costs memory."""
    return png_file(1, height, 8, 0, blank_rows(1, height))


@functools.cache
def png_blank_rgba(width: int = 6_000, height: int = 6_600) -> bytes:
    """A transparent RGBA PNG of nearly 40 million pixels in about 170 KB."""
    return png_file(width, height, 8, 6, blank_rows(4 * width, height))


@functools.cache
def png_blank_rgb(width: int = 6_000, height: int = 6_600) -> bytes:
    """A plain RGB PNG just under the pixel cap: large, but an honest image that should be classified."""
    return png_file(width, height, 8, 2, blank_rows(3 * width, height))


def png_claiming_size(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height over a few bytes of pixel data."""
    return png_file(width, height, 1, 0, zlib.compress(b"\x00\x00"))


def small_png_parts(width: int = 40, height: int = 60) -> tuple[int, int, bytes]:
    """(width, height, IDAT payload) of a small real RGB poster, to wrap in hostile chunks."""
    pixels = poster(width, height, seed=11).tobytes()
    stride = 3 * width
    rows = b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))
    return width, height, zlib.compress(rows)


def png_with_chunks(before_idat: bytes = b"", after_idat: bytes = b"") -> bytes:
    width, height, idat = small_png_parts()
    return png_file(width, height, 8, 2, idat, before_idat, after_idat)


def png_many_icc_profiles(count: int = 5_000, profile_bytes: int = 1_000_000) -> bytes:
    """Thousands of iCCP chunks, each a megabyte of profile compressed to about a kilobyte."""
    chunk = png_chunk(b"iCCP", b"icc\x00\x00" + zlib.compress(bytes(profile_bytes), 9))
    return png_with_chunks(chunk * count)


def png_many_small_chunks(count: int = 400_000) -> bytes:
    """Hundreds of thousands of empty private ancillary chunks: each one costs the reader a loop turn."""
    return png_with_chunks(png_chunk(b"prVt", b"") * count)


def png_many_text_chunks(count: int = 60, text_bytes: int = 1_000_000) -> bytes:
    """zTXt chunks that each inflate to a megabyte of text."""
    chunk = png_chunk(b"zTXt", b"note\x00\x00" + zlib.compress(b"a" * text_bytes, 9))
    return png_with_chunks(chunk * count)


INVALID_EXIF = b"\x00 is no TIFF header"


def png_with_invalid_exif() -> bytes:
    return png_with_chunks(png_chunk(b"eXIf", INVALID_EXIF))


def png_with_raw_exif_profile_not_hex() -> bytes:
    """ImageMagick's 'Raw profile type exif' text, whose payload must be hex: here it is not."""
    text = b"Raw profile type exif\x00\nexif\n      40\nthis is not hexadecimal at all, not at all!!\n"
    return png_with_chunks(png_chunk(b"tEXt", text))


def png_with_long_comment(length: int = 100_000) -> bytes:
    """A comment longer than a JPEG comment segment can hold (65,533 bytes)."""
    return png_with_chunks(png_chunk(b"tEXt", b"comment\x00" + b"c" * length))


# GIF


def gif_file(screen: tuple[int, int], frame: tuple[int, int], extensions: bytes = b"") -> bytes:
    """A GIF with a global two-colour palette and one blank frame of `frame` size at (0, 0)."""
    header = b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    width, height = frame
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    data = lzw_blank(width * height)
    return header + extensions + descriptor + b"\x02" + sub_blocks(data) + b"\x3b"


def lzw_blank(pixels: int) -> bytes:
    """LZW data (minimum code size 2) for `pixels` zeros, written as clear code + literal zeros + end.

    Emitting a clear code before the table grows past 3-bit codes keeps the writer trivial."""
    codes, bits = [], 3
    clear, end = 4, 5
    written = 0
    while written < pixels:
        codes.append(clear)
        run = min(pixels - written, 2)
        codes.extend([0] * run)
        written += run
    codes.append(end)
    value, count, output = 0, 0, bytearray()
    for code in codes:
        value |= code << count
        count += bits
        while count >= 8:
            output.append(value & 0xFF)
            value >>= 8
            count -= 8
    if count:
        output.append(value)
    return bytes(output)


def sub_blocks(data: bytes) -> bytes:
    return b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255)) + b"\x00"


def gif_huge_comment(comment_bytes: int = 5_000_000) -> bytes:
    """Megabytes of comment in 255-byte sub-blocks, which a reader may join one at a time."""
    return gif_file((40, 60), (40, 60), b"\x21\xfe" + sub_blocks(b"c" * comment_bytes))


def gif_with_long_comment(length: int = 100_000) -> bytes:
    return gif_huge_comment(length)


def gif_many_extension_blocks(count: int = 1_900_000) -> bytes:
    """Millions of empty graphic control extensions before the frame, each a turn of the reader's loop."""
    return gif_file((40, 60), (40, 60), b"\x21\xf9\x00" * count)


def gif_large_canvas(width: int = 6_300, height: int = 6_300) -> bytes:
    """A tiny frame on a logical screen of nearly 40 million pixels."""
    return gif_file((width, height), (4, 4))


# WebP


def riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")


def webp_file(chunks: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def vp8l_one_pixel() -> bytes:
    """The VP8L payload of a 1x1 lossless WebP, taken from Pillow's own encoder."""
    data = encode(Image.new("RGBA", (1, 1), (10, 20, 30, 255)), "WEBP", lossless=True)
    position = data.index(b"VP8L")
    length = struct.unpack("<I", data[position + 4:position + 8])[0]
    return data[position + 8:position + 8 + length]


def vp8x(flags: int, width: int, height: int) -> bytes:
    return riff_chunk(b"VP8X", bytes([flags, 0, 0, 0]) + (width - 1).to_bytes(3, "little")
                      + (height - 1).to_bytes(3, "little"))


def webp_animation_with_large_canvas(width: int = 6_000, height: int = 6_600) -> bytes:
    """An animated WebP of about 140 bytes: one 1x1 frame on a canvas of nearly 40 million pixels."""
    frame = riff_chunk(b"ANMF", bytes(6) + bytes(3) + bytes(3) + (100).to_bytes(3, "little") + b"\x00"
                       + riff_chunk(b"VP8L", vp8l_one_pixel()))
    animation = riff_chunk(b"ANIM", b"\xff\xff\xff\xff" + b"\x00\x00")
    return webp_file(vp8x(0x12, width, height) + animation + frame)


def webp_with_invalid_exif() -> bytes:
    still = encode(poster(40, 60, seed=12), "WEBP")
    bitstream = still[12:]
    return webp_file(vp8x(0x08, 40, 60) + bitstream + riff_chunk(b"EXIF", INVALID_EXIF))


# BMP


def bmp_rle(width: int = 6_000, height: int = 6_600, rle4: bool = False, run: int = 255) -> bytes:
    """A run-length bitmap: every row is runs of `run` pixels; runs of 255 make a few hundred KB stand for 40 Mpx."""
    bits = 4 if rle4 else 8
    colours = 16 if rle4 else 256
    palette = b"".join(bytes([i % 256, i % 256, i % 256, 0]) for i in range(colours))
    row = bytearray()
    left = width
    while left:
        count = min(left, run)
        row += bytes([count, 0x11 if rle4 else 7])
        left -= count
    row += b"\x00\x00"
    pixels = bytes(row) * height + b"\x00\x01"
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 2 if rle4 else 1, len(pixels),
                       2835, 2835, colours, 0)
    offset = 14 + len(info) + len(palette)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + palette + pixels


# JPEG


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def progressive_jpeg_with_scans(width: int = 4_000, height: int = 6_000, scans: int = 15_000) -> bytes:
    """A grayscale progressive JPEG of thousands of AC scans, each a few bytes of end-of-band runs that
    nevertheless make the decoder walk every block of the image."""
    blocks = -(-width // 8) * -(-height // 8)
    quantization = jpeg_segment(0xDB, b"\x00" + bytes([1] * 64))
    frame = jpeg_segment(0xC2, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    # One AC Huffman code, "0", for EOB14: an end-of-band run of 2**14 blocks with 14 extra zero bits.
    ac_table = jpeg_segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\xe0")
    runs = -(-blocks // (1 << 14))
    bit_count = runs * 15
    entropy = bytes(bit_count // 8) + (bytes([(1 << (8 - bit_count % 8)) - 1]) if bit_count % 8 else b"")
    scan = jpeg_segment(0xDA, b"\x01\x01\x00" + bytes([1, 63, 0])) + entropy
    return b"\xff\xd8" + quantization + frame + ac_table + scan * scans + b"\xff\xd9"


def jpeg_with_comments(count: int = 90, length: int = 65_533) -> bytes:
    """A real poster JPEG carrying megabytes of COM segments before its pixels."""
    data = encode(poster(300, 450, seed=13), "JPEG", quality=85)
    return data[:2] + jpeg_segment(0xFE, b"c" * length) * count + data[2:]


@functools.cache
def large_jpeg(width: int = 6_000, height: int = 6_600, progressive: bool = False) -> bytes:
    """An honest photo-sized JPEG just under the pixel cap (plain colour, so it stays small)."""
    return encode(Image.new("RGB", (width, height), (90, 40, 30)), "JPEG", quality=85, progressive=progressive)


def after_first_scan(data: bytes) -> int:
    """Where the segment after a JPEG's first scan begins."""
    position = data.index(b"\xff\xda") + 2
    while not (data[position] == 0xFF and data[position + 1] not in (0x00, *range(0xD0, 0xD8))):
        position += 1
    return position


def jpeg_with_fill_after_first_scan(fill: int = 5_900_000) -> bytes:
    """Megabytes of 0xFF fill bytes before a marker, after the first scan of a progressive JPEG."""
    data = encode(poster(300, 450, seed=14), "JPEG", quality=85, progressive=True)
    position = after_first_scan(data)
    return data[:position] + b"\xff" * fill + data[position:]


def jpeg_with_segments_after_first_scan(count: int = 1_400_000) -> bytes:
    """A million empty comment segments between two scans: libjpeg skips them, a Python reader would not."""
    data = encode(poster(300, 450, seed=15), "JPEG", quality=85, progressive=True)
    position = after_first_scan(data)
    return data[:position] + jpeg_segment(0xFE, b"") * count + data[position:]


# TIFF directories: EXIF (JPEG APP1, PNG eXIf, WebP EXIF), a JPEG's multi-picture index (APP2 MPF), TIFF files

def png_exif_aliasing(entries: int = 150, shared_bytes: int = 4 * 1024 * 1024) -> bytes:
    return png_with_chunks(png_chunk(b"eXIf", aliasing_directory(entries, shared_bytes)))


def webp_exif_aliasing(entries: int = 150, shared_bytes: int = 4 * 1024 * 1024) -> bytes:
    still = encode(poster(40, 60, seed=12), "WEBP")
    return webp_file(vp8x(0x08, 40, 60) + still[12:] + riff_chunk(b"EXIF", aliasing_directory(entries, shared_bytes)))


JPEG_SEGMENT_BYTES = 65_533


def in_one_segment(prefix: bytes, entries: int, kind: int) -> bytes:
    """prefix and an aliasing directory of `entries` entries (as many as fit, claiming all), its shared
    stretch as large as the rest of one JPEG segment allows."""
    fitting = min(entries, (JPEG_SEGMENT_BYTES - len(prefix) - 14 - 2 * TYPE_BYTES[kind]) // 12)
    shared = (JPEG_SEGMENT_BYTES - len(prefix) - 14 - 12 * fitting) // 8 * 8
    return prefix + aliasing_directory(fitting, shared, kind, declared=entries)


def jpeg_without_jfif(data: bytes) -> bytes:
    """Pillow reads the resolution from EXIF inside Image.open when no JFIF segment gives it."""
    if data[2:4] == b"\xff\xe0":
        return data[:2] + data[4 + int.from_bytes(data[4:6], "big"):]
    return data


def jpeg_mpf_aliasing(entries: int = 2_730, kind: int = SHORT) -> bytes:
    """An APP2 multi-picture index whose entries share one stretch of values, parsed inside Image.open."""
    data = poster_jpeg(seed=16)
    return data[:2] + jpeg_segment(0xE2, in_one_segment(b"MPF\x00", entries, kind)) + data[2:]


def jpeg_exif_aliasing(entries: int = 2_730, kind: int = RATIONAL) -> bytes:
    """The same in an APP1 EXIF block of a JPEG without JFIF, whose EXIF Pillow reads inside Image.open."""
    data = jpeg_without_jfif(poster_jpeg(seed=17))
    return data[:2] + jpeg_segment(0xE1, in_one_segment(b"Exif\x00\x00", entries, kind)) + data[2:]


def png_exif_loop() -> bytes:
    return png_with_chunks(png_chunk(b"eXIf", exif_with_a_loop_of_directories()))


def webp_exif_over_the_size_limit(size: int = 2 * 1024 * 1024) -> bytes:
    still = encode(poster(40, 60, seed=12), "WEBP")
    block = aliasing_directory(1, 4) + bytes(size)
    return webp_file(vp8x(0x08, 40, 60) + still[12:] + riff_chunk(b"EXIF", block))


# Lossless WebP: libwebp builds the prefix-code tables of every group in one call


def webp_lossless_huffman_groups(width: int = 1_024, height: int = 1_024, groups: int = 65_536,
                                 subtract_green: bool = False, predictor: bool = False) -> bytes:
    """A lossless WebP of vp8l_huffman_groups' bitstream (devkit/hostile_structures.py): about 365 MB inside one
    libwebp call for a 1 MP image of 295 KB."""
    return webp_file(riff_chunk(b"VP8L", vp8l_huffman_groups(width, height, groups, subtract_green, predictor)))


# Request bodies


def data_url_of_semicolons(count: int = 5_999_900) -> bytes:
    """A "data" string of "data:" and millions of semicolons and no comma: a backtracking match of the
    data URL's parameters takes a stack frame per semicolon."""
    return json.dumps({"data": "data:" + ";" * count}).encode()


def data_url_of_parameters(count: int = 1_499_900) -> bytes:
    return json.dumps({"data": "data:image/png" + ";a=b" * count + ",AAAA"}).encode()


def data_url_without_comma(length: int = 5_999_900) -> bytes:
    return json.dumps({"data": "data:" + "a" * length}).encode()


# TIFF (the model endpoint only)


def tiff_with_strips(width: int = 13, height: int = 700_000) -> bytes:
    """An uncompressed grayscale TIFF of one row per strip: hundreds of thousands of strips in a few MB."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, height, 0), (278, 4, 1, 1), (279, 4, height, 0)]
    offsets_at = 8 + 2 + 12 * len(entries) + 4
    counts_at = offsets_at + 4 * height
    pixels_at = counts_at + 4 * height
    pointers = {273: offsets_at, 279: counts_at}
    directory = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, kind, count, pointers.get(tag, value)) for tag, kind, count, value in entries)
    return (b"II*\x00" + struct.pack("<I", 8) + directory + bytes(4) + struct.pack("<I", pixels_at) * height
            + struct.pack("<I", width) * height + bytes(width))


def tiff_one_strip(width: int = 6_000, height: int = 6_600, mode: str = "RGB") -> bytes:
    """A deflate TIFF of one strip: libtiff holds the whole strip (and, for YCbCr, an RGBA copy) beside
    Pillow's image. A plain colour compresses 40 MP to about 116 KB."""
    image = Image.new(mode, (width, height), (90, 40, 30) if mode == "RGB" else (90, 120, 130))
    return encode(image, "TIFF", compression="tiff_adobe_deflate", strip_size=2**31 - 1)





# Formats the API refuses but Pillow opens


def ico_with_large_image() -> bytes:
    output = io.BytesIO()
    Image.new("RGBA", (256, 256)).save(output, format="ICO", sizes=[(256, 256)])
    return output.getvalue()


@dataclass(frozen=True)
class HostileCase:
    id: str
    build: Callable[[], bytes]
    content_type: str
    status: int
    """200: an image the budget allows, classified as usual; 413: refused before its cost is paid."""


CASES = [
    HostileCase("webp-animation-with-large-canvas", webp_animation_with_large_canvas, "image/webp", 413),
    HostileCase("png-one-pixel-wide-39-million-tall", png_one_pixel_wide, "image/png", 413),
    HostileCase("png-claiming-100000x100000", lambda: png_claiming_size(100_000, 100_000), "image/png", 413),
    HostileCase("png-rgba-40-megapixels", png_blank_rgba, "image/png", 200),
    HostileCase("png-rgb-40-megapixels", png_blank_rgb, "image/png", 200),
    HostileCase("gif-tiny-frame-on-large-canvas", gif_large_canvas, "image/gif", 200),
    HostileCase("jpeg-baseline-40-megapixels", large_jpeg, "image/jpeg", 200),
    HostileCase("jpeg-progressive-40-megapixels", lambda: large_jpeg(progressive=True), "image/jpeg", 200),
    HostileCase("jpeg-progressive-thousands-of-scans", progressive_jpeg_with_scans, "image/jpeg", 413),
    HostileCase("bmp-rle8-runs", bmp_rle, "image/bmp", 413),
    HostileCase("bmp-rle4-runs", lambda: bmp_rle(rle4=True), "image/bmp", 413),
    HostileCase("bmp-rle4-short-runs-stopped-by-the-cpu-deadline", lambda: bmp_rle(rle4=True, run=16),
                "image/bmp", 413),
    HostileCase("gif-megabytes-of-comment", gif_huge_comment, "image/gif", 413),
    HostileCase("png-thousands-of-icc-profiles", png_many_icc_profiles, "image/png", 413),
    HostileCase("png-hundreds-of-thousands-of-chunks", png_many_small_chunks, "image/png", 413),
    HostileCase("jpeg-megabytes-of-comments", jpeg_with_comments, "image/jpeg", 413),
    HostileCase("jpeg-megabytes-of-fill-bytes", jpeg_with_fill_after_first_scan, "image/jpeg", 413),
    HostileCase("jpeg-a-million-segments-between-scans", jpeg_with_segments_after_first_scan, "image/jpeg", 413),
    HostileCase("gif-millions-of-extension-blocks", gif_many_extension_blocks, "image/gif", 413),
    HostileCase("png-sixty-inflating-text-chunks", png_many_text_chunks, "image/png", 200),
    HostileCase("png-invalid-exif", png_with_invalid_exif, "image/png", 200),
    HostileCase("png-raw-exif-profile-not-hex", png_with_raw_exif_profile_not_hex, "image/png", 200),
    HostileCase("png-comment-longer-than-jpeg-allows", png_with_long_comment, "image/png", 200),
    HostileCase("gif-comment-longer-than-jpeg-allows", gif_with_long_comment, "image/gif", 200),
    HostileCase("webp-invalid-exif", webp_with_invalid_exif, "image/webp", 200),
    # issue 19: metadata parsed outside the decode, and decoders' own buffers
    HostileCase("png-exif-150-entries-sharing-4-mb", png_exif_aliasing, "image/png", 413),
    HostileCase("png-exif-1000-entries-sharing-48-kb", lambda: png_exif_aliasing(1_000, 48 * 1024), "image/png", 413),
    HostileCase("png-exif-65535-entries-sharing-4-mb", lambda: png_exif_aliasing(65_535), "image/png", 413),
    HostileCase("png-exif-directories-in-a-loop", png_exif_loop, "image/png", 200),
    HostileCase("webp-exif-150-entries-sharing-4-mb", webp_exif_aliasing, "image/webp", 413),
    HostileCase("webp-exif-1000-entries-sharing-48-kb", lambda: webp_exif_aliasing(1_000, 48 * 1024), "image/webp",
                413),
    HostileCase("webp-exif-65535-entries-sharing-4-mb", lambda: webp_exif_aliasing(65_535), "image/webp", 413),
    HostileCase("webp-exif-of-2-mb", webp_exif_over_the_size_limit, "image/webp", 413),
    HostileCase("jpeg-mpf-2730-short-entries-sharing-32-kb", jpeg_mpf_aliasing, "image/jpeg", 413),
    HostileCase("jpeg-mpf-2730-rational-entries-sharing-32-kb", lambda: jpeg_mpf_aliasing(kind=RATIONAL),
                "image/jpeg", 413),
    HostileCase("jpeg-mpf-1000-rational-entries", lambda: jpeg_mpf_aliasing(1_000, RATIONAL), "image/jpeg", 413),
    HostileCase("jpeg-mpf-claiming-65535-entries", lambda: jpeg_mpf_aliasing(65_535, RATIONAL), "image/jpeg", 413),
    HostileCase("jpeg-exif-1000-rational-entries-read-inside-open", lambda: jpeg_exif_aliasing(1_000), "image/jpeg",
                413),
    HostileCase("jpeg-exif-claiming-65535-entries", lambda: jpeg_exif_aliasing(65_535), "image/jpeg", 413),
    HostileCase("webp-lossless-65536-huffman-groups", webp_lossless_huffman_groups, "image/webp", 413),
    HostileCase("webp-lossless-65536-huffman-groups-after-subtract-green",
                lambda: webp_lossless_huffman_groups(subtract_green=True), "image/webp", 413),
    HostileCase("webp-lossless-4096-huffman-groups-256-px", lambda: webp_lossless_huffman_groups(256, 256, 4_096),
                "image/webp", 200),
]

CEILING_CASES = [
    HostileCase("webp-lossless-65536-huffman-groups-behind-a-predictor",
                lambda: webp_lossless_huffman_groups(predictor=True), "image/webp", 400),
]
"""Images whose structure hides their cost from the estimate (reading past a transform's own image means
decoding it): libwebp's allocation fails under the decode ceiling, and the decoder says only that it
failed, so the answer is a 400, the image not decodable within the ceiling."""

REQUEST_CASES = [
    HostileCase("data-url-of-6-million-semicolons", data_url_of_semicolons, "application/json", 400),
    HostileCase("data-url-of-1.5-million-parameters", data_url_of_parameters, "application/json", 400),
    HostileCase("data-url-of-6-mb-without-comma", data_url_without_comma, "application/json", 400),
]
"""Request bodies, not images: the API's alone."""

CONTAINER_CASES = [
    HostileCase("tiff-one-deflate-strip-40-mp-rgb", tiff_one_strip, "image/tiff", 413),
    HostileCase("tiff-one-deflate-strip-40-mp-ycbcr", lambda: tiff_one_strip(mode="YCbCr"), "image/tiff", 413),
    HostileCase("tiff-deflate-40-mp-in-small-strips", lambda: encode(Image.new("RGB", (6_000, 6_600), (90, 40, 30)),
                                                                      "TIFF", compression="tiff_adobe_deflate"),
                "image/tiff", 200),
    HostileCase("tiff-100-tags-sharing-4-mb", tiff_tags_aliasing, "image/tiff", 413),
    HostileCase("tiff-990-tags-sharing-4-mb", lambda: tiff_tags_aliasing(990), "image/tiff", 413),
    HostileCase("tiff-65000-tags-sharing-4-mb", lambda: tiff_tags_aliasing(65_000), "image/tiff", 413),
]
"""TIFF, which only the model container opens."""
