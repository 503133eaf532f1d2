"""Draw the made-up example posters the page offers to visitors who have no poster at hand.

    .venv/bin/python scripts/make_example_posters.py [--output static/examples]

Posters of real films are studio artwork we may not ship, so these are drawn here with Pillow: shapes,
gradients and invented titles, each marked "MADE-UP EXAMPLE" on the image itself; one is a chart, not a
poster, so that visitors see that answer too. The drawing is
deterministic (no randomness without a fixed seed), so running the script again with the same Pillow
gives the same files.
"""
import argparse
import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = PROJECT_ROOT / "static" / "examples"
WIDTH, HEIGHT = 300, 450
JPEG_QUALITY = 80
LABEL = "MADE-UP EXAMPLE"
GRAIN = 4.0
"""Standard deviation of the film grain (grey levels): printed and photographed posters are never perfectly flat,
and large flat areas make an image look like a screenshot or a chart to the model's poster likeness."""


def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font: the same glyphs on every machine, no system fonts needed."""
    return ImageFont.load_default(size=size)


def vertical_gradient(top: tuple, bottom: tuple) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):
        t = y / (HEIGHT - 1)
        draw.line([(0, y), (WIDTH, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return image


def centred_text(draw: ImageDraw.ImageDraw, y: int, text: str, size: int, fill, stroke=None) -> None:
    typeface = font(size)
    width = draw.textlength(text, font=typeface)
    draw.text(((WIDTH - width) / 2, y), text, font=typeface, fill=fill,
              stroke_width=2 if stroke else 0, stroke_fill=stroke)


def credits(draw: ImageDraw.ImageDraw, fill) -> None:
    centred_text(draw, HEIGHT - 40, "A FILM THAT DOES NOT EXIST", 11, fill)
    centred_text(draw, HEIGHT - 24, "DRAWN BY scripts/make_example_posters.py", 9, fill)


def made_up_label(draw: ImageDraw.ImageDraw) -> None:
    draw.rectangle([0, 0, WIDTH, 18], fill=(255, 255, 255))
    centred_text(draw, 3, LABEL, 12, (0, 0, 0))


def with_grain(image: Image.Image, seed: int) -> Image.Image:
    """The poster with a fixed-seed film grain (the same on every machine for the same numpy)."""
    pixels = np.asarray(image).astype(np.int16)
    noise = np.random.default_rng(seed).normal(0, GRAIN, pixels.shape[:2])[..., None]
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def finished(image: Image.Image, draw: ImageDraw.ImageDraw, credits_fill, seed: int) -> Image.Image:
    """What every poster ends with: the credits, the made-up label on top, then the grain over it all."""
    credits(draw, credits_fill)
    made_up_label(draw)
    return with_grain(image, seed)


def night_shift() -> Image.Image:
    """Dark street, a lone figure under a lamp, rain, a red title: what a thriller poster tends to look like."""
    rng = random.Random(1)
    image = vertical_gradient((8, 10, 22), (30, 32, 44))
    draw = ImageDraw.Draw(image)
    draw.polygon([(150, 120), (60, 400), (240, 400)], fill=(120, 110, 70))  # the lamp's cone of light
    image = image.filter(ImageFilter.GaussianBlur(6))
    draw = ImageDraw.Draw(image)
    draw.rectangle([146, 110, 154, 400], fill=(20, 20, 24))
    draw.ellipse([138, 104, 162, 124], fill=(255, 236, 170))
    draw.ellipse([172, 268, 192, 290], fill=(5, 5, 8))  # the figure: head, coat
    draw.polygon([(166, 290), (198, 290), (206, 400), (158, 400)], fill=(5, 5, 8))
    for _ in range(160):
        x, y = rng.uniform(0, WIDTH), rng.uniform(20, HEIGHT)
        draw.line([(x, y), (x - 3, y + 14)], fill=(90, 100, 130), width=1)
    draw.rectangle([0, 400, WIDTH, HEIGHT], fill=(10, 10, 14))
    centred_text(draw, 34, "NIGHT SHIFT", 40, (200, 20, 30), stroke=(0, 0, 0))
    centred_text(draw, 82, "EVERY CITY KEEPS ONE SECRET", 12, (210, 210, 220))
    return finished(image, draw, credits_fill=(150, 150, 160), seed=1)


def picnic_party() -> Image.Image:
    """Sunshine, round cheerful faces, a bright bold title: a comedy's look."""
    image = vertical_gradient((120, 200, 255), (255, 240, 150))
    draw = ImageDraw.Draw(image)
    draw.ellipse([200, 40, 280, 120], fill=(255, 210, 40))
    draw.rectangle([0, 330, WIDTH, HEIGHT], fill=(90, 190, 80))
    for left, colour in [(40, (255, 120, 90)), (120, (255, 190, 220)), (200, (130, 120, 255))]:
        draw.ellipse([left, 220, left + 60, 280], fill=(250, 215, 175), outline=(60, 40, 30), width=2)
        draw.rounded_rectangle([left - 5, 280, left + 65, 360], radius=18, fill=colour)
        draw.ellipse([left + 16, 240, left + 24, 248], fill=(40, 30, 30))
        draw.ellipse([left + 36, 240, left + 44, 248], fill=(40, 30, 30))
        draw.arc([left + 15, 245, left + 45, 268], 20, 160, fill=(160, 40, 40), width=3)
    for x in range(20, WIDTH, 40):  # the picnic blanket
        draw.rectangle([x, 370, x + 20, 390], fill=(220, 40, 40))
    centred_text(draw, 130, "PICNIC PARTY!", 38, (255, 255, 255), stroke=(230, 60, 120))
    centred_text(draw, 176, "THE SANDWICHES HAVE A PLAN", 13, (60, 40, 90))
    return finished(image, draw, credits_fill=(40, 70, 40), seed=2)


