"""TIFF directories, the structure inside EXIF (a JPEG's APP1, a PNG's eXIf, a WebP's EXIF chunk), a JPEG's
multi-picture index (APP2 "MPF") and TIFF files themselves, read with the standard library.

Pillow reads such a directory entry by entry, copying each entry's values out of the block and turning
them into Python objects (a RATIONAL becomes a Fraction): entries that all point at one large stretch of
the block make it copy that stretch once per entry (150 entries x 4 MB = 600 MB; 2,730 RATIONAL entries in
a 117 KB JPEG = 27 CPU-seconds). So a directory is judged before Pillow sees it: its entries may declare
no more bytes of values than the block holds, and there may be only so many of them. The EXIF orientation
is read here too, its one SHORT and nothing else, instead of letting Pillow build the whole directory.
"""
import struct

TYPE_BYTES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
"""Bytes per value of each TIFF field type; Pillow skips entries of any other type."""
SHORT = 3
ORIENTATION_TAG = 274
SUB_DIRECTORY_TAGS = frozenset({0x8769, 0x8825, 0xA005})
"""The EXIF, GPS and interoperability directories, which Pillow reads on request."""
MAX_DIRECTORY_ENTRIES = 1_000
MAX_DIRECTORIES = 16
EXIF_PREFIX = b"Exif\x00\x00"


class DirectoryTooCostly(ValueError):
    """A directory Pillow would spend far more on than its block's size; the message says why."""


def tiff_layout(block: bytes) -> tuple[str, bool] | None:
    """(struct byte order, BigTIFF) from the header, or None when the block is no TIFF structure."""
    if block[:4] in (b"II*\x00", b"MM\x00*"):
        return ("<" if block[:1] == b"I" else ">"), False
    if block[:4] in (b"II+\x00", b"MM\x00+"):
        return ("<" if block[:1] == b"I" else ">"), True
    return None


def entries(block: bytes, offset: int, order: str, big: bool):
    """(tag, type, count, value field) of each entry of the directory at offset, as far as the block holds them."""
    count_format, entry_bytes, head = ("Q", 20, 8) if big else ("H", 12, 2)
    if offset + head > len(block):
        return
    (count,) = struct.unpack_from(order + count_format, block, offset)
    if count > MAX_DIRECTORY_ENTRIES:
        raise DirectoryTooCostly(f"more than {MAX_DIRECTORY_ENTRIES:,} entries in one directory")
    position = offset + head
    for _ in range(count):
        if position + entry_bytes > len(block):
            return
        if big:
            tag, kind, values = struct.unpack_from(order + "HHQ", block, position)
            field = block[position + 12:position + 20]
        else:
            tag, kind, values = struct.unpack_from(order + "HHI", block, position)
            field = block[position + 8:position + 12]
        yield tag, kind, values, field
        position += entry_bytes


def directory_offsets(block: bytes, order: str, big: bool):
    """The first directory's offset, the offsets it and each later directory link to, and sub-directories,
    each once: a loop of links ends where it closes."""
    offset_format = "Q" if big else "I"
    pending, seen = [struct.unpack_from(order + offset_format, block, 8 if big else 4)[0]], set()
    while pending and len(seen) < MAX_DIRECTORIES:
        offset = pending.pop()
        if offset in seen or not 0 < offset < len(block):
            continue
        seen.add(offset)
        yield offset
        count_format, entry_bytes, head = ("Q", 20, 8) if big else ("H", 12, 2)
        for tag, kind, values, field in entries(block, offset, order, big):
            if tag in SUB_DIRECTORY_TAGS and values == 1 and kind in ((4, 13, 16, 18) if big else (4, 13)):
                pending.append(struct.unpack_from(order + ("Q" if kind in (16, 18) else "I"), field)[0])
        (count,) = struct.unpack_from(order + count_format, block, offset)
        link = offset + head + count * entry_bytes
        if link + struct.calcsize(offset_format) <= len(block):
            pending.append(struct.unpack_from(order + offset_format, block, link)[0])


def check_directories(block: bytes, what: str) -> None:
    """Refuse a TIFF structure whose directories declare more bytes of values than the block holds, or
    hold too many entries. Anything that is no TIFF structure passes: Pillow ignores or refuses it itself."""
    layout = tiff_layout(block)
    if layout is None or len(block) < 16:
        return
    order, big = layout
    inline_bytes = 8 if big else 4
    declared = 0
    try:
        for offset in directory_offsets(block, order, big):
            for _, kind, values, _ in entries(block, offset, order, big):
                size = values * TYPE_BYTES.get(kind, 0)
                declared += size if size > inline_bytes else 0
    except struct.error:
        return
    if declared > len(block):
        raise DirectoryTooCostly(f"the entries of its {what} declare {declared:,} bytes of values "
                                 f"in a block of {len(block):,} bytes")


def exif_block(data: bytes | None) -> bytes:
    """The TIFF structure of an EXIF block, with or without the "Exif\\0\\0" that JPEG and PNG put first."""
    data = data or b""
    return data[len(EXIF_PREFIX):] if data.startswith(EXIF_PREFIX) else data


def orientation(block: bytes) -> int:
    """The Orientation (tag 274, one SHORT) of the first directory, 1 (upright) when there is none or
    it cannot be read: browsers show such an image as it is stored."""
    layout = tiff_layout(block)
    if layout is None:
        return 1
    order, big = layout
    found = 1
    try:
        first = struct.unpack_from(order + ("Q" if big else "I"), block, 8 if big else 4)[0]
        for tag, kind, values, field in entries(block, first, order, big):
            if tag == ORIENTATION_TAG and kind == SHORT and values == 1:
                found = struct.unpack_from(order + "H", field)[0]
    except (struct.error, DirectoryTooCostly):
        return 1
    return found if 1 <= found <= 8 else 1
