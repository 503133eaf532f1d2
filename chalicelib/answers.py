"""Check the endpoint's answer and shape the JSON the page and curl users get.

Our endpoint answers an object (calibrated probability, the "hard to tell" band, genres, poster likeness,
evidence when asked); an endpoint of someone else's may answer the plain SageMaker image-classification list
of class probabilities, and then the answer says which fields are unavailable.
"""
import json
import math

from chalicelib.errors import ModelFailedError
from chalicelib.settings import Settings

THRILLER_MESSAGE = "This is a thriller/crime movie! Enjoy!"
NOT_THRILLER_MESSAGE = "This is not a thriller/crime movie! Not sure you will like it..."
HARD_TO_TELL_MESSAGE = "Hard to tell from this poster: it could go either way."
NOT_A_POSTER_MESSAGE = "This does not look like a movie poster. Try the poster of a movie."
THRILLER, HARD_TO_TELL, NOT_THRILLER, NOT_A_POSTER = "thriller/crime", "hard to tell", "not thriller", "not a poster"
MESSAGES = {THRILLER: THRILLER_MESSAGE, HARD_TO_TELL: HARD_TO_TELL_MESSAGE, NOT_THRILLER: NOT_THRILLER_MESSAGE,
            NOT_A_POSTER: NOT_A_POSTER_MESSAGE}
FIELDS_ONLY_OUR_ENDPOINT_ANSWERS = ("base_rate", "hard_to_tell_band", "looks_like_a_poster", "poster_likeness",
                                    "genres", "evidence")
PROBABILITY_SUM_TOLERANCE = 0.01
MAX_EVIDENCE_CELLS = 4096


def parse_endpoint_answer(body: bytes, class_count: int) -> dict | list[float]:
    """The endpoint's JSON: our object (checked field by field) or a plain list of class probabilities."""
    try:
        answer = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelFailedError("the model answered something that is not JSON", detail=repr(body[:300])) from None
    if isinstance(answer, list):
        return class_probabilities(answer, class_count)
    if not isinstance(answer, dict):
        raise ModelFailedError("the model answered neither an object nor a list of class probabilities",
                               detail=str(answer)[:300])
    try:
        return checked_object(answer, class_count)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFailedError("the model's answer is missing or has malformed fields",
                               detail=f"{error}: {str(answer)[:300]}") from None


def class_probabilities(values, class_count: int) -> list[float]:
    if (not isinstance(values, list) or len(values) != class_count or not all(is_probability(p) for p in values)
            or abs(sum(values) - 1) > PROBABILITY_SUM_TOLERANCE):
        raise ModelFailedError(f"the model did not answer a list of {class_count} class probabilities",
                               detail=str(values)[:300])
    return [float(p) for p in values]


def checked_object(answer: dict, class_count: int) -> dict:
    band = answer["hard_to_tell_band"]
    if not (isinstance(band, list) and len(band) == 2 and all(map(is_probability, band)) and band[0] <= band[1]):
        raise ValueError("hard_to_tell_band is not two ordered probabilities")
    genres = answer["genres"]
    if not isinstance(genres, list) or not all(
            isinstance(g, dict) and isinstance(g.get("genre"), str) and is_probability(g.get("probability"))
            for g in genres):
        raise ValueError("genres is not a list of {genre, probability}")
    checked = {
        "probabilities": class_probabilities(answer["probabilities"], class_count),
        "thriller_probability": probability(answer["thriller_probability"], "thriller_probability"),
        "base_rate": probability(answer["base_rate"], "base_rate"),
        "hard_to_tell_band": [float(band[0]), float(band[1])],
        "genres": sorted(({"genre": g["genre"], "probability": float(g["probability"])} for g in genres),
                         key=lambda g: -g["probability"]),
        "poster_likeness": probability(answer["poster_likeness"], "poster_likeness"),
        "poster_likeness_threshold": probability(answer["poster_likeness_threshold"], "poster_likeness_threshold"),
    }
    if "evidence" in answer:
        checked["evidence"] = checked_evidence(answer["evidence"])
    return checked


def checked_evidence(evidence) -> dict:
    rows, columns, values = evidence["rows"], evidence["columns"], evidence["values"]
    if not (isinstance(rows, int) and isinstance(columns, int) and 0 < rows * columns <= MAX_EVIDENCE_CELLS):
        raise ValueError("evidence has no sensible rows and columns")
    if not (isinstance(values, list) and len(values) == rows and all(
            isinstance(row, list) and len(row) == columns and all(is_number(v) for v in row) for row in values)):
        raise ValueError(f"evidence values are not a {rows} x {columns} grid of numbers")
    return {"rows": rows, "columns": columns, "values": [[float(v) for v in row] for row in values]}


def probability(value, name: str) -> float:
    if not is_probability(value):
        raise ValueError(f"{name} is not a probability")
    return float(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_probability(value) -> bool:
    return is_number(value) and 0 <= value <= 1


def verdict_for(probability_of_thriller: float, band: list[float], looks_like_a_poster: bool) -> str:
    """The band is half-open, [low, high): a probability at its upper edge is answered decisively."""
    if not looks_like_a_poster:
        return NOT_A_POSTER
    if probability_of_thriller >= band[1]:
        return THRILLER
    if probability_of_thriller >= band[0]:
        return HARD_TO_TELL
    return NOT_THRILLER


def looks_like_a_poster(endpoint_answer: dict) -> bool:
    return endpoint_answer["poster_likeness"] >= endpoint_answer["poster_likeness_threshold"]


def endpoint_verdict(endpoint_answer: dict) -> str:
    return verdict_for(endpoint_answer["thriller_probability"], endpoint_answer["hard_to_tell_band"],
                       looks_like_a_poster(endpoint_answer))


def one_bit_decision(probabilities: list[float], settings: Settings) -> tuple[str, bool]:
    """The label with the highest score, and whether it is the thriller label."""
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    return settings.class_labels[best], best == settings.thriller_index


def prediction_answer(endpoint_answer: dict | list[float], settings: Settings, explain: bool = False) -> dict:
    if isinstance(endpoint_answer, list):
        return reduced_answer(endpoint_answer, settings)
    label, is_thriller = one_bit_decision(endpoint_answer["probabilities"], settings)
    verdict = endpoint_verdict(endpoint_answer)
    answer = {
        "verdict": verdict,
        "probability": endpoint_answer["thriller_probability"],
        "base_rate": endpoint_answer["base_rate"],
        "hard_to_tell_band": endpoint_answer["hard_to_tell_band"],
        "looks_like_a_poster": verdict != NOT_A_POSTER,
        "poster_likeness": endpoint_answer["poster_likeness"],
        "genres": endpoint_answer["genres"],
        "label": label,
        "is_thriller": is_thriller,
        "message": MESSAGES[verdict],
    }
    if explain:
        if "evidence" not in endpoint_answer:
            raise ModelFailedError("the model did not answer the evidence that was asked for")
        answer["evidence"] = endpoint_answer["evidence"]
    return answer


def reduced_answer(probabilities: list[float], settings: Settings) -> dict:
    """What a plain list of class probabilities supports: the one-bit decision and its probability."""
    label, is_thriller = one_bit_decision(probabilities, settings)
    verdict = THRILLER if is_thriller else NOT_THRILLER
    return {
        "verdict": verdict,
        "probability": probabilities[settings.thriller_index],
        "label": label,
        "is_thriller": is_thriller,
        "message": MESSAGES[verdict],
        "unavailable": list(FIELDS_ONLY_OUR_ENDPOINT_ANSWERS),
    }
