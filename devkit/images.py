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


def poster_art(width: int = 341, height: int = 512, seed: int = 0) -> Image.Image:
    """A poster-like picture drawn the same at any size: gradient, soft texture, shapes, title and credits.

    It compresses like a real poster (about 40 KB as a 341x512 JPEG of quality 85), where
    poster()'s per-pixel noise does not, so byte counts measured on it mean something.
    """
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    coarse = np.clip(rng.normal(128, 40, (24, 16, 3)), 0, 255).astype(np.uint8)
    texture = np.asarray(Image.fromarray(coarse, "RGB").resize((width, height), Image.BICUBIC), np.float32) - 128
    fraction = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    top, bottom = rng.uniform(0, 255, 3).astype(np.float32), rng.uniform(0, 255, 3).astype(np.float32)
    image = Image.fromarray(np.clip(top * (1 - fraction) + bottom * fraction + texture, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        left, upper = rng.uniform(0, 0.8) * width, rng.uniform(0, 0.8) * height
        draw.ellipse((left, upper, left + rng.uniform(0.1, 0.5) * width, upper + rng.uniform(0.1, 0.4) * height),
                     fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    for line, (upper_fraction, size_fraction) in enumerate([(0.06, 0.05), (0.85, 0.02), (0.89, 0.012), (0.92, 0.012)]):
        glyph_height, upper = max(1, int(size_fraction * height)), int(upper_fraction * height)
        colour, left = ((250, 245, 230) if line == 0 else (220, 220, 220)), int(0.08 * width)
        while left < 0.92 * width:
            glyph_width = max(1, int(glyph_height * rng.uniform(0.3, 0.8)))
            draw.rectangle((left, upper, left + glyph_width, upper + glyph_height), fill=colour)
            left += glyph_width + max(1, int(glyph_height * rng.uniform(0.15, 0.6)))
    grain = rng.standard_normal((height, width, 1), dtype=np.float32) * 2.5
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + grain, 0, 255).astype(np.uint8), "RGB")


def exif_rotated_jpeg(width: int = 450, height: int = 300, orientation: int = 6) -> bytes:
    """A JPEG stored width x height whose EXIF Orientation says how to turn it upright (6: 90 degrees clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(poster(width, height, seed=4), "JPEG", quality=85, exif=exif.tobytes())


def animated_gif(width: int = 120, height: int = 180, frames: int = 4) -> bytes:
    images = [poster(width, height, seed=seed).convert("P") for seed in range(frames)]
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)


def sixteen_bit_png(width: int = 120, height: int = 180) -> bytes:
    """Grayscale with 16 bits per pixel (mode I;16), as scanners and medical tools write."""
    ramp = np.linspace(0, 65535, width * height, dtype=np.uint16).reshape(height, width)
    return encode(Image.fromarray(ramp), "PNG")


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """A small JPEG whose header claims width x height: its pixel count is known before any decoding."""
    data = bytearray(encode(poster(16, 16), "JPEG"))
    frame = data.index(b"\xff\xc0")
    data[frame + 5:frame + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)
