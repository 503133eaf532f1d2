"""Images that are not movie posters, for measuring the "not a poster" check, in four sets: drawn with Pillow, and
pictures that ship inside installed Python packages (nothing is downloaded).

Used by scripts/train_model.py for the model card's figure and by the tests, which see the same images.
"""
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from poster_training.data.reference_images import REFERENCE_SIZE, png

SEED = 4242
POSTER_SIZE = REFERENCE_SIZE
SKIMAGE_PHOTOS = ("astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png", "coins.png",
                  "grass.png", "gravel.png", "horse.png", "hubble_deep_field.jpg", "ihc.png", "moon.png",
                  "motorcycle_left.png", "page.png", "retina.jpg", "rocket.jpg", "text.png", "color.png",
                  "microaneurysms.png", "cell.png", "clock_motion.png", "logo.png")
SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")


def package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it."""
    return Path(importlib.util.find_spec(name).origin).parent


def package_file(package: str, name: str) -> bytes:
    return (package_dir(package) / name).read_bytes()


def lfw_faces(rows) -> list[Image.Image]:
    """Grey 25 x 25 faces of scikit-image's LFW subset, at 250 x 250 RGB."""
    faces = np.load(package_dir("skimage") / "data" / "lfw_subset.npy")
    return [Image.fromarray((faces[row] * 255).astype(np.uint8)).resize((250, 250)).convert("RGB") for row in rows]


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
    return ([(f"sklearn_{Path(name).stem}", package_file("sklearn", f"datasets/images/{name}"))
             for name in SKLEARN_PHOTOS]
            + [(f"skimage_{Path(name).stem}", package_file("skimage", f"data/{name}")) for name in SKIMAGE_PHOTOS])


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
    return [(f"fresh_face_{row}", face) for row, face in enumerate(lfw_faces(range(3)))]


def fresh_non_poster_images() -> list[tuple[str, bytes]]:
    """A second set, made after the detector was designed on the first and never used to choose anything."""
    rng = np.random.default_rng(FRESH_SEED)
    drawn = spreadsheets(rng) + code_editors(rng) + scatter_plots(rng) + faces()
    photos = [(f"fresh_skimage_{Path(name).stem}", package_file("skimage", f"data/{name}"))
              for name in FRESH_SKIMAGE_PHOTOS]
    return [(name, png(image)) for name, image in drawn] + photos


SEALED_SEED = 7171
SEALED_SKIMAGE_FILES = ("chessboard_GRAY.png",)
SEALED_MATPLOTLIB_FILES = ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png")
SEALED_FACES = (40, 90, 150)
"""lfw_subset.npy rows the other sets never use (the fresh set takes rows 0-2)."""


