"""Answers in the shape our SageMaker endpoint gives (the contract of issue 10), for the fake endpoint to send.

The API turns them into the page's verdicts: a calibrated probability above the "hard to tell" band is
thriller/crime, inside it hard to tell, below it not thriller; a poster likeness under its threshold is
not a poster, whatever the probability.
"""
import json

BASE_RATE = 0.25
HARD_TO_TELL_BAND = (0.2, 0.45)
POSTER_LIKENESS_THRESHOLD = 0.05
GENRES = ["Thriller", "Crime", "Drama", "Action", "Horror", "Mystery", "Comedy", "Romance", "Sci-Fi", "Adventure",
          "Animation", "Family", "Fantasy", "Biography", "History", "War", "Music", "Documentary"]
EVIDENCE_ROWS, EVIDENCE_COLUMNS = 13, 9


def evidence_towards_the_top(rows: int = EVIDENCE_ROWS, columns: int = EVIDENCE_COLUMNS) -> dict:
    """Evidence for thriller in the upper third of the poster, against it in the bottom third."""
    values = [[0.8 if row < rows // 3 else -0.6 if row >= rows - rows // 3 else 0.0 for _ in range(columns)]
              for row in range(rows)]
    return {"rows": rows, "columns": columns, "values": values}


def endpoint_answer(thriller_probability: float, *, poster_likeness: float = 0.9,
                    top_genres: tuple = ("Drama", "Crime", "Thriller"), evidence: dict | None = None,
                    not_a_poster_reason: str | None = None) -> bytes:
    """The endpoint's JSON for a poster with this calibrated thriller probability; genres most likely first;
    a reason only when one is given (an older endpoint sends none)."""
    others = [genre for genre in GENRES if genre not in top_genres]
    genres = [{"genre": genre, "probability": round(0.6 - 0.15 * rank, 2)} for rank, genre in enumerate(top_genres)]
    genres += [{"genre": genre, "probability": 0.02} for genre in others]
    balanced = min(0.99, max(0.01, thriller_probability + 0.1))
    answer = {
        "probabilities": [round(1 - balanced, 4), round(balanced, 4)],
        "thriller_probability": thriller_probability,
        "base_rate": BASE_RATE,
        "hard_to_tell_band": list(HARD_TO_TELL_BAND),
        "genres": genres,
        "poster_likeness": poster_likeness,
        "poster_likeness_threshold": POSTER_LIKENESS_THRESHOLD,
        "evidence": evidence or evidence_towards_the_top(),
    }
    if not_a_poster_reason is not None:
        answer["not_a_poster_reason"] = not_a_poster_reason
    return json.dumps(answer).encode()


VERDICT_ANSWERS = {
    "thriller/crime": endpoint_answer(0.62),
    "hard to tell": endpoint_answer(0.33),
    "not thriller": endpoint_answer(0.08, top_genres=("Comedy", "Family", "Animation")),
    "not a poster": endpoint_answer(0.3, poster_likeness=0.01),
}
"""One endpoint answer per verdict the page must show."""
