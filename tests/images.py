"""Generated test images: no poster from the training data ever enters the repository."""
import io

import numpy as np
from PIL import Image


def poster(width: int = 300, height: int = 450, seed: int = 0, mode: str = "RGB") -> Image.Image:
    """A smooth gradient with noise, poster-shaped, so JPEG sizes look like real posters'."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / max(width, 1), y * 255 / max(height, 1),
                     np.full_like(x, rng.integers(0, 255))], axis=-1)
    pixels = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").convert(mode)


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    output = io.BytesIO()
    image.save(output, format=fmt, **options)
    return output.getvalue()


def poster_jpeg(width: int = 300, height: int = 450, seed: int = 0) -> bytes:
    return encode(poster(width, height, seed), "JPEG", quality=85)


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of width x height blank pixels in a few tens of kilobytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