def moon_garden() -> Image.Image:
    """A big moon, cartoon flowers and stars in soft purple: a family animation's look."""
    rng = random.Random(3)
    image = vertical_gradient((60, 30, 120), (200, 120, 200))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.uniform(0, WIDTH), rng.uniform(70, 230)
        draw.regular_polygon((x, y, rng.uniform(2, 5)), 5, fill=(255, 250, 200))
    draw.ellipse([70, 80, 230, 240], fill=(255, 245, 210))
    draw.rectangle([0, 340, WIDTH, HEIGHT], fill=(70, 150, 90))
    for index, x in enumerate(range(30, WIDTH, 60)):
        height = 60 + 25 * (index % 3)
        draw.line([(x, 345), (x, 345 - height)], fill=(40, 120, 60), width=5)
        petal = [(255, 120, 160), (255, 200, 80), (120, 200, 255)][index % 3]
        for angle in range(0, 360, 60):
            dx, dy = 14 * math.cos(math.radians(angle)), 14 * math.sin(math.radians(angle))
            draw.ellipse([x + dx - 10, 345 - height + dy - 10, x + dx + 10, 345 - height + dy + 10], fill=petal)
        draw.ellipse([x - 8, 345 - height - 8, x + 8, 345 - height + 8], fill=(255, 240, 120))
    centred_text(draw, 26, "MOON GARDEN", 36, (255, 255, 255), stroke=(90, 40, 140))
    return finished(image, draw, credits_fill=(240, 240, 240), seed=3)


def dead_reckoning() -> Image.Image:
    """A night skyline under a blood-red sky, a pistol's silhouette, a tagline of no way out: crime/thriller."""
    rng = random.Random(7)
    image = vertical_gradient((10, 20, 40), (120, 30, 20))
    draw = ImageDraw.Draw(image)
    x = 0
    while x < WIDTH:  # buildings with a few lit windows
        width, height = rng.randint(18, 40), rng.randint(80, 220)
        draw.rectangle([x, HEIGHT - 60 - height, x + width, HEIGHT - 60], fill=(8, 8, 12))
        for window_y in range(HEIGHT - 55 - height, HEIGHT - 65, 12):
            for window_x in range(x + 4, x + width - 4, 8):
                if rng.random() < 0.3:
                    draw.rectangle([window_x, window_y, window_x + 3, window_y + 5], fill=(250, 200, 90))
        x += width + 2
    draw.rectangle([0, HEIGHT - 60, WIDTH, HEIGHT], fill=(5, 5, 8))
    draw.polygon([(60, 200), (230, 200), (230, 225), (120, 225), (105, 270), (75, 270), (88, 225), (60, 225)],
                 fill=(0, 0, 0))
    centred_text(draw, 40, "DEAD RECKONING", 32, (240, 240, 240), stroke=(0, 0, 0))
    centred_text(draw, 80, "ONE CITY. ONE NIGHT. NO WAY OUT.", 12, (230, 60, 40))
    return finished(image, draw, credits_fill=(160, 160, 170), seed=7)


def quiet_street() -> Image.Image:
    """Grey evening houses with lit windows, one dark figure, a tagline that hints: could go either way."""
    image = vertical_gradient((140, 140, 150), (100, 100, 110))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 300, WIDTH, HEIGHT], fill=(50, 50, 60))
    for x in range(0, WIDTH, 60):
        draw.rectangle([x + 5, 200, x + 50, 300], fill=(90, 80, 90))
        draw.rectangle([x + 15, 220, x + 30, 240], fill=(240, 210, 120))
    draw.ellipse([190, 250, 205, 265], fill=(20, 20, 25))
    draw.rectangle([188, 265, 207, 310], fill=(20, 20, 25))
    centred_text(draw, 60, "QUIET STREET", 34, (250, 240, 230), stroke=(40, 30, 50))
    centred_text(draw, 104, "SOMEONE IS WATCHING", 13, (250, 240, 230))
    return finished(image, draw, credits_fill=(220, 220, 220), seed=5)


def quarterly_sales() -> Image.Image:
    """Not a poster at all: a wide bar chart on white, to show what the page says about such an image."""
    width, height = 600, 300
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 50), (40, 260), (width - 140, 260)], fill=(0, 0, 0), width=2)
    for index, bar in enumerate([120, 180, 150, 200, 90, 160, 130]):
        draw.rectangle([60 + index * 56, 260 - bar, 96 + index * 56, 260], fill=(60, 110, 200))
    draw.text((150, 24), "QUARTERLY SALES", font=font(18), fill=(0, 0, 0))
    draw.rectangle([0, 0, width, 18], fill=(0, 0, 0))
    draw.text((190, 3), LABEL, font=font(12), fill=(255, 255, 255))
    return image


EXAMPLES = {"dead-reckoning": dead_reckoning, "night-shift": night_shift, "quiet-street": quiet_street,
            "picnic-party": picnic_party, "moon-garden": moon_garden, "quarterly-sales": quarterly_sales}
"""Chosen so that the shipped model's answers show the range: thriller/crime (twice), hard to tell, not thriller
(twice), not a poster (tests/test_example_posters.py checks each against the model)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help="folder to write into (default %(default)s)")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    for name, draw_poster in EXAMPLES.items():
        path = args.output / f"{name}.jpg"
        draw_poster().save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        print(f"{path}: {path.stat().st_size / 1000:.1f} KB")


if __name__ == "__main__":
    main()
