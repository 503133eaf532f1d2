"""Hostile structures inside images, built byte by byte (issue 19): TIFF directories whose entries alias one
stretch of values (EXIF, a JPEG's multi-picture index, TIFF files), and lossless WebP bitstreams of
tens of thousands of prefix-code groups. devkit/hostile_images.py wraps them in files; nothing is stored.
"""
import struct

from devkit.images import poster

UNDEFINED, SHORT, LONG, RATIONAL = 7, 3, 4, 5
TYPE_BYTES = {UNDEFINED: 1, SHORT: 2, LONG: 4, RATIONAL: 8}
ALIASED_VALUES = b"\x00\x01\x00\x01"
"""Every value of the shared stretch: SHORTs 1 and 256, RATIONALs 65536/65536 in either byte order."""


def entry(tag: int, kind: int, count: int, value: int, order: str = "<") -> bytes:
    """One 12-byte directory entry whose value field holds value (a LONG offset, or a SHORT left-justified)."""
    field = struct.pack(order + "HH", value, 0) if kind == SHORT and count == 1 else struct.pack(order + "I", value)
    return struct.pack(order + "HHI", tag, kind, count) + field


def aliasing_directory(entries: int, shared_bytes: int, kind: int = UNDEFINED, declared: int | None = None,
                       order: str = "<") -> bytes:
    """A TIFF structure of one directory whose entries all declare the one stretch of shared_bytes that
    follows it: Pillow copies (and converts) the stretch once per entry. declared: the entry count the
    directory claims, when it claims more than it holds."""
    values_at = 8 + 2 + 12 * entries + 4
    count = shared_bytes // TYPE_BYTES[kind]
    directory = struct.pack(order + "H", entries if declared is None else declared) + b"".join(
        entry(0x1000 + index % 0xE000, kind, count, values_at, order) for index in range(entries))
    header = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    return header + directory + bytes(4) + ALIASED_VALUES * (shared_bytes // 4)


def exif_with_a_loop_of_directories(order: str = "<") -> bytes:
    """IFD0 links to an EXIF sub-directory that links back to IFD0, each with an Orientation."""
    first = struct.pack(order + "H", 2) + entry(274, SHORT, 1, 6, order) + entry(0x8769, LONG, 1, 8 + 30, order)
    second = struct.pack(order + "H", 1) + entry(274, SHORT, 1, 3, order)
    header = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    return header + first + struct.pack(order + "I", 8 + 30) + second + struct.pack(order + "I", 8)


def tiff_tags_aliasing(entries: int = 100, shared_bytes: int = 4 * 1024 * 1024) -> bytes:
    """A small RGB TIFF whose first directory also holds `entries` private tags sharing one stretch of values."""
    width, height = 40, 60
    count = 9 + entries
    bits_at = 8 + 2 + 12 * count + 4
    shared_at = bits_at + 8
    pixels_at = shared_at + shared_bytes
    image_entries = [(256, SHORT, 1, width), (257, SHORT, 1, height), (258, SHORT, 3, bits_at), (259, SHORT, 1, 1),
                     (262, SHORT, 1, 2), (273, LONG, 1, pixels_at), (277, SHORT, 1, 3), (278, SHORT, 1, height),
                     (279, LONG, 1, width * height * 3)]
    fields = [entry(*field) for field in image_entries]
    fields += [entry(0xC000 + index % 0x3FFF, UNDEFINED, shared_bytes, shared_at) for index in range(entries)]
    return (b"II*\x00" + struct.pack("<IH", 8, count) + b"".join(fields) + bytes(4) + struct.pack("<HHHH", 8, 8, 8, 0)
            + ALIASED_VALUES * (shared_bytes // 4) + poster(width, height, seed=18).tobytes())


# Lossless WebP: libwebp builds the prefix-code tables of every group in one call


class BitWriter:
    """VP8L's bit order: each value's bits from the least significant, packed from each byte's lowest bit."""

    def __init__(self):
        self.output, self.value, self.count = bytearray(), 0, 0

    def write(self, value: int, bits: int) -> None:
        self.value |= value << self.count
        self.count += bits
        while self.count >= 8:
            self.output.append(self.value & 0xFF)
            self.value >>= 8
            self.count -= 8

    def write_code(self, code: int, length: int) -> None:
        """A prefix code's bits from its most significant, as the decoder reads them."""
        for shift in range(length - 1, -1, -1):
            self.write((code >> shift) & 1, 1)

    def bytes(self) -> bytes:
        return bytes(self.output) + (bytes([self.value]) if self.count else b"")


CODE_LENGTH_ORDER = (17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)


def write_one_symbol_code(bits: BitWriter) -> None:
    """A 'simple' prefix code of one symbol, 0: it costs no bits per pixel."""
    bits.write(1, 1), bits.write(0, 1), bits.write(0, 1), bits.write(0, 1)


def write_eight_bit_code(bits: BitWriter, alphabet: int) -> None:
    """Symbols 0-255 with 8-bit codes (symbol s is code s), the rest of the alphabet absent: its code
    lengths written with a code-length code of two 1-bit codes, '0' for length 0 and '1' for length 8."""
    bits.write(0, 1)
    bits.write(CODE_LENGTH_ORDER.index(8) + 1 - 4, 4)
    for symbol in CODE_LENGTH_ORDER[:CODE_LENGTH_ORDER.index(8) + 1]:
        bits.write(1 if symbol in (0, 8) else 0, 3)
    bits.write(0, 1)
    for symbol in range(alphabet):
        bits.write(1 if symbol < 256 else 0, 1)


def vp8l_huffman_groups(width: int = 1_024, height: int = 1_024, groups: int = 65_536,
                        subtract_green: bool = False, predictor: bool = False) -> bytes:
    """A lossless WebP whose entropy image (one pixel per 4x4 block) names a different group of prefix
    codes for each block, up to 65,536: libwebp builds all their tables before the first pixel, about
    365 MB inside one call for a 1 MP image of 295 KB. Every group's codes are one-symbol codes, so the
    pixels themselves cost no bits."""
    bits = BitWriter()
    bits.write(0x2F, 8), bits.write(width - 1, 14), bits.write(height - 1, 14), bits.write(0, 1), bits.write(0, 3)
    if subtract_green:
        bits.write(1, 1), bits.write(2, 2)  # a transform without an image of its own
    if predictor:  # a transform with an image of its own (one pixel per 512x512 block, every mode 0)
        bits.write(1, 1), bits.write(0, 2), bits.write(7, 3), bits.write(0, 1)
        for _ in range(5):
            write_one_symbol_code(bits)
    bits.write(0, 1)  # no (further) transform
    bits.write(0, 1)  # no colour cache
    bits.write(1, 1), bits.write(0, 3)  # groups per 4x4 block (2 + 0 bits)
    blocks = -(-width // 4) * -(-height // 4)
    bits.write(0, 1)  # the entropy image: no colour cache, then its own five codes
    write_eight_bit_code(bits, 256 + 24)
    write_eight_bit_code(bits, 256)
    write_one_symbol_code(bits), write_one_symbol_code(bits), write_one_symbol_code(bits)
    for block in range(blocks):
        group = block % groups
        bits.write_code(group & 0xFF, 8), bits.write_code(group >> 8, 8)
    for _ in range(min(groups, blocks)):
        for _ in range(5):
            write_one_symbol_code(bits)
    return bits.bytes()