def receipts(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    font = ImageFont.load_default(size=14)
    image = Image.new("RGB", (320, 900), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    draw.text((110, 20), "CORNER SHOP", fill="black", font=font)
    for row in range(1, 34):
        draw.text((20, 40 + 24 * row), f"item {int(rng.integers(100, 999))}", fill="black", font=font)
        draw.text((230, 40 + 24 * row), f"{rng.uniform(0.5, 30):6.2f}", fill="black", font=font)
    return [("sealed_receipt", image)]


def documents(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    """A portrait letter page and a phone screenshot: text in a poster's shape."""
    font = ImageFont.load_default(size=14)
    page = Image.new("RGB", (850, 1100), "white")
    draw = ImageDraw.Draw(page)
    for y in range(90, 1020, 20):
        words = " ".join("".join(chr(int(c)) for c in rng.integers(97, 123, size=int(rng.integers(2, 10))))
                         for _ in range(int(rng.integers(6, 12))))
        draw.text((80, y), words, fill=(30, 30, 30), font=font)
    phone = Image.new("RGB", (390, 844), (242, 242, 247))
    draw = ImageDraw.Draw(phone)
    draw.rectangle((0, 0, 390, 90), fill=(0, 122, 255))
    for index, y in enumerate(range(110, 800, 70)):
        draw.rounded_rectangle((16, y, 374, y + 58), radius=12, fill="white")
        draw.ellipse((28, y + 9, 68, y + 49), fill=CHART_COLOURS[index % 5])
        draw.text((84, y + 20), f"Message from contact {index}", fill="black", font=font)
    return [("sealed_letter_page", page), ("sealed_phone_screenshot", phone)]


def forms_and_calendars() -> list[tuple[str, Image.Image]]:
    font = ImageFont.load_default(size=16)
    form = Image.new("RGB", (700, 500), (245, 245, 245))
    draw = ImageDraw.Draw(form)
    for index, label in enumerate(("Name", "E-mail", "Password")):
        draw.text((60, 60 + 90 * index), label, fill="black", font=font)
        draw.rectangle((60, 85 + 90 * index, 640, 120 + 90 * index), outline=(150, 150, 150), fill="white")
    draw.rounded_rectangle((60, 380, 260, 430), radius=8, fill=(40, 120, 220))
    draw.text((120, 396), "Sign in", fill="white", font=font)
    calendar = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(calendar)
    for day in range(35):
        left, top = 20 + (day % 7) * 110, 60 + (day // 7) * 105
        draw.rectangle((left, top, left + 106, top + 101), outline=(180, 180, 180))
        draw.text((left + 6, top + 4), str(day % 31 + 1), fill="black", font=font)
    return [("sealed_sign_in_form", form), ("sealed_calendar", calendar)]


def patterns(rng: np.random.Generator) -> list[tuple[str, Image.Image]]:
    """A QR-like block code, striped flags, a Venn diagram, and scribbles."""
    code = Image.fromarray(((rng.random((29, 29)) > 0.5) * 255).astype(np.uint8)).resize((464, 464), Image.NEAREST)
    flag = Image.new("RGB", (900, 600), "white")
    draw = ImageDraw.Draw(flag)
    for stripe, colour in enumerate(((0, 85, 164), (255, 255, 255), (239, 65, 53))):
        draw.rectangle((300 * stripe, 0, 300 * stripe + 300, 600), fill=colour)
    venn = Image.new("RGBA", (600, 450), "white")
    for index, centre in enumerate(((230, 200), (370, 200), (300, 300))):
        layer = Image.new("RGBA", venn.size, (0, 0, 0, 0))
        ImageDraw.Draw(layer).ellipse((centre[0] - 130, centre[1] - 130, centre[0] + 130, centre[1] + 130),
                                      fill=CHART_COLOURS[index] + (110,))
        venn = Image.alpha_composite(venn, layer)
    scribbles = Image.new("RGB", (500, 700), (255, 255, 240))
    draw = ImageDraw.Draw(scribbles)
    for _ in range(25):
        points = [tuple(p) for p in np.cumsum(rng.normal(0, 12, size=(30, 2)), axis=0) + rng.uniform(50, 450, 2)]
        draw.line(points, fill=(20, 20, 120), width=2)
    return [("sealed_block_code", code.convert("RGB")), ("sealed_flag", flag),
            ("sealed_venn_diagram", venn.convert("RGB")), ("sealed_scribbles", scribbles)]


def terrain(values: np.ndarray) -> Image.Image:
    """An elevation grid as a grey hill-shaded relief map (missing values at zero)."""
    gradient_y, gradient_x = np.gradient(np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0))
    shade = (gradient_x - gradient_y) / np.sqrt(1 + gradient_x ** 2 + gradient_y ** 2)
    shade = (shade - shade.min()) / max(float(np.ptp(shade)), 1e-9)
    return Image.fromarray((shade * 255).astype(np.uint8)).convert("RGB")


def sealed_non_poster_images() -> list[tuple[str, bytes]]:
    """A third set, made before the ImageNet-class part of the detector was built and never used to choose
    anything: its figure is the honest one for that change."""
    rng = np.random.default_rng(SEALED_SEED)
    skimage_data = package_dir("skimage") / "data"
    matplotlib_dir = package_dir("matplotlib") / "mpl-data" / "sample_data"
    drawn = (receipts(rng) + documents(rng) + forms_and_calendars() + patterns(rng)
             + [(f"sealed_face_{row}", face) for row, face in zip(SEALED_FACES, lfw_faces(SEALED_FACES))]
             + [("sealed_relief_jacksboro", terrain(np.load(matplotlib_dir / "jacksboro_fault_dem.npz")["elevation"])),
                ("sealed_relief_topobathy", terrain(np.load(matplotlib_dir / "topobathy.npz")["topo"])),
                ("sealed_disparity_motorcycle", terrain(np.load(skimage_data / "motorcycle_disp.npz")["arr_0"]))])
    files = ([(f"sealed_skimage_{Path(name).stem}", (skimage_data / name).read_bytes())
              for name in SEALED_SKIMAGE_FILES]
             + [(f"sealed_matplotlib_{Path(name).stem}", (matplotlib_dir / name).read_bytes())
                for name in SEALED_MATPLOTLIB_FILES])
    return [(name, png(image)) for name, image in drawn] + files


HELD_OUT_FILES = {
    "mahotas": ("demos/data/DepartmentStore.jpg", "demos/data/luispedro.jpg", "demos/data/nuclear.png"),
    "pygame": ("docs/generated/_images/camera_rgb.jpg", "docs/generated/_images/introduction-TPS.png",
               "docs/generated/_images/introduction-Battleship.png", "docs/generated/_images/introduction-PuyoPuyo.png",
               "docs/generated/_images/Bagic-INPUT-sourcecode.png", "docs/generated/_images/Basic-ouput-sourcecode.png",
               "docs/generated/_images/surfarray_scaleup.png", "docs/generated/_images/chimpshot.gif",
               "docs/generated/_images/pygame_logo.png", "docs/generated/_images/angle_to.png",
               "docs/generated/_images/joystick_calls.png", "docs/generated/_images/AdvancedOutputAlpha2.gif",
               "examples/data/fist.png"),
}
HELD_OUT_PYWAVELETS_PHOTOS = ("aero", "ascent")


def held_out_non_poster_images() -> list[tuple[str, bytes]]:
    """A fourth set: pictures shipped inside mahotas, pygame and PyWavelets (photographs, game screenshots, code,
    diagrams, a logo, a sprite). Made once the other three sets' misses were known and before the detector's
    weights were looked at again: the honest figure for whatever is chosen on the other three."""
    files = [(f"held_out_{package}_{Path(name).stem}", package_file(package, name))
             for package, names in HELD_OUT_FILES.items() for name in names]
    photos = [(f"held_out_pywavelets_{name}",
               png(Image.fromarray(np.load(package_dir("pywt") / "data" / f"{name}.npz")["data"].astype(np.uint8))))
              for name in HELD_OUT_PYWAVELETS_PHOTOS]
    return files + photos


NON_POSTER_SETS = {"not_a_poster_images": non_poster_images, "not_a_poster_fresh_images": fresh_non_poster_images,
                   "not_a_poster_sealed_images": sealed_non_poster_images,
                   "not_a_poster_held_out_images": held_out_non_poster_images}
"""Each set under the key of its figure in model/validation_metrics.json, in the order they were made."""
