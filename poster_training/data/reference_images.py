"""Synthetic, reproducible images on which the training script records the model's answers for the tests.

Only numpy and Pillow: the tests regenerate the same bytes without torch and without any poster.
"""
import io

import numpy as np
from PIL import Image, ImageDraw

REFERENCE_SEED = 1234
REFERENCE_SIZE = (300, 450)  # width, height: a poster's 2:3 shape, not the model's input size


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _noise(rng: np.random.Generator) -> Image.Image:
    width, height = REFERENCE_SIZE
    return Image.fromarray(rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8))


def _gradient(rng: np.random.Generator) -> Image.Image:
    width, height = REFERENCE_SIZE
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    columns = np.linspace(0.0, 1.0, width)[None, :, None]
    top, bottom, side = (rng.integers(0, 256, size=3) for _ in range(3))
    pixels = top * (1 - rows) + bottom * rows * (1 - columns) + side * rows * columns
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _shapes(rng: np.random.Generator, dark: bool) -> Image.Image:
    width, height = REFERENCE_SIZE
    background = tuple(int(v) for v in rng.integers(0, 60, size=3)) if dark else (235, 230, 220)
    image = Image.new("RGB", REFERENCE_SIZE, background)
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(10, 150)), y0 + int(rng.integers(10, 150))
        colour = tuple(int(v) for v in rng.integers(0, 256, size=3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
    for row in range(int(rng.integers(2, 6))):
        y = int(height * 0.75) + 18 * row
        draw.text((20, y), "THE LAST NIGHT"[: int(rng.integers(4, 15))], fill=(255, 255, 255) if dark else (0, 0, 0))
    return image


def _stripes(rng: np.random.Generator) -> Image.Image:
    width, height = REFERENCE_SIZE
    period = int(rng.integers(6, 40))
    pattern = ((np.arange(width)[None, :] + np.arange(height)[:, None]) // period) % 2
    colours = rng.integers(0, 256, size=(2, 3))
    return Image.fromarray(colours[pattern].astype(np.uint8))


def reference_image_bytes() -> list[tuple[str, bytes]]:
    """(name, PNG bytes) pairs; PNG is lossless, so decode gives the same pixels everywhere."""
    rng = np.random.default_rng(REFERENCE_SEED)
    images = [("noise", _noise(rng)), ("gradient", _gradient(rng)), ("dark_shapes", _shapes(rng, dark=True)),
              ("light_shapes", _shapes(rng, dark=False)), ("stripes", _stripes(rng)),
              ("dark_shapes_2", _shapes(rng, dark=True)), ("gradient_2", _gradient(rng))]
    return [(name, png(image)) for name, image in images]
