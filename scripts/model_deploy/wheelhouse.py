"""The wheels model.tar.gz carries, so that the container installs its requirements without any network.

`pip download --only-binary=:all:` for the image's Python and platform, once per set of pins: the result is kept
under build/wheelhouse/ and reused, so packaging an unchanged model again neither downloads nor changes a byte.
"""
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scripts.model_deploy.errors import DeployError, say

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE_ROOT = PROJECT_ROOT / "build" / "wheelhouse"
SERVING_PACKAGES = ("onnxruntime", "numpy", "Pillow")
REQUIREMENT_FILES = (PROJECT_ROOT / "requirements.txt", PROJECT_ROOT / "requirements-dev.txt")
OLDEST_MANYLINUX_MINOR = 17
"""manylinux2014 is manylinux_2_17: the oldest platform tag worth asking for on x86_64."""
COMPLETE_MARKER = ".complete"
WHEEL_FILE_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)-.+\.whl$")


@dataclass(frozen=True)
class Wheelhouse:
    folder: Path
    python: str

    def wheels(self) -> list[Path]:
        return sorted(self.folder.glob("*.whl"))

    def pins(self) -> list[str]:
        """name==version of every wheel: the serving packages and everything they pulled in."""
        pins = []
        for wheel in self.wheels():
            match = WHEEL_FILE_NAME.match(wheel.name)
            if not match:
                raise DeployError(f"{wheel} is not a wheel file name (name-version-tags.whl).")
            pins.append(f"{match['name'].replace('_', '-')}=={match['version']}")
        return pins


def pinned_versions() -> dict[str, str]:
    """The project's own pins of SERVING_PACKAGES, so the endpoint runs what the tests ran."""
    wanted = {name.lower(): name for name in SERVING_PACKAGES}
    pins = {}
    for path in REQUIREMENT_FILES:
        for line in path.read_text().splitlines():
            match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+).*", line)
            if match and match.group(1).lower() in wanted:
                pins.setdefault(wanted[match.group(1).lower()], match.group(2))
    missing = [name for name in SERVING_PACKAGES if name not in pins]
    if missing:
        raise DeployError(f"no pinned version (name==version) of {', '.join(missing)} in "
                          f"{', '.join(path.name for path in REQUIREMENT_FILES)}.")
    return pins


def serving_requirements() -> list[str]:
    pins = pinned_versions()
    return [f"{name}=={pins[name]}" for name in SERVING_PACKAGES]


def platform_tags(glibc: tuple[int, int]) -> list[str]:
    """Every manylinux tag a glibc of that version runs: pip does not widen a --platform by itself."""
    major, minor = glibc
    return ([f"manylinux_{major}_{version}_x86_64" for version in range(minor, OLDEST_MANYLINUX_MINOR - 1, -1)]
            + ["manylinux2014_x86_64"])


def pip_download_command(requirements: list[str], python: str, glibc: tuple[int, int], dest: Path) -> list[str]:
    platforms = [argument for tag in platform_tags(glibc) for argument in ("--platform", tag)]
    return [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "--implementation", "cp", "--python-version", python, *platforms,
            "--dest", str(dest), *requirements]


def download_wheels(python: str, glibc: tuple[int, int], root: Path = WHEELHOUSE_ROOT) -> Wheelhouse:
    """The wheels of the serving packages for that Python and glibc, downloaded once and kept under root."""
    requirements = serving_requirements()
    key = hashlib.sha256(json.dumps([requirements, python, glibc]).encode()).hexdigest()[:12]
    folder = root / f"cp{python.replace('.', '')}-glibc{glibc[0]}.{glibc[1]}-{key}"
    if (folder / COMPLETE_MARKER).is_file():
        return Wheelhouse(folder, python)
    root.mkdir(parents=True, exist_ok=True)
    say(f"downloading wheels of {', '.join(requirements)} for Python {python} (manylinux x86_64)")
    with tempfile.TemporaryDirectory(dir=root, ignore_cleanup_errors=True) as partial:
        finished = subprocess.run(pip_download_command(requirements, python, glibc, Path(partial)),
                                  capture_output=True, text=True)
        if finished.returncode != 0:
            reason = (finished.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise DeployError(f"the wheels of {', '.join(requirements)} for Python {python} cannot be downloaded "
                              f"({reason}): pin versions that publish wheels for that Python, or pass the "
                              f"image's real --image-python.")
        (Path(partial) / COMPLETE_MARKER).touch()
        shutil.rmtree(folder, ignore_errors=True)
        Path(partial).rename(folder)
    return Wheelhouse(folder, python)
