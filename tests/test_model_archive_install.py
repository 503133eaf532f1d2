"""model.tar.gz installs its requirements with the network forbidden, on the image's own Python.

The container's toolkit runs `python -m pip install -r code/requirements.txt` at every start; here the same command
runs in a fresh virtual environment of the image's Python, inside a network namespace with no interface
(`unshare -n`), and the shipped inference code then answers a poster there. Where that Python is not on this
machine, the pins are still resolved for it (pip's --python-version dry run), and the install test is skipped
saying so. Needs PyPI once to fill build/wheelhouse/.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from devkit.images import poster_jpeg
from devkit.interpreters import NO_PIP_CONFIGURATION, interpreter
from devkit.onnx_models import model_path_for_tests
from devkit.servers import unpack_model_archive
from poster_model.predictor import PosterClassifier
from scripts.model_deploy import images, wheelhouse
from scripts.model_deploy.archive import build_model_archive

IMAGE_PYTHONS = sorted({image.python for image in images.KNOWN_IMAGES})


def without_network() -> list[str]:
    """A command prefix that runs its command with no network at all (unshare needs root or user namespaces)."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    pytest.skip("cannot forbid the network here: `unshare -n` is not permitted")


def image_of(python: str) -> images.InferenceImage:
    return next(image for image in images.KNOWN_IMAGES if image.python == python)


@pytest.mark.parametrize("python", IMAGE_PYTHONS)
def test_the_serving_pins_resolve_to_wheels_for_every_python_in_the_image_table(python, tmp_path):
    platforms = [argument for tag in wheelhouse.platform_tags(image_of(python).glibc)
                 for argument in ("--platform", tag)]
    finished = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--only-binary=:all:",
         "--implementation", "cp", "--python-version", python, *platforms, "--target", str(tmp_path / "target"),
         *wheelhouse.serving_requirements()],
        capture_output=True, text=True, timeout=240, env={**os.environ, **NO_PIP_CONFIGURATION})
    assert finished.returncode == 0, finished.stderr


@pytest.fixture(scope="module")
def unpacked_real_archive(tmp_path_factory):
    """model.tar.gz with the real wheels for the default image, unpacked as SageMaker does into /opt/ml/model."""
    image = images.DEFAULT_IMAGE
    model_path = model_path_for_tests(tmp_path_factory.mktemp("model"))
    archive = build_model_archive(model_path, wheelhouse.download_wheels(image.python, image.glibc))
    return unpack_model_archive(archive.data, tmp_path_factory.mktemp("opt-ml-model")), model_path


def test_the_archive_installs_its_requirements_offline_on_the_images_python_and_answers(unpacked_real_archive,
                                                                                        tmp_path):
    model_dir, model_path = unpacked_real_archive
    python = interpreter(images.DEFAULT_IMAGE.python)
    if python is None:
        pytest.skip(f"Python {images.DEFAULT_IMAGE.python} is not on this machine: only the pin resolution above "
                    f"checks that image")
    isolated = without_network()
    venv = tmp_path / "container-python"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
    environment = {**os.environ, **NO_PIP_CONFIGURATION}
    network_probe = subprocess.run([*isolated, str(venv / "bin" / "python"), "-c",
                                    "import socket; socket.create_connection(('1.1.1.1', 443), timeout=3)"],
                                   capture_output=True, timeout=60)
    assert network_probe.returncode != 0, "the network was not forbidden"

    install = subprocess.run([*isolated, str(venv / "bin" / "python"), "-m", "pip", "install", "-r",
                              str(model_dir / "code" / "requirements.txt")],
                             cwd="/", capture_output=True, text=True, timeout=600, env=environment)
    assert install.returncode == 0, install.stdout + install.stderr

    script = ("import json, sys, inference; model = inference.model_fn(sys.argv[1]); "
              "body, content_type = inference.transform_fn(model, sys.stdin.buffer.read(), 'image/jpeg', "
              "'application/json'); print(json.dumps({'version': sys.version_info[:2], 'answer': json.loads(body)}))")
    poster = poster_jpeg(seed=11)
    answered = subprocess.run([*isolated, str(venv / "bin" / "python"), "-c", script, str(model_dir)],
                              input=poster, cwd=model_dir / "code", capture_output=True, timeout=120,
                              env={**environment, "PYTHONPATH": str(model_dir / "code")})
    assert answered.returncode == 0, answered.stderr.decode()
    result = json.loads(answered.stdout)
    assert ".".join(map(str, result["version"])) == images.DEFAULT_IMAGE.python
    expected = PosterClassifier(model_path).answer_bytes(poster)
    assert probabilities_of(result["answer"]) == pytest.approx(probabilities_of(expected), abs=1e-5)


def probabilities_of(answer: dict | list) -> list[float]:
    return answer if isinstance(answer, list) else answer["probabilities"]
