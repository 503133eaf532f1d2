"""Images that are not posters: the ones the learned "not a poster" layer is trained on, and the held-out ones its
figures come from, each with its source package (or generator) and kind.

Training: the wallpapers of TRAINING_PACKAGES (Debian), scikit-learn's two photographs, and screenshots,
documents, charts, spreadsheets, code, solid colours, gradients and noise drawn by the design and fresh sets'
generators (poster_training/data/non_poster_images.py) with TRAINING_SEEDS. Each picture also as portrait crops in a
poster's 2:3 shape, so that shape alone is not what is learned.
Held out (never fitted on or chosen with): every image of EVALUATION_PACKAGES (Debian) and of the Python packages
scikit-image, matplotlib, mahotas, pygame and PyWavelets, and the sealed set's drawings, whose generators never
trained.
"""
import io
import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

from poster_model.preprocess import to_model_input
from poster_training.data import non_poster_images as drawn
from poster_training.data.non_poster_images import NON_POSTER_SETS, SKLEARN_PHOTOS, package_file
from poster_training.data.package_images import EVALUATION_PACKAGES, TRAINING_PACKAGES, package_images

KINDS = ("photograph", "screenshot", "document", "chart", "solid/gradient", "artwork", "noise")
LEARNED_KIND = {"photograph": "photograph", "screenshot": "screen", "document": "screen", "chart": "screen",
                "solid/gradient": "other", "artwork": "other", "noise": "other"}
"""The issue's kinds onto the graph's kind classes (poster_model.likeness.KINDS)."""
TRAINING_SEEDS = tuple(range(101, 107))
CROPS_PER_PICTURE = 2
PHOTOGRAPH_WALLPAPERS = ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
                         "Grey", "Kite", "OneStandsOut", "Path", "Volna", "summer_1am", "/mate/nature/", "Kleiber")
"""The training wallpapers that are photographs (looked at one by one); the others are artwork."""
HELD_OUT_KINDS = (
    (r"(astronaut|skimage_camera|chelsea|coffee|motorcycle_(left|right)|rocket|hubble|ihc|skimage_moon|retina|"
     r"microaneurysms|skimage_cell|coins|brick|grass|gravel|clock_motion|_face_|grace_hopper|DepartmentStore|"
     r"luispedro|nuclear|camera_rgb|aero|ascent)", "photograph"),
    (r"(skimage_page|skimage_text|receipt|letter_page)", "document"),
    (r"(phone_screenshot|sign_in_form|calendar|introduction-|sourcecode|chimpshot|AdvancedOutput|sddm-preview|"
     r"/contents/)", "screenshot"),
    (r"(venn|relief|disparity|angle_to|joystick_calls|skimage_color)", "chart"),
    (r"(gnome/symbolic)", "solid/gradient"),
)
"""Kind of a held-out image by its name, first match (looked at one by one); anything else is artwork."""
HELD_OUT_PREFIXES = (("skimage_", "scikit-image"), ("fresh_skimage_", "scikit-image"), ("fresh_face_", "scikit-image"),
                     ("sealed_face_", "scikit-image"), ("sealed_skimage_", "scikit-image"),
                     ("sealed_disparity_", "scikit-image"), ("sealed_relief_", "matplotlib"),
                     ("sealed_matplotlib_", "matplotlib"), ("held_out_mahotas_", "mahotas"),
                     ("held_out_pygame_", "pygame"), ("held_out_pywavelets_", "PyWavelets"),
                     ("sealed_", "drawn (sealed generators)"))
"""Which package a shipped set's image comes from; the first prefix that matches. Images of no listed prefix
(the design and fresh sets' drawings, scikit-learn's photographs) are training images."""


@dataclass(frozen=True)
class NonPoster:
    name: str
    source: str
    kind: str
    data: bytes


