"""scripts/classify.py run as a user runs it: a subprocess over a folder of generated posters."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.images import encode, poster, poster_jpeg
from devkit.onnx_models import model_path_for_tests
from devkit.servers import PROJECT_ROOT, free_port, running_local_stack
from poster_model.predictor import PosterClassifier

VERDICTS = ("thriller/crime", "hard to tell", "not thriller", "not a poster")


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return model_path_for_tests(tmp_path_factory.mktemp("model"))


@pytest.fixture
def posters(tmp_path):
    """A folder tree with two posters, a broken .jpg and a text file."""
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "first.jpg").write_bytes(poster_jpeg(seed=5))
    (tmp_path / "nested" / "deeper" / "second.PNG").write_bytes(encode(poster(seed=6), "PNG"))
    (tmp_path / "nested" / "broken.jpg").write_bytes(b"\xff\xd8\xff this is no JPEG")
    (tmp_path / "nested" / "notes.txt").write_text("not a poster")
    return tmp_path


def classify(*arguments) -> tuple[int, list[dict], str]:
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "classify.py"), *map(str, arguments)],
                            capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    return result.returncode, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def by_name(lines: list[dict]) -> dict[str, dict]:
    return {line["path"].rsplit("/", 1)[-1]: line for line in lines}


def test_folders_are_searched_recursively_for_images_only(posters, model_path):
    _, lines, _ = classify(posters, "--model", model_path)
    assert sorted(by_name(lines)) == ["broken.jpg", "first.jpg", "second.PNG"]


def test_each_poster_gets_verdict_calibrated_probability_poster_likeness_and_top_3_genres(posters, model_path):
    _, lines, _ = classify(posters, "--model", model_path)
    classifier = PosterClassifier(model_path)
    for name in ("first.jpg", "second.PNG"):
        line = by_name(lines)[name]
        answer = classifier.answer_bytes(Path(line["path"]).read_bytes())
        assert set(line) == {"path", "verdict", "probability", "looks_like_a_poster", "genres"}
        assert line["verdict"] in VERDICTS
        assert line["probability"] == pytest.approx(answer["thriller_probability"], abs=1e-6)
        assert line["looks_like_a_poster"] == (answer["poster_likeness"] >= answer["poster_likeness_threshold"])
        assert line["genres"] == answer["genres"][:3]
        assert [g["probability"] for g in line["genres"]] == sorted((g["probability"] for g in line["genres"]),
                                                                    reverse=True)


def test_a_broken_file_gets_an_error_line_and_a_failing_exit_status(posters, model_path):
    status, lines, stderr = classify(posters, "--model", model_path)
    broken = by_name(lines)["broken.jpg"]
    assert set(broken) == {"path", "error"}
    assert status == 1
    assert "Traceback" not in stderr


def test_a_missing_path_gets_an_error_line_and_the_others_are_still_classified(posters, model_path):
    status, lines, _ = classify(posters / "missing.jpg", posters / "first.jpg", "--model", model_path)
    assert "error" in by_name(lines)["missing.jpg"]
    assert "verdict" in by_name(lines)["first.jpg"]
    assert status == 1


def test_only_readable_posters_exit_with_success(posters, model_path):
    status, lines, _ = classify(posters / "first.jpg", posters / "nested" / "deeper", "--model", model_path)
    assert [line["verdict"] in VERDICTS for line in lines] == [True, True]
    assert status == 0


def test_a_folder_without_images_is_reported(tmp_path, model_path):
    status, lines, stderr = classify(tmp_path, "--model", model_path)
    assert (status, lines) == (1, [])
    assert "no image files" in stderr


def test_a_missing_model_is_reported_without_a_traceback(posters, tmp_path):
    status, lines, stderr = classify(posters, "--model", tmp_path / "missing.onnx")
    assert (status, lines) == (2, [])
    assert "cannot load the model" in stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def api_url(model_path, tmp_path_factory):
    """The local stack: the SageMaker-compatible endpoint and `chalice local` wired to it."""
    with running_local_stack(model_path, tmp_path_factory.mktemp("stack")) as url:
        yield url


def test_the_api_mode_classifies_through_a_running_predict_api(posters, api_url):
    status, lines, _ = classify(posters, "--api", api_url)
    results = by_name(lines)
    for name in ("first.jpg", "second.PNG"):
        assert set(results[name]) == {"path", "verdict", "probability", "looks_like_a_poster", "genres"}
        assert results[name]["verdict"] in VERDICTS
        assert len(results[name]["genres"]) == 3
    assert "error" in results["broken.jpg"]
    assert status == 1


def test_the_api_mode_reports_an_unreachable_api_on_each_line(posters):
    status, lines, _ = classify(posters / "first.jpg", "--api", f"http://127.0.0.1:{free_port()}")
    assert "cannot reach" in lines[0]["error"]
    assert status == 1
