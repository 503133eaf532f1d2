"""Another Python version of this machine, and pip without this machine's configuration: what installing
model.tar.gz's requirements as the container does needs (the archive install test and bench/container_start.py)."""
import glob
import os
import shutil
import subprocess
from pathlib import Path

NO_PIP_CONFIGURATION = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def interpreter(version: str) -> str | None:
    """A working pythonX.Y: one of pyenv's, else the one on PATH (a pyenv shim on PATH may lead nowhere)."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [*sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}")),
                  shutil.which(f"python{version}")]
    return next((candidate for candidate in candidates if candidate and subprocess.run(
        [candidate, "-c", "pass"], capture_output=True).returncode == 0), None)
