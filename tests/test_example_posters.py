"""The page's made-up examples show the range of answers, as the shipped model really gives them: a model that
is retrained and answers one of them differently fails here, and the examples are then drawn again."""
import re

import pytest

from chalicelib.answers import NOT_A_POSTER, prediction_answer
from chalicelib.settings import load_settings
from devkit.servers import PROJECT_ROOT
from poster_model.predictor import DEFAULT_MODEL_PATH, PosterClassifier
from scripts.make_example_posters import EXAMPLES, OUTPUT_DIR

EXPECTED_VERDICTS = {
    "dead-reckoning": "thriller/crime",
    "night-shift": "thriller/crime",
    "quiet-street": "hard to tell",
    "picnic-party": "not thriller",
    "moon-garden": "not thriller",
    "quarterly-sales": "not a poster",
}
PROBABILITY_MARGIN = 0.03
"""How far from the band's edges each example's probability stays: int8 answers move by up to about 0.006
between CPUs (NOTES.md), so no CPU flips an example's class."""
LIKENESS_FACTOR = 2
"""How far each example's poster likeness stays from the threshold, as a factor, for the same reason."""


@pytest.fixture(scope="module")
def answers():
    """Each example's (endpoint answer, API answer) from the model file that ships, as the endpoint runs it."""
    classifier = PosterClassifier(DEFAULT_MODEL_PATH, threads=1)
    settings = load_settings({"SAGEMAKER_ENDPOINT_NAME": "examples"})
    endpoint_answers = {name: classifier.answer_bytes((OUTPUT_DIR / f"{name}.jpg").read_bytes()) for name in EXAMPLES}
    return {name: (answer, prediction_answer(answer, settings)) for name, answer in endpoint_answers.items()}


def test_the_page_offers_exactly_the_drawn_examples():
    index = (PROJECT_ROOT / "static" / "index.html").read_text()
    assert re.findall(r'src="examples/([a-z-]+)\.jpg"', index) == list(EXAMPLES) == list(EXPECTED_VERDICTS)


def test_the_examples_cover_every_answer_the_page_can_give():
    assert set(EXPECTED_VERDICTS.values()) == {"thriller/crime", "hard to tell", "not thriller", "not a poster"}


@pytest.mark.parametrize("name", list(EXPECTED_VERDICTS))
def test_each_example_gets_its_answer_from_the_shipped_model(answers, name):
    endpoint_answer, answer = answers[name]
    assert answer["verdict"] == EXPECTED_VERDICTS[name], (
        f"the shipped model now answers {name} with {answer['verdict']} ({answer['probability']:.3f}): "
        "redraw the examples (scripts/make_example_posters.py) so that they still show every answer")
    likeness, threshold = endpoint_answer["poster_likeness"], endpoint_answer["poster_likeness_threshold"]
    if answer["verdict"] == NOT_A_POSTER:
        assert likeness * LIKENESS_FACTOR <= threshold
        return
    assert likeness >= threshold * LIKENESS_FACTOR
    assert min(abs(answer["probability"] - edge) for edge in answer["hard_to_tell_band"]) >= PROBABILITY_MARGIN
