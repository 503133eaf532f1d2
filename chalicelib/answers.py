"""Check the endpoint's answer and shape the JSON the page and curl users get.

Our endpoint answers an object (calibrated probability, the "hard to tell" band, genres, poster likeness,
evidence when asked); an endpoint of someone else's may answer the plain SageMaker image-classification list
of class probabilities, and then the answer says which fields are unavailable.
"""
import json
import math

from chalicelib.errors import ModelFailedError
from chalicelib.settings import Settings

THRILLER, HARD_TO_TELL, NOT_THRILLER, NOT_A_POSTER = "thriller/crime", "hard to tell", "not thriller", "not a poster"
DECIDED = {THRILLER: True, NOT_THRILLER: False}
"""The verdicts that say yes or no (is_thriller); "hard to tell" and "not a poster" decide nothing."""
HEADLINES = {
    "very likely": "Very likely a thriller/crime film",
    "likely": "Likely a thriller/crime film",
    "leans": "Leans towards thriller/crime",
    "hard to tell": "Hard to tell from this poster",
    "unlikely": "Unlikely to be a thriller/crime film",
    "very unlikely": "Very unlikely to be a thriller/crime film",
    "not a poster": "This does not look like a movie poster",
}
"""The scale of phrasings (docs/api.md's table): never "This is..." and nothing about the visitor's taste."""
VERY_LIKELY_FROM_PERCENT, LIKELY_ABOVE_PERCENT = 75, 50
"""On the chance as shown (a whole percent), so that "likely" never stands next to "50%"."""
VERY_UNLIKELY_SHARE_OF_BASE_RATE = 0.25
"""Under a quarter of the base rate (about 1 in 16 with a base rate of 1 in 4): very unlikely."""
NOT_A_POSTER_REASON_WORDS = {
    "photograph": "it looks like a photograph",
    "mostly_flat": "most of it is flat, like a screenshot or a chart",
    "odd_shape": "its shape is unlike a poster's",
    "blank": "it is almost blank",
    "unlike_posters": "it looks unlike the posters the model learned from",
}
UNKNOWN_REASON_WORDS = "it is unlike the posters the model learned from"
MAX_REASON_LENGTH = 40
FIELDS_ONLY_OUR_ENDPOINT_ANSWERS = ("certainty", "base_rate", "hard_to_tell_band", "looks_like_a_poster",
                                    "poster_likeness", "not_a_poster_reason", "genres", "evidence")
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
    checked["not_a_poster_reason"] = checked_reason(answer.get("not_a_poster_reason"))
    return checked


def checked_reason(reason) -> str | None:
    """A short code (poster_model's NOT_A_POSTER_REASONS) or None; an older endpoint sends none."""
    if reason is None:
        return None
    if not (isinstance(reason, str) and 0 < len(reason) <= MAX_REASON_LENGTH
            and reason.replace("_", "").isascii() and reason.replace("_", "").isalpha() and reason.islower()):
        raise ValueError("not_a_poster_reason is not a short code")
    return reason


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


def certainty_for(probability_of_thriller: float, verdict: str, base_rate: float) -> str:
    """The step of the phrasing scale (a key of HEADLINES): the verdict says which side, the calibrated
    probability how firmly; under even odds a thriller verdict only "leans"."""
    if verdict == THRILLER:
        shown = whole_percent(probability_of_thriller)
        if shown >= VERY_LIKELY_FROM_PERCENT:
            return "very likely"
        return "likely" if shown > LIKELY_ABOVE_PERCENT else "leans"
    if verdict == NOT_THRILLER:
        very_unlikely = probability_of_thriller < VERY_UNLIKELY_SHARE_OF_BASE_RATE * base_rate
        return "very unlikely" if very_unlikely else "unlikely"
    return verdict


def whole_percent(probability: float) -> int:
    return math.floor(probability * 100 + 0.5)  # as the page rounds (JavaScript's Math.round)


def percent(probability: float) -> str:
    return f"{whole_percent(probability)}%"


def base_rate_words(base_rate: float) -> str:
    one_in = round(1 / base_rate) if base_rate > 0 else 0
    return f"about 1 film in {one_in} is one" if one_in >= 2 else f"{percent(base_rate)} of films are"


