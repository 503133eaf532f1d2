"""Images that Debian packages install (wallpapers, backgrounds, theme artwork): real pictures with free licences
that are not movie posters.

TRAINING_PACKAGES teach the model what is not a poster; EVALUATION_PACKAGES are never used to fit or choose
anything and give the held-out figures. `make model` installs both (apt-get); the licences are in
model/MODEL_CARD.md.
"""
import re
import subprocess
from pathlib import Path

TRAINING_PACKAGES = ("plasma-workspace-wallpapers", "mate-backgrounds", "lomiri-wallpapers", "lomiri-wallpapers-20.04")
EVALUATION_PACKAGES = ("gnome-backgrounds", "ukui-wallpapers", "sway-backgrounds", "desktop-base")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MIN_BYTES = 20_000
"""Smaller files are icons and thumbnails (and "screenshot" files are a wallpaper's own preview)."""
SIZE_IN_NAME = re.compile(r"(\d{3,4})x(\d{3,4})")
TARGET_PIXELS = 1920 * 1080
"""Of the sizes one artwork ships in, the one closest to this is kept."""


def package_files(package: str) -> list[Path]:
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True).stdout
    return sorted(Path(line) for line in listing.splitlines()
                  if line.lower().endswith(IMAGE_SUFFIXES) and Path(line).is_file()
                  and Path(line).stat().st_size >= MIN_BYTES and "/icons/" not in line
                  and not Path(line).stem.startswith("screenshot"))


def artwork_key(path: Path) -> tuple[str, str, bool]:
    """Files that are one artwork in several sizes share a key: the folder, the name without its size, and
    whether it is upright (portrait variants are kept as their own image)."""
    size = SIZE_IN_NAME.search(path.stem)
    portrait = bool(size and int(size.group(2)) > int(size.group(1))) or "portrait" in path.stem.lower()
    folder = path.parent.parent if path.parent.name in ("images", "images_dark") else path.parent
    name = "" if path.parent.name in ("images", "images_dark") else SIZE_IN_NAME.sub("", path.stem)
    return str(folder) + ("/dark" if path.parent.name == "images_dark" else ""), name, portrait


def pixels_in_name(path: Path) -> int:
    size = SIZE_IN_NAME.search(path.stem)
    return int(size.group(1)) * int(size.group(2)) if size else TARGET_PIXELS


def package_images(package: str) -> list[tuple[str, Path]]:
    """(name, file) for each artwork the package installs, one size of each, in a stable order."""
    chosen: dict[tuple, Path] = {}
    for path in package_files(package):
        key = artwork_key(path)
        if key not in chosen or (abs(pixels_in_name(path) - TARGET_PIXELS)
                                 < abs(pixels_in_name(chosen[key]) - TARGET_PIXELS)):
            chosen[key] = path
    return sorted((f"{package}:{path.relative_to('/usr/share')}", path) for path in chosen.values())


def installed(package: str) -> bool:
    return subprocess.run(["dpkg", "-s", package], capture_output=True).returncode == 0
