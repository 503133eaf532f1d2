"""What decoding an image will cost, judged from its container structure before any pixel is decoded.

The CPU a decode needs depends on the file's structure (a progressive JPEG walks every block once per scan;
Pillow reads PNG chunks, GIF sub-blocks and JPEG segments in Python, and EXIF and multi-picture directories
inside Image.open), and the memory on the format's decoder (libwebp's canvases and prefix-code tables, a
progressive JPEG's coefficients, libtiff's strips). These readers look only at the structure, with the
standard library, so they cost a few milliseconds whatever the file holds, and refuse within the
DecodeBudget (chalicelib.decode_budget) with a message that says why.
"""
import math
import re
import struct

from chalicelib.decode_budget import DecodeBudget, Structure, check_memory, check_pixels, too_costly
from chalicelib.tiff_directories import EXIF_PREFIX, DirectoryTooCostly, check_directories

WEBP_DECODER_BYTES_PER_PIXEL = 12
"""libwebp's animation decoder holds two RGBA canvases, and Pillow copies the frame out once more."""
WEBP_HUFFMAN_GROUP_BYTES = 8 * 1024
"""libwebp 1.6 builds the prefix-code tables of every group of a lossless image before its first pixel:
about 6.3 KB a group measured (65,536 groups: 415 MB in one call)."""
MAX_WEBP_HUFFMAN_GROUPS = 65_536
WEBP_SUBTRACT_GREEN = 2
JPEG_COEFFICIENT_BYTES = 128
"""A multi-scan JPEG keeps 64 two-byte coefficients of every block until its last scan."""

MAX_JPEG_SCANS = 256
MAX_JPEG_BLOCK_VISITS = 60_000_000
"""Scans x blocks per scan: about 6 ns each in libjpeg-turbo, so at most about 0.4 CPU-s on this budget."""
MAX_JPEG_HEADER_SEGMENTS = 1_000
"""Pillow reads the segments before the first scan in Python; libjpeg reads the rest."""
MAX_JPEG_SEGMENTS = 10_000
MAX_JPEG_FILL_BYTES = 4_096
MAX_JPEG_METADATA_BYTES = 2 * 1024 * 1024
MAX_PNG_CHUNKS = 20_000
MAX_PNG_METADATA_CHUNKS = 64
PNG_METADATA_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"})
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp\x00"
MAX_GIF_METADATA_BYTES = 256 * 1024
MAX_GIF_BLOCKS = 4_096
MAX_RLE_PIXELS_PER_BYTE = 32
MAX_TIFF_TAGS = 1_000
MAX_TIFF_STRIPS = 20_000
"""Pillow makes a Python tile of every strip or tile of a TIFF when it opens it."""
MAX_EXIF_BYTES = 65_533
"""What a JPEG's APP1 segment holds, where EXIF was defined; PNG and WebP blocks may claim no more."""
MAX_XMP_BYTES = 1024 * 1024
TIFF_YCBCR = 6
TIFF_JPEG_COMPRESSION = frozenset({6, 7})
RGBA_BYTES = 4

SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
PROGRESSIVE_SOF_MARKERS = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
MPF_PREFIX = b"MPF\x00"
STANDALONE_MARKERS = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})
NOT_A_MARKER = re.compile(rb"(?:[^\xff]++|\xff++[\x00\xd0-\xd7])*+")
"""Entropy-coded data up to the next marker: bytes other than 0xFF, and 0xFF bytes followed by stuffing
(0x00) or a restart marker. Possessive, so it takes linear time whatever the bytes."""
FILL = re.compile(rb"\xff++")