def drawn_training_images() -> list[NonPoster]:
    found = []
    for seed in TRAINING_SEEDS:
        rng = np.random.default_rng(seed)
        generators = {"text_screenshots": ("screenshot", drawn.text_screenshots(rng)),
                      "charts": ("chart", drawn.charts(rng) + drawn.scatter_plots(rng)),
                      "spreadsheets": ("document", drawn.spreadsheets(rng)),
                      "code_editors": ("screenshot", drawn.code_editors(rng)),
                      "gradients": ("solid/gradient", drawn.gradients(rng)), "noise": ("noise", drawn.noise(rng))}
        for generator, (kind, images) in generators.items():
            found += [NonPoster(f"drawn_{name}_seed{seed}", f"drawn:{generator}", kind, drawn.png(image))
                      for name, image in images]
    found += [NonPoster(f"drawn_{name}", "drawn:solid_colours", "solid/gradient", drawn.png(image))
              for name, image in drawn.solid_colours()]
    return found


def wallpaper_kind(name: str) -> str:
    return "photograph" if any(marker in name for marker in PHOTOGRAPH_WALLPAPERS) else "artwork"


def training_images() -> list[NonPoster]:
    packages = [NonPoster(name, package, wallpaper_kind(name), path.read_bytes())
                for package in TRAINING_PACKAGES for name, path in package_images(package)]
    photos = [NonPoster(f"sklearn_{name}", "scikit-learn", "photograph",
                        package_file("sklearn", f"datasets/images/{name}")) for name in SKLEARN_PHOTOS]
    return packages + photos + drawn_training_images()


def held_out_kind(name: str) -> str:
    return next((kind for pattern, kind in HELD_OUT_KINDS if re.search(pattern, name)), "artwork")


def held_out_source(name: str) -> str | None:
    return next((source for prefix, source in HELD_OUT_PREFIXES if name.startswith(prefix)), None)


def held_out_images() -> list[NonPoster]:
    """Every held-out image once (the shipped sets' images that no training source shares, and the evaluation
    packages' artwork)."""
    found = {}
    for images in NON_POSTER_SETS.values():
        for name, data in images():
            source = held_out_source(name)
            if source is not None:
                found.setdefault(name, NonPoster(name, source, held_out_kind(name), data))
    for package in EVALUATION_PACKAGES:
        for name, path in package_images(package):
            found[name] = NonPoster(name, package, held_out_kind(name), path.read_bytes())
    return list(found.values())


def trusted_rgb(data: bytes) -> Image.Image:
    """Trusted files of known packages, decoded without the endpoint's per-request time budget (a 5120 x 2880
    wallpaper takes longer than a request may) and without its draft shrink, so crops keep their detail."""
    with Image.open(io.BytesIO(data)) as opened:
        return opened.convert("RGB")


def poster_shaped_crops(image: Image.Image, rng: np.random.Generator, count: int) -> list[Image.Image]:
    """Upright 2:3 crops, 50 to 100 % of the largest that fits, anywhere in the picture."""
    width, height = image.size
    largest = min(width, height * 2 / 3)
    crops = []
    for _ in range(count):
        crop_width = max(8, int(largest * rng.uniform(0.5, 1.0)))
        crop_height = int(crop_width * 3 / 2)
        left, top = int(rng.integers(0, width - crop_width + 1)), int(rng.integers(0, height - crop_height + 1))
        crops.append(image.crop((left, top, left + crop_width, top + crop_height)))
    return crops


def training_inputs(images: list[NonPoster], height: int, width: int, seed: int
                    ) -> tuple[np.ndarray, list[NonPoster]]:
    """Model inputs (M, H, W, 3) through the serving preprocessing: every image as it is, and each picture that
    is not drawn also as CROPS_PER_PICTURE poster-shaped crops; with the NonPoster each row came from."""
    rng = np.random.default_rng(seed)
    pixels, rows = [], []
    for image in images:
        decoded = trusted_rgb(image.data)
        variants = [decoded] + (poster_shaped_crops(decoded, rng, CROPS_PER_PICTURE)
                                if not image.source.startswith("drawn") else [])
        for variant in variants:
            pixels.append(to_model_input(variant, height, width))
            rows.append(image)
    return np.concatenate(pixels), rows

