"""Images that are not movie posters, for measuring the "not a poster" check: drawn with Pillow, and the
photographs that ship inside scikit-learn and scikit-image (nothing is downloaded).

Used by scripts/train_model.py for the model card's figure and by the tests, which see the same images.
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scripts.reference_images import png

SEED = 4242
POSTER_SIZE = (300, 450)
SKIMAGE_PHOTOS = ("astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "coins.png",
                  "grass.png", "gravel.png", "horse.png", "hubble_deep_field.jpg", "ihc.png", "moon.png",
                  "motorcycle_left.png", "page.png", "retina.jpg", "rocket.jpg", "text.png", "color.png",
                  "microaneurysms.png", "cell.png", "clock_motion.png", "logo.png")
SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")
CHART_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]
SCREEN_TEXT = ("Quarterly report", "Revenue grew by 12 percent over the last quarter.",
               "def main():", "    return 0", "Meeting notes - Tuesday", "1. Budget  2. Hiring  3. Roadmap",
               "The quick brown fox jumps over the lazy dog.", "Error: file not found")


def solid_colours() -> list[tuple[str, Image.Image]]:
    colours = {"black": (0, 0, 0), "white": (255, 255, 255), "grey": (128, 128, 128), "red": (200, 20, 20),
               "green": (20, 160, 40), "blue": (20, 40, 200), "yellow": (240, 220, 30), "navy": (10, 20, 60)}
    sizes = (POSTER_SIZE, (640, 480))
    return [(f"solid_{name}_{w}x{h}", Image.new("RGB", (w, h), colour))
            for name, colour in colours.items() for w, h in sizes]


def gradients(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    found = []
    for index in range(6):
        width, height = POSTER_SIZE if index % 2 else (640, 400)
        start, end = rng.integers(0, 256, size=(2, 3))
        t = np.linspace(0, 1, height if index < 3 else width)
        ramp = start[None, :] * (1 - t[:, None]) + end[None, :] * t[:, None]
        pixels = (np.repeat(ramp[:, None, :], width, axis=1) if index < 3
                  else np.repeat(ramp[None, :, :], height, axis=0))
        found.append((f"gradient_{index}", Image.fromarray(pixels.astype(np.uint8))))
    return found


def noise(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    width, height = POSTER_SIZE
    return [
        ("noise_uniform", Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))),
        ("noise_gaussian", Image.fromarray(np.clip(rng.normal(128, 40, (height, width, 3)), 0, 255).astype(np.uint8))),
        ("noise_grey", Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8)).convert("RGB")),
        ("noise_salt_pepper", Image.fromarray((rng.random((height, width)) > 0.5).astype(np.uint8) * 255).convert("RGB")),
        ("noise_blocks", Image.fromarray(rng.integers(0, 256, (15, 10, 3), dtype=np.uint8)).resize(POSTER_SIZE, Image.NEAREST)),
    ]


def text_screenshots(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    font = ImageFont.load_default(size=16)
    found = []
    for index, (size, dark) in enumerate([((800, 600), False), ((1280, 720), True), (POSTER_SIZE, False),
                                          ((600, 800), False), ((1024, 768), True)]):
        background, ink = ((30, 30, 30), (220, 220, 220)) if dark else ((255, 255, 255), (20, 20, 20))
        image = Image.new("RGB", size, background)
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, size[0], 28), fill=(60, 60, 70) if dark else (230, 230, 235))
        y = 40
        while y < size[1] - 20:
            draw.text((16, y), SCREEN_TEXT[int(rng.integers(0, len(SCREEN_TEXT)))], fill=ink, font=font)
            y += 22
        found.append((f"text_screenshot_{index}", image))
    return found


def charts(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    found = []
    for index in range(3):
        width, height = (640, 480) if index != 1 else POSTER_SIZE
        image = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(image)
        draw.line((50, height - 40, width - 20, height - 40), fill="black", width=2)
        draw.line((50, 20, 50, height - 40), fill="black", width=2)
        values = rng.integers(20, height - 80, size=6)
        step = (width - 90) // len(values)
        for i, value in enumerate(values):
            x = 60 + i * step
            draw.rectangle((x, height - 40 - int(value), x + step - 12, height - 41), fill=CHART_COLOURS[i % 5])
        found.append((f"bar_chart_{index}", image))
    for index in range(2):
        image = Image.new("RGB", (640, 480), "white")
        draw = ImageDraw.Draw(image)
        for series in range(3):
            points = [(50 + 55 * i, 240 + int(v)) for i, v in enumerate(np.cumsum(rng.normal(0, 25, size=11)))]
            draw.line(points, fill=CHART_COLOURS[series], width=3)
        draw.line((50, 460, 620, 460), fill="black", width=2)
        draw.line((50, 20, 50, 460), fill="black", width=2)
        found.append((f"line_chart_{index}", image))
    image = Image.new("RGB", (500, 500), "white")
    draw = ImageDraw.Draw(image)
    angles = np.cumsum(np.concatenate([[0], rng.dirichlet(np.ones(5)) * 360]))
    for i in range(5):
        draw.pieslice((50, 50, 450, 450), float(angles[i]), float(angles[i + 1]), fill=CHART_COLOURS[i])
    found.append(("pie_chart", image))
    return found


def package_photos() -> list[tuple[str, bytes]]:
    """The files as they ship, undecoded: the model sees them the way a visitor would upload them."""
    import sklearn.datasets
    import skimage.data
    photos = [(f"sklearn_{name}", Path(sklearn.datasets.__file__).parent / "images" / name) for name in SKLEARN_PHOTOS]
    photos += [(f"skimage_{name}", Path(skimage.data.__file__).parent / name) for name in SKIMAGE_PHOTOS]
    return [(name.rsplit(".", 1)[0], path.read_bytes()) for name, path in photos]


def non_poster_images() -> list[tuple[str, bytes]]:
    """(name, encoded image) pairs, the same on every run."""
    rng = np.random.default_rng(SEED)
    drawn = (solid_colours() + gradients(rng) + noise(rng) + text_screenshots(rng) + charts(rng))
    return [(name, png(image)) for name, image in drawn] + package_photos()


FRESH_SEED = 9090
FRESH_SKIMAGE_PHOTOS = ("chessboard_RGB.png", "phantom.png", "motorcycle_right.png", "no_time_for_that_tiny.gif")


def spreadsheets(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    font = ImageFont.load_default(size=13)
    found = []
    for index, size in enumerate([(900, 600), (400, 600)]):
        image = Image.new("RGB", size, "white")
        draw = ImageDraw.Draw(image)
        for x in range(0, size[0], 90):
            draw.line((x, 0, x, size[1]), fill=(200, 200, 200))
        for y in range(0, size[1], 22):
            draw.line((0, y, size[0], y), fill=(200, 200, 200))
            for x in range(0, size[0], 90):
                draw.text((x + 6, y + 4), f"{rng.integers(0, 99999):,}", fill="black", font=font)
        found.append((f"fresh_spreadsheet_{index}", image))
    return found


def code_editors(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    font = ImageFont.load_default(size=15)
    colours = [(86, 156, 214), (206, 145, 120), (181, 206, 168), (220, 220, 170), (212, 212, 212)]
    found = []
    for index, size in enumerate([(1200, 800), (500, 750)]):
        image = Image.new("RGB", size, (30, 30, 30))
        draw = ImageDraw.Draw(image)
        for y in range(10, size[1] - 20, 20):
            x = 20 + 30 * int(rng.integers(0, 4))
            for _ in range(int(rng.integers(1, 5))):
                word = "".join(chr(int(c)) for c in rng.integers(97, 123, size=int(rng.integers(2, 9))))
                draw.text((x, y), word, fill=colours[int(rng.integers(0, 5))], font=font)
                x += 10 * len(word) + 12
        found.append((f"fresh_code_editor_{index}", image))
    return found


def scatter_plots(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    found = []
    for index in range(3):
        image = Image.new("RGB", (600, 450), "white")
        draw = ImageDraw.Draw(image)
        draw.line((40, 420, 580, 420), fill="black", width=2)
        draw.line((40, 20, 40, 420), fill="black", width=2)
        for x, y in zip(rng.normal(300, 90, 200), rng.normal(220, 70, 200)):
            draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=CHART_COLOURS[index])
        found.append((f"fresh_scatter_{index}", image))
    return found


def faces() -> list[tuple[str, Image.Image]]:
    import skimage.data
    pictures = np.load(Path(skimage.data.__file__).parent / "lfw_subset.npy")[:3]
    return [(f"fresh_face_{i}", Image.fromarray((picture * 255).astype(np.uint8)).resize((250, 250)).convert("RGB"))
            for i, picture in enumerate(pictures)]


def fresh_non_poster_images() -> list[tuple[str, bytes]]:
    """A second set, made after the detector was designed on the first and never used to choose anything."""
    import skimage.data
    rng = np.random.default_rng(FRESH_SEED)
    drawn = spreadsheets(rng) + code_editors(rng) + scatter_plots(rng) + faces()
    photos = [(f"fresh_skimage_{name.rsplit('.', 1)[0]}", (Path(skimage.data.__file__).parent / name).read_bytes())
              for name in FRESH_SKIMAGE_PHOTOS]
    return [(name, png(image)) for name, image in drawn] + photos