def reason_words(reason: str) -> str:
    return NOT_A_POSTER_REASON_WORDS.get(reason, UNKNOWN_REASON_WORDS)


def message_for(certainty: str, probability_of_thriller: float, base_rate: float, reason: str | None) -> str:
    """The API's one-sentence answer: the headline, then the number it stands for."""
    if certainty == NOT_A_POSTER:
        because = f": {reason_words(reason)}" if reason else ""
        return f"{HEADLINES[NOT_A_POSTER]}{because}. Try the poster of a movie."
    return (f"{HEADLINES[certainty]}: {percent(probability_of_thriller)} chance it is a thriller/crime film "
            f"({base_rate_words(base_rate)}).")


def decision_fields(verdict: str) -> dict:
    """label and is_thriller follow the verdict: a decision only where the verdict decides, else null."""
    decided = DECIDED.get(verdict)
    return {"label": verdict if decided is not None else None, "is_thriller": decided}


def prediction_answer(endpoint_answer: dict | list[float], settings: Settings, explain: bool = False) -> dict:
    if isinstance(endpoint_answer, list):
        return reduced_answer(endpoint_answer, settings)
    verdict = endpoint_verdict(endpoint_answer)
    probability_of_thriller, base_rate = endpoint_answer["thriller_probability"], endpoint_answer["base_rate"]
    reason = endpoint_answer.get("not_a_poster_reason") if verdict == NOT_A_POSTER else None
    certainty = certainty_for(probability_of_thriller, verdict, base_rate)
    answer = {
        "verdict": verdict,
        "certainty": certainty,
        "probability": probability_of_thriller,
        "base_rate": base_rate,
        "hard_to_tell_band": endpoint_answer["hard_to_tell_band"],
        "looks_like_a_poster": verdict != NOT_A_POSTER,
        "poster_likeness": endpoint_answer["poster_likeness"],
        "not_a_poster_reason": reason,
        "genres": endpoint_answer["genres"],
        **decision_fields(verdict),
        "message": message_for(certainty, probability_of_thriller, base_rate, reason),
    }
    if verdict == NOT_A_POSTER:
        answer["if_a_poster"] = answer_if_a_poster(endpoint_answer)
    if explain:
        if "evidence" not in endpoint_answer:
            raise ModelFailedError("the model did not answer the evidence that was asked for")
        answer["evidence"] = endpoint_answer["evidence"]
    return answer


def answer_if_a_poster(endpoint_answer: dict) -> dict:
    """What a "not a poster" image would be answered if it were a poster: what the page's "Ask anyway" shows,
    next to the warning, so that no one has to send it twice or work out the phrasing again."""
    probability_of_thriller, base_rate = endpoint_answer["thriller_probability"], endpoint_answer["base_rate"]
    verdict = verdict_for(probability_of_thriller, endpoint_answer["hard_to_tell_band"], looks_like_a_poster=True)
    certainty = certainty_for(probability_of_thriller, verdict, base_rate)
    return {"verdict": verdict, "certainty": certainty,
            "message": message_for(certainty, probability_of_thriller, base_rate, None)}


def reduced_answer(probabilities: list[float], settings: Settings) -> dict:
    """What a plain list of class probabilities supports: the one-bit decision and the endpoint's score,
    which is not a calibrated chance, so the message only says which way it leans."""
    best = max(range(len(probabilities)), key=probabilities.__getitem__)
    is_thriller = best == settings.thriller_index
    verdict = THRILLER if is_thriller else NOT_THRILLER
    score = whole_percent(probabilities[settings.thriller_index])
    side = "towards" if is_thriller else "away from"
    return {
        "verdict": verdict,
        "probability": probabilities[settings.thriller_index],
        "label": settings.class_labels[best],
        "is_thriller": is_thriller,
        "message": f"Leans {side} thriller/crime: the model's score is {score} out of 100, "
                   "not a calibrated chance.",
        "unavailable": list(FIELDS_ONLY_OUR_ENDPOINT_ANSWERS),
    }
