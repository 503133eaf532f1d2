"""Posters visitors shared (scripts/feedback_report.py --export DIR), joined to the training part only.

`make model EXTRA_POSTERS=DIR` sets the variable; DIR holds labels.csv (id, thriller_or_crime) and images/ID.jpg.
The validation split is made on the poster set alone before anything is joined, and the extra posters are added
to the training rows only, so the validation figures keep measuring the same held-out posters. An extra poster
whose bytes equal a validation poster's is left out. Visitors answer one question, not the IMDb genres, so each
extra poster's genre targets for the ridge are the training posters' mean genre indicators for its label: it
moves the genre scores only the way its label says.
"""
import csv
import hashlib
import os
from pathlib import Path

import numpy as np

JOINED_DIR = "posters-with-visitors"


def read_extra(directory: Path) -> tuple[list[str], np.ndarray]:
    with open(directory / "labels.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    ids = [row["id"] for row in rows]
    labels = np.array([int(row["thriller_or_crime"]) for row in rows])
    if not set(labels) <= {0, 1} or len(set(ids)) != len(ids):
        raise SystemExit(f"{directory / 'labels.csv'}: thriller_or_crime must be 0 or 1 and ids unique")
    return ids, labels


def link_images(source: Path, ids: list[str], target: Path) -> None:
    for poster_id in ids:
        link = target / f"{poster_id}.jpg"
        if not link.exists():
            link.symlink_to((source / "images" / f"{poster_id}.jpg").resolve())


def joined(posters: Path, ids: list[str], labels: np.ndarray, genres: np.ndarray, train_rows: np.ndarray,
           validation_rows: np.ndarray, extra_dir: str | None, cache_dir: Path):
    """(posters dir, ids, labels, genres, training rows) with the extra posters appended to the training rows;
    everything unchanged when extra_dir is empty."""
    if not extra_dir:
        return posters, ids, labels, genres, train_rows
    extra = Path(extra_dir)
    extra_ids, extra_labels = read_extra(extra)
    clashing = set(extra_ids) & set(ids)
    if clashing:
        raise SystemExit(f"{extra}: ids {sorted(clashing)[:5]} are already poster ids")
    validation_hashes = {hashlib.sha256((posters / "images" / f"{ids[i]}.jpg").read_bytes()).digest()
                         for i in validation_rows}
    keep = [hashlib.sha256((extra / "images" / f"{poster_id}.jpg").read_bytes()).digest() not in validation_hashes
            for poster_id in extra_ids]
    extra_ids = [poster_id for poster_id, kept in zip(extra_ids, keep) if kept]
    extra_labels = extra_labels[np.array(keep, dtype=bool)] if extra_ids else extra_labels[:0]
    print(f"extra posters from {extra}: {len(extra_ids)} joined to the training rows only"
          f" ({len(keep) - len(extra_ids)} left out: identical to a validation poster)")
    train_genres, train_labels = genres[train_rows], labels[train_rows]
    mean_genres = {label: train_genres[train_labels == label].mean(axis=0) for label in (0, 1)}
    images = cache_dir / JOINED_DIR / "images"
    images.mkdir(parents=True, exist_ok=True)
    link_images(posters, ids, images)
    link_images(extra, extra_ids, images)
    all_genres = np.concatenate([genres, np.array([mean_genres[label] for label in extra_labels],
                                                  dtype=genres.dtype).reshape(-1, genres.shape[1])])
    new_rows = np.arange(len(ids), len(ids) + len(extra_ids))
    return (images.parent, ids + extra_ids, np.concatenate([labels, extra_labels]), all_genres,
            np.concatenate([train_rows, new_rows]))


def extra_posters_dir() -> str | None:
    return os.environ.get("EXTRA_POSTERS") or None