def inspect(data: bytes, budget: DecodeBudget) -> Structure:
    """Read the container structure; refuse too many pixels (checked first), too costly a structure, or (for WebP, whose
    decoder allocates its canvases when Pillow opens the file) too much memory. Truncated or unknown
    data passes with what could be read: Pillow judges it next."""
    for magic, reader in READERS:
        if data.startswith(magic):
            try:
                structure = reader(data, budget)
            except (IndexError, struct.error, ValueError):
                return Structure()
            break
    else:
        return Structure()
    check_pixels(structure.width, structure.height, budget)
    if structure.format == "WEBP":
        check_memory("RGBA", (structure.width, structure.height), structure, budget)
    return structure


# JPEG


def jpeg_structure(data: bytes, budget: DecodeBudget) -> Structure:
    """Walk the markers, skipping each scan's entropy-coded data, counting scans and the blocks they walk."""
    position, segments, scans, block_visits, fill, metadata = 2, 0, 0, 0, 0, 0
    width = height = decoder_bytes = 0
    blocks, progressive = {}, False
    while (start := NOT_A_MARKER.match(data, position).end()) < len(data) - 1:
        position = FILL.match(data, start).end() - 1
        fill += position - start
        if fill > MAX_JPEG_FILL_BYTES:
            raise too_costly(f"more than {MAX_JPEG_FILL_BYTES:,} fill bytes between its segments")
        if position + 1 >= len(data):
            break
        marker = data[position + 1]
        if marker == 0xD9:
            break
        if marker in STANDALONE_MARKERS:
            position += 2
            continue
        segments += 1
        if segments > (MAX_JPEG_HEADER_SEGMENTS if scans == 0 else MAX_JPEG_SEGMENTS):
            raise too_costly(f"more than {segments - 1:,} segments")
        length = int.from_bytes(data[position + 2:position + 4], "big")
        segment = data[position + 4:position + 2 + length]
        if scans == 0 and (0xE0 <= marker <= 0xEF or marker == 0xFE):
            metadata += length
            if metadata > MAX_JPEG_METADATA_BYTES:
                raise too_costly(f"more than {MAX_JPEG_METADATA_BYTES // 2**20} MB of metadata segments")
            if marker == 0xE1 and segment.startswith(EXIF_PREFIX):
                check_metadata_directories(segment[len(EXIF_PREFIX):], "EXIF block")
            elif marker == 0xE2 and segment.startswith(MPF_PREFIX):
                check_metadata_directories(segment[len(MPF_PREFIX):], "multi-picture index (MPF)")
        if marker in SOF_MARKERS and not blocks:
            height, width = struct.unpack(">HH", segment[1:5])
            check_pixels(width, height, budget)
            blocks = frame_blocks(segment, width, height)
            progressive = marker in PROGRESSIVE_SOF_MARKERS
        position += 2 + max(length, 2)
        if marker == 0xDA:
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise too_costly(f"more than {MAX_JPEG_SCANS} scans")
            block_visits += sum(blocks.get(component, 0) for component in segment[1:1 + 2 * segment[0]:2])
            if block_visits > MAX_JPEG_BLOCK_VISITS:
                raise too_costly(f"its {scans} scans walk more than {MAX_JPEG_BLOCK_VISITS:,} blocks")
    if progressive or scans > 1:
        decoder_bytes = sum(blocks.values()) * JPEG_COEFFICIENT_BYTES
    return Structure("JPEG", width, height, decoder_bytes)


def check_metadata_directories(block: bytes, what: str) -> None:
    """Pillow parses a JPEG's EXIF (for its resolution) and multi-picture index inside Image.open."""
    try:
        check_directories(block, what)
    except DirectoryTooCostly as refusal:
        raise too_costly(str(refusal)) from None


def check_exif(block: bytes) -> None:
    if len(block) > MAX_EXIF_BYTES:
        raise too_costly(f"its EXIF block of {len(block):,} bytes is over {MAX_EXIF_BYTES:,}")
    check_metadata_directories(block[len(EXIF_PREFIX):] if block.startswith(EXIF_PREFIX) else block, "EXIF block")


