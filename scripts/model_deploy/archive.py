"""model.tar.gz in the layout the SageMaker framework containers load, with the wheels its code installs offline.

The ONNX file sits at the root; code/ holds inference.py, every project module it imports (followed through the
imports, so a module that starts using another takes it along), the wheels for the image's Python in code/wheels/,
and a requirements.txt that installs exactly those (`--no-index --find-links`,
which pip reads relative to the requirements file): the container's start-up needs no network at all.
"""
import ast
import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

from poster_model.predictor import MODEL_FILE_NAME
from scripts.model_deploy.errors import DeployError
from scripts.model_deploy.wheelhouse import Wheelhouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INFERENCE_SOURCE = PROJECT_ROOT / "poster_model" / "sagemaker_inference.py"
PROJECT_PACKAGES = ("poster_model", "chalicelib")
"""Imports of these are the project's own: shipped as source under code/, not installed from wheels."""
WHEELS_DIR = "code/wheels"
ARCHIVE_MTIME = 946684800
"""2000-01-01: every archive member gets this time, so an unchanged model packs to the same bytes."""
COMPRESS_LEVEL = 6
"""The wheels are zip files already: a higher level costs seconds and saves almost nothing."""


@dataclass(frozen=True)
class ModelArchive:
    data: bytes
    digest: str
    """sha256 of the uncompressed tar stream: independent of the zlib build that gzipped it."""


def container_requirements(wheelhouse: Wheelhouse) -> bytes:
    lines = [f"# Installed offline at container start from {WHEELS_DIR}/ (wheels for Python {wheelhouse.python}).",
             "--no-index", "--find-links wheels", *wheelhouse.pins()]
    return ("\n".join(lines) + "\n").encode()


def imported_project_modules(source: Path) -> set[str]:
    """Dotted names of the project modules a source file imports at any depth (packages' __init__ included)."""
    found, pending = set(), [source]
    while pending:
        tree = ast.parse(pending.pop().read_text(encoding="utf-8"))
        names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        names += [f"{node.module}.{alias.name}" for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] not in PROJECT_PACKAGES:
                continue
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                path = module_path(module)
                if module not in found and path is not None:
                    found.add(module)
                    pending.append(path)
    return found


def module_path(module: str) -> Path | None:
    """The source file of a project module or package; None for a name that is not a module (a class, a function)."""
    base = PROJECT_ROOT.joinpath(*module.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def archive_members(model_path: Path, wheelhouse: Wheelhouse) -> dict[str, bytes]:
    """Archive path -> content."""
    if not model_path.is_file():
        raise DeployError(f"model file {model_path} not found: train it with `make model` or pass --model PATH.")
    members = {MODEL_FILE_NAME: model_path.read_bytes(),
               "code/inference.py": INFERENCE_SOURCE.read_bytes(),
               "code/requirements.txt": container_requirements(wheelhouse)}
    for module in imported_project_modules(INFERENCE_SOURCE):
        path = module_path(module)
        members[f"code/{path.relative_to(PROJECT_ROOT).as_posix()}"] = path.read_bytes()
    for wheel in wheelhouse.wheels():
        members[f"{WHEELS_DIR}/{wheel.name}"] = wheel.read_bytes()
    return members


def build_model_archive(model_path: Path, wheelhouse: Wheelhouse) -> ModelArchive:
    """model.tar.gz with fixed order, times, owners and modes: the same inputs give the same bytes."""
    members = archive_members(model_path, wheelhouse)
    directories = sorted({str(parent) for name in members for parent in Path(name).parents} - {"."})
    tar_stream = io.BytesIO()
    with tarfile.open(fileobj=tar_stream, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for directory in directories:
            archive.addfile(tar_entry(directory, tarfile.DIRTYPE, 0o755))
        for name in sorted(members):
            entry = tar_entry(name, tarfile.REGTYPE, 0o644)
            entry.size = len(members[name])
            archive.addfile(entry, io.BytesIO(members[name]))
    tar_bytes = tar_stream.getvalue()
    return ModelArchive(gzip.compress(tar_bytes, compresslevel=COMPRESS_LEVEL, mtime=0),
                        hashlib.sha256(tar_bytes).hexdigest())


def tar_entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    entry = tarfile.TarInfo(name)
    entry.type, entry.mode, entry.mtime = kind, mode, ARCHIVE_MTIME
    entry.uid = entry.gid = 0
    entry.uname = entry.gname = "root"
    return entry
