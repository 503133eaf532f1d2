"""Check the endpoint's answer and shape the JSON the page and curl users get."""
import json
import math

from chalicelib.errors import ModelFailedError
from chalicelib.settings import Settings

THRILLER_MESSAGE = "This is a thriller/crime movie! Enjoy!"
NOT_THRILLER_MESSAGE = "This is not a thriller/crime movie! Not sure you will like it..."
PROBABILITY_SUM_TOLERANCE = 0.01


def parse_probabilities(body: bytes, class_count: int) -> list[float]:
    """The SageMaker image-classification contract: a JSON list with one probability per class."""
    try:
        probabilities = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelFailedError("the model answered something that is not JSON", detail=repr(body[:300])) from None
    if (not isinstance(probabilities, list) or len(probabilities) != class_count
            or not all(is_probability(p) for p in probabilities)
            or abs(sum(probabilities) - 1) > PROBABILITY_SUM_TOLERANCE):
        raise ModelFailedError(f"the model did not answer a list of {class_count} class probabilities",
                               detail=str(probabilities)[:300])
    return [float(p) for p in probabilities]


def is_probability(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= 1)


def prediction_answer(probabilities: list[float], settings: Settings) -> dict:
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    is_thriller = best == settings.thriller_index
    return {
        "label": settings.class_labels[best],
        "is_thriller": is_thriller,
        "probability": probabilities[settings.thriller_index],
        "probabilities": dict(zip(settings.class_labels, probabilities)),
        "message": THRILLER_MESSAGE if is_thriller else NOT_THRILLER_MESSAGE,
    }