def check_xmp(size: int) -> None:
    if size > MAX_XMP_BYTES:
        raise too_costly(f"its XMP block of {size:,} bytes is over {MAX_XMP_BYTES:,}")


def frame_blocks(frame: bytes, width: int, height: int) -> dict[int, int]:
    """8x8 blocks of each component, padded to whole MCUs as libjpeg allocates them."""
    components = [(frame[6 + 3 * i], frame[7 + 3 * i] >> 4, frame[7 + 3 * i] & 15) for i in range(frame[5])]
    max_h = max((h for _, h, _ in components), default=1) or 1
    max_v = max((v for _, _, v in components), default=1) or 1
    mcus_across, mcus_down = -(-width // (8 * max_h)), -(-height // (8 * max_v))
    return {identifier: mcus_across * h * mcus_down * v for identifier, h, v in components}


# PNG


def png_structure(data: bytes, budget: DecodeBudget) -> Structure:
    width, height = struct.unpack(">II", data[16:24])
    check_pixels(width, height, budget)
    position, chunks, metadata = 8, 0, 0
    while position + 8 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            raise too_costly(f"more than {MAX_PNG_CHUNKS:,} chunks")
        if kind in PNG_METADATA_CHUNKS:
            metadata += 1
            if metadata > MAX_PNG_METADATA_CHUNKS:
                raise too_costly(f"more than {MAX_PNG_METADATA_CHUNKS} metadata chunks (text, ICC profile, EXIF)")
            if kind == b"eXIf":
                check_exif(data[position + 8:position + 8 + length])
            elif kind == b"iTXt" and data.startswith(PNG_XMP_KEYWORD, position + 8):
                check_xmp(length)
        if kind == b"IEND":
            break
        position += 12 + length
    return Structure("PNG", width, height)


# GIF


def gif_structure(data: bytes, budget: DecodeBudget) -> Structure:
    """The logical screen, grown to the first frame's extent as Pillow grows it; the extensions before
    that frame, which Pillow reads a sub-block at a time in Python, joining comments as it goes."""
    width, height, flags = struct.unpack("<HHB", data[6:11])
    check_pixels(width, height, budget)
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    metadata = blocks = 0
    while position < len(data):
        block = data[position]
        if block == 0x21:
            label, position = data[position + 1], position + 2
            size, count, position = skip_sub_blocks(data, position)
            blocks += 1 + count
            metadata += size if label != 0xF9 else 0
            if metadata > MAX_GIF_METADATA_BYTES:
                raise too_costly(f"more than {MAX_GIF_METADATA_BYTES // 1024} KB of comments or extensions")
            if blocks > MAX_GIF_BLOCKS:
                raise too_costly(f"more than {MAX_GIF_BLOCKS:,} extension blocks before its first frame")
        elif block == 0x2C:
            left, top, frame_width, frame_height = struct.unpack("<HHHH", data[position + 1:position + 9])
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            break
        else:
            break
    return Structure("GIF", width, height)


def skip_sub_blocks(data: bytes, position: int) -> tuple[int, int, int]:
    """(bytes of data, sub-blocks, position after the terminator) of a chain of GIF sub-blocks,
    stopping early past the limits."""
    size = count = 0
    while position < len(data) and data[position] and size <= MAX_GIF_METADATA_BYTES and count <= MAX_GIF_BLOCKS:
        size += data[position]
        count += 1
        position += 1 + data[position]
    return size, count, position + 1


# WebP


def webp_structure(data: bytes, budget: DecodeBudget) -> Structure:
    """The canvas from the first chunk: VP8X's canvas, or the still image's own size."""
    if data[8:12] != b"WEBP":
        return Structure()
    kind, payload = data[12:16], data[20:50]
    if kind == b"VP8X":
        width, height = 1 + int.from_bytes(payload[4:7], "little"), 1 + int.from_bytes(payload[7:10], "little")
    elif kind == b"VP8L":
        bits = int.from_bytes(payload[1:5], "little")
        width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    elif kind == b"VP8 ":
        width, height = (value & 0x3FFF for value in struct.unpack("<HH", payload[6:10]))
    else:
        return Structure()
    check_pixels(width, height, budget)
    groups = max((huffman_groups(chunk) for chunk in webp_chunks(data, 12, len(data)) if chunk[:4] == b"VP8L"),
                 default=0)
    return Structure("WEBP", width, height,
                     width * height * WEBP_DECODER_BYTES_PER_PIXEL + groups * WEBP_HUFFMAN_GROUP_BYTES)


def webp_chunks(data: bytes, start: int, end: int):
    """Each chunk's kind and payload (an animation frame's chunks too), refusing EXIF and XMP chunks that
    libwebp's demuxer would hand Pillow whole and too large."""
    position = start
    while position + 8 <= end:
        kind, length = data[position:position + 4], int.from_bytes(data[position + 4:position + 8], "little")
        payload = data[position + 8:min(end, position + 8 + length)]
        if kind == b"EXIF":
            check_exif(payload)
        elif kind == b"XMP ":
            check_xmp(length)
        elif kind == b"ANMF":
            yield from webp_chunks(data, position + 8 + 16, min(end, position + 8 + length))
        yield kind + payload
        position += 8 + length + (length & 1)


def huffman_groups(chunk: bytes) -> int:
    """An upper bound of a lossless bitstream's groups of prefix codes: one per pixel of its entropy image,
    at most 65,536. Found without decoding only when no transform with an image of its own (predictor,
    colour transform, palette) comes first; otherwise 0, and the ceiling bounds it."""
    payload = chunk[4:]
    if len(payload) < 6 or payload[0] != 0x2F:
        return 0
    header = int.from_bytes(payload[1:5], "little")
    width, height = 1 + (header & 0x3FFF), 1 + ((header >> 14) & 0x3FFF)
    bits = int.from_bytes(payload[5:13], "little")
    position = 0

    def read(count: int) -> int:
        nonlocal position
        value = (bits >> position) & ((1 << count) - 1)
        position += count
        return value

    while read(1):
        if read(2) != WEBP_SUBTRACT_GREEN or position > 48:
            return 0
    if read(1):
        read(4)
    if not read(1):
        return 1
    block = 1 << (read(3) + 2)
    return min(MAX_WEBP_HUFFMAN_GROUPS, -(-width // block) * -(-height // block))


# BMP


def bmp_structure(data: bytes, budget: DecodeBudget) -> Structure:
    """Run-length bitmaps are decoded by Pillow in Python, into two full-size byte strings before the image."""
    offset, header_size = struct.unpack("<II", data[10:18])
    if header_size == 12:
        width, height = struct.unpack("<HH", data[18:22])
        compression = 0
    else:
        width, height, _, _, compression = struct.unpack("<iiHHI", data[18:34])
    width, height = abs(width), abs(height)
    check_pixels(width, height, budget)
    decoder_bytes = 0
    if compression in (1, 2):
        pixels_per_byte = width * height / max(1, len(data) - offset)
        if pixels_per_byte > MAX_RLE_PIXELS_PER_BYTE:
            raise too_costly(f"its run-length data stands for {pixels_per_byte:,.0f} pixels per byte "
                             f"(at most {MAX_RLE_PIXELS_PER_BYTE})")
        decoder_bytes = 2 * width * height
    return Structure("BMP", width, height, decoder_bytes)


# TIFF (the model endpoint's sixth format)


def tiff_structure(data: bytes, budget: DecodeBudget) -> Structure:
    """The first directory, which Pillow reads when it opens the file: its size, and how many strips."""
    order = "<" if data[:2] == b"II" else ">"
    big = data[2:4] in (b"+\x00", b"\x00+")
    offset_format, count_format, field_bytes = ("Q", "Q", 8) if big else ("I", "H", 4)
    offset = struct.unpack_from(order + offset_format, data, 8 if big else 4)[0]
    (tags,) = struct.unpack_from(order + count_format, data, offset)
    if tags > MAX_TIFF_TAGS:
        raise too_costly(f"more than {MAX_TIFF_TAGS:,} tags in its first directory")
    position, fields = offset + struct.calcsize(count_format), {}
    for _ in range(tags):
        tag, kind = struct.unpack_from(order + "HH", data, position)
        count = struct.unpack_from(order + count_format.replace("H", "I"), data, position + 4)[0]
        value_position = position + 4 + (8 if big else 4)
        fields[tag] = (kind, count, data[value_position:value_position + field_bytes])
        position = value_position + field_bytes
    width, height = tiff_number(fields.get(256), order), tiff_number(fields.get(257), order)
    check_pixels(width, height, budget)
    strips = max(fields.get(273, (0, 0, b""))[1], fields.get(324, (0, 0, b""))[1])
    if strips > MAX_TIFF_STRIPS:
        raise too_costly(f"more than {MAX_TIFF_STRIPS:,} strips or tiles")
    try:
        check_directories(data, "directories")
    except DirectoryTooCostly as refusal:
        raise too_costly(str(refusal)) from None
    return Structure("TIFF", width, height, tiff_decoder_bytes(data, fields, order, width, height))


def tiff_decoder_bytes(data: bytes, fields: dict, order: str, width: int, height: int) -> int:
    """libtiff reads a whole strip (or tile) into a buffer of its own before Pillow unpacks it, and a
    YCbCr image not stored as JPEG goes through libtiff's RGBA interface, a second buffer of 4 bytes a pixel."""
    samples = max(1, tiff_number(fields.get(277), order) or 1)
    bits = tiff_first_value(data, fields.get(258), order) or 1
    if 322 in fields and 323 in fields:
        chunk_width, chunk_rows = tiff_number(fields[322], order), tiff_number(fields[323], order)
    else:
        chunk_width, chunk_rows = width, min(height, tiff_number(fields.get(278), order) or height)
    buffers = chunk_rows * math.ceil(chunk_width * samples * bits / 8)
    compression = tiff_number(fields.get(259), order)
    if tiff_number(fields.get(262), order) == TIFF_YCBCR and compression not in TIFF_JPEG_COMPRESSION:
        buffers += chunk_rows * chunk_width * RGBA_BYTES
    return buffers


def tiff_number(field: tuple[int, int, bytes] | None, order: str) -> int:
    """A SHORT, LONG or LONG8 value stored in the directory entry itself (left-justified)."""
    if field is None:
        return 0
    kind, _, value = field
    value_format = {3: "H", 4: "I", 16: "Q"}.get(kind)
    return struct.unpack_from(order + value_format, value)[0] if value_format else 0


def tiff_first_value(data: bytes, field: tuple[int, int, bytes] | None, order: str) -> int:
    """The first SHORT of a field, in the entry or (several values) where the entry points."""
    if field is None or field[0] != 3:
        return tiff_number(field, order)
    kind, count, value = field
    if count * 2 <= len(value):
        return struct.unpack_from(order + "H", value)[0]
    offset = struct.unpack_from(order + ("Q" if len(value) == 8 else "I"), value)[0]
    return struct.unpack_from(order + "H", data, offset)[0] if offset + 2 <= len(data) else 0


READERS = (
    (b"\xff\xd8", jpeg_structure),
    (b"\x89PNG\r\n\x1a\n", png_structure),
    (b"GIF87a", gif_structure),
    (b"GIF89a", gif_structure),
    (b"RIFF", webp_structure),
    (b"BM", bmp_structure),
    (b"II*\x00", tiff_structure),
    (b"MM\x00*", tiff_structure),
    (b"II+\x00", tiff_structure),
    (b"MM\x00+", tiff_structure),
)
