"""Every reason the model can give for "not a poster" has its own words in the API's message and on the page,
and the made-up chart among the examples is answered with its reason."""
import re

from chalicelib.answers import NOT_A_POSTER_REASON_WORDS, prediction_answer
from chalicelib.settings import load_settings
from devkit.servers import PROJECT_ROOT
from poster_model.likeness import NOT_A_POSTER_REASONS
from poster_model.predictor import DEFAULT_MODEL_PATH, PosterClassifier
from scripts.make_example_posters import OUTPUT_DIR


def test_the_api_has_words_for_every_reason_the_model_gives():
    assert set(NOT_A_POSTER_REASON_WORDS) == set(NOT_A_POSTER_REASONS)


def test_the_page_has_words_for_every_reason_the_model_gives():
    answer_js = (PROJECT_ROOT / "static" / "answer.js").read_text()
    words_table = answer_js[answer_js.index("const REASON_WORDS = {"):answer_js.index("};", answer_js.index(
        "const REASON_WORDS = {"))]
    assert set(re.findall(r"^\s+(\w+):", words_table, re.MULTILINE)) == set(NOT_A_POSTER_REASONS)


def test_the_chart_among_the_examples_is_not_a_poster_because_it_is_mostly_flat():
    endpoint_answer = PosterClassifier(DEFAULT_MODEL_PATH, threads=1).answer_bytes(
        (OUTPUT_DIR / "quarterly-sales.jpg").read_bytes())
    answer = prediction_answer(endpoint_answer, load_settings({"SAGEMAKER_ENDPOINT_NAME": "examples"}))
    assert (answer["verdict"], answer["not_a_poster_reason"]) == ("not a poster", "mostly_flat")
    assert "most of it is flat, like a screenshot or a chart" in answer["message"]
