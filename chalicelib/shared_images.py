"""A shared poster without the metadata that could say who took or saved it, byte for byte otherwise.

The page sends a small JPEG as the visitor chose it, so EXIF (camera, GPS position, time), XMP, IPTC or a comment
could come along. Those blocks are removed without decoding anything, so the pixels kept are exactly the pixels
the model saw: JPEG APP1 (EXIF, XMP), APP12, APP13 (IPTC, Photoshop) and COM segments; PNG tEXt, zTXt, iTXt,
eXIf and tIME chunks.
"""
import struct

from chalicelib.errors import BadRequestError

JPEG_START = b"\xff\xd8"
JPEG_DROPPED = frozenset({0xE1, 0xEC, 0xED, 0xFE})
JPEG_START_OF_SCAN = 0xDA
JPEG_UNSIZED = frozenset({0x01, *range(0xD0, 0xD8)})
"""TEM and RST0-7 carry no length."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})


class MalformedImageError(BadRequestError):
    """Only possible for an image /predict accepted if its structure is broken in a way decoders forgive."""


def without_metadata(image: bytes) -> bytes:
    if image.startswith(JPEG_START):
        return jpeg_without_metadata(image)
    if image.startswith(PNG_SIGNATURE):
        return png_without_metadata(image)
    raise BadRequestError('"image" must be a JPEG or PNG image to be shared')


def jpeg_without_metadata(image: bytes) -> bytes:
    kept, position = [JPEG_START], 2
    while position < len(image):
        if image[position] != 0xFF or position + 2 > len(image):
            raise MalformedImageError("the shared JPEG's segments are malformed")
        marker = image[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in JPEG_UNSIZED:
            kept.append(image[position:position + 2])
            position += 2
            continue
        if position + 4 > len(image):
            raise MalformedImageError("the shared JPEG ends inside a segment")
        end = position + 2 + struct.unpack(">H", image[position + 2:position + 4])[0]
        if marker == JPEG_START_OF_SCAN:
            kept.append(image[position:])  # the scans and everything after: pixels, not metadata
            break
        if end > len(image):
            raise MalformedImageError("the shared JPEG ends inside a segment")
        if marker not in JPEG_DROPPED:
            kept.append(image[position:end])
        position = end
    return b"".join(kept)


def png_without_metadata(image: bytes) -> bytes:
    kept, position = [PNG_SIGNATURE], len(PNG_SIGNATURE)
    while position < len(image):
        if position + 12 > len(image):
            raise MalformedImageError("the shared PNG ends inside a chunk")
        length, kind = struct.unpack(">I4s", image[position:position + 8])
        end = position + 12 + length
        if end > len(image):
            raise MalformedImageError("the shared PNG ends inside a chunk")
        if kind not in PNG_DROPPED:
            kept.append(image[position:end])
        position = end
    return b"".join(kept)
