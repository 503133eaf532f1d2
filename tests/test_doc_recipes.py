"""Every shell recipe of the README and of docs/*.md runs as written against the local stack that `make run` starts.

Each ```sh block runs whole in bash (-e -o pipefail) from a folder holding the files the recipes name
(poster.jpg, a poster.png over 96 KB, posters/, one-more.jpg), with no AWS configuration of the machine, and
with the stack's free ports in place of the docs' 8000 (API), 8080 (model endpoint) and 8001 (page). A block
passes when it exits 0 and prints at least one JSON answer and none with an "error". Blocks whose fence carries
a marker are not run, for the reason the marker names:
- `sh needs-aws`: needs an AWS account;
- `sh whole-project`: `make run` and `make test` themselves (the fixture runs `make run`; `make test` runs this).
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from devkit.images import encode, poster_jpeg
from devkit.make_run import make_run, stack_ports
from devkit.servers import PROJECT_ROOT, wait_until_ready

DOCS_WITH_RECIPES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
FENCED_SHELL = re.compile(r"^```sh(?P<markers>[^\n]*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
SKIP_MARKERS = {"needs-aws": "needs an AWS account",
                "whole-project": "make run / make test themselves"}
DOCS_PORTS = {"API_PORT": 8000, "ENDPOINT_PORT": 8080, "SITE_PORT": 8001}


def shell_recipes():
    recipes = []
    for path in DOCS_WITH_RECIPES:
        name = path.relative_to(PROJECT_ROOT).as_posix()
        for match in FENCED_SHELL.finditer(path.read_text(encoding="utf-8")):
            markers = match["markers"].split()
            unknown = set(markers) - set(SKIP_MARKERS)
            assert not unknown, f"unknown recipe marker(s) {unknown} in {name}: known are {sorted(SKIP_MARKERS)}"
            first_command = next(line for line in match["body"].splitlines() if line and not line.startswith("#"))
            marks = [pytest.mark.skip(reason=SKIP_MARKERS[marker]) for marker in markers]
            recipes.append(pytest.param(match["body"], id=f"{name}: {first_command[:60]}", marks=marks))
    return recipes


def json_values(text: str) -> list:
    """Every JSON value printed, whether on lines of their own or run together (curl adds no newline)."""
    decoder, values, position = json.JSONDecoder(), [], 0
    while True:
        start = min((index for index in (text.find("{", position), text.find("[", position)) if index >= 0),
                    default=-1)
        if start < 0:
            return values
        try:
            value, position = decoder.raw_decode(text, start)
            values.append(value)
        except ValueError:
            position = start + 1


def large_png() -> bytes:
    """A 600x900 noisy PNG of about 1.6 MB: its base64 is far too long for one command-line argument."""
    pixels = np.random.default_rng(7).integers(0, 256, (900, 600, 3), dtype=np.uint8)
    return encode(Image.fromarray(pixels), "PNG")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    ports = stack_ports()
    log_path = tmp_path_factory.mktemp("stack") / "make-run.log"
    with make_run(ports, log_path) as process:
        wait_until_ready(f"http://127.0.0.1:{ports['SITE_PORT']}/", process)
        yield ports


@pytest.fixture(scope="module")
def recipe_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recipes")
    (folder / "poster.jpg").write_bytes(poster_jpeg())
    (folder / "one-more.jpg").write_bytes(poster_jpeg())
    (folder / "poster.png").write_bytes(large_png())
    (folder / "posters").mkdir()
    (folder / "posters" / "heat.jpg").write_bytes(poster_jpeg())
    for name in (".venv", "scripts"):
        (folder / name).symlink_to(PROJECT_ROOT / name)
    return folder


def without_aws_configuration(tmp_path) -> dict:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
                       AWS_EC2_METADATA_DISABLED="true", PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
    return environment


def test_the_docs_hold_runnable_shell_recipes():
    runnable = [recipe for recipe in shell_recipes() if not recipe.marks]
    assert len(runnable) >= 4


@pytest.mark.parametrize("recipe", shell_recipes())
def test_a_doc_recipe_runs_as_written(recipe, stack, recipe_folder, tmp_path):
    script = recipe
    for name, docs_port in DOCS_PORTS.items():
        script = script.replace(f"127.0.0.1:{docs_port}", f"127.0.0.1:{stack[name]}")
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=recipe_folder,
                            env=without_aws_configuration(tmp_path), capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, (f"{script}\nstdout: {result.stdout}\nstderr: {result.stderr}\n(a recipe that "
                                    f"needs an AWS account is marked ```sh needs-aws in the docs)")
    answers = json_values(result.stdout)
    assert answers, f"no JSON answer from\n{script}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert not [answer for answer in answers if isinstance(answer, dict) and "error" in answer], result.stdout
