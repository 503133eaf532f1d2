"""The poster set's labels and its validation split: torch-free, so tests and benches can find the same posters."""
import csv
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from poster_training.head import SEED

VALIDATION_FRACTION = 0.2


def load_labels(posters: Path):
    """Poster ids, the thriller_or_crime label, and the IMDb genre columns (names and 0/1 matrix)."""
    with open(posters / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    genre_names = [name for name in rows[0] if name not in ("id", "thriller_or_crime")]
    genres = np.array([[float(row[name]) for name in genre_names] for row in rows], dtype=np.float32)
    return [row["id"] for row in rows], np.array([int(row["thriller_or_crime"]) for row in rows]), genre_names, genres


def split_rows(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows): stratified, the validation fifth never used to fit or choose anything."""
    return train_test_split(np.arange(len(labels)), test_size=VALIDATION_FRACTION, stratify=labels, random_state=SEED)
