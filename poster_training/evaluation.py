"""Figures of the shipped file, measured by running it on posters the fitting never saw."""
import io
from collections import Counter

import numpy as np
import onnxruntime
from PIL import Image
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, roc_auc_score

from poster_model.preprocess import InvalidImageError
from poster_training.band import decisive_figures
from poster_training.negatives import trusted_rgb
from poster_training.calibration import brier, expected_calibration_error, log_loss

DELETED_CELLS = 12
"""About a tenth of the 13 x 9 grid."""
RANDOM_DRAWS = 3
GREY = 127
PAGE_SIDE = 512


def run_model(session: onnxruntime.InferenceSession, images: np.ndarray, batch_size: int = 16) -> dict:
    names = [output.name for output in session.get_outputs()]
    parts = {name: [] for name in names}
    for start in range(0, len(images), batch_size):
        for name, values in zip(names, session.run(None, {"image": images[start:start + batch_size]})):
            parts[name].append(values)
    return {name: np.concatenate(values) for name, values in parts.items()}


def thriller_logit(outputs: dict) -> np.ndarray:
    p = outputs["probabilities"].astype(np.float64)
    return np.log(p[:, 1]) - np.log(p[:, 0])


def answer_figures(outputs: dict, y: np.ndarray, band: tuple[float, float], genre_names, genres: np.ndarray,
                   flagged: np.ndarray) -> dict:
    p = outputs["thriller_probability"].astype(np.float64)
    logit = thriller_logit(outputs)
    predicted = (logit > 0).astype(int)
    share, decisive_accuracy = decisive_figures(p, y, *band)
    genre_auc = {name: round(float(roc_auc_score(genres[:, i], outputs["genre_probabilities"][:, i])), 4)
                 for i, name in enumerate(genre_names) if 0 < genres[:, i].sum() < len(genres)}
    return {
        "roc_auc": round(float(roc_auc_score(y, logit)), 4),
        "balanced_accuracy": round(float(balanced_accuracy_score(y, predicted)), 4),
        "accuracy": round(float((predicted == y).mean()), 4),
        "confusion_matrix": {"rows": "true [not thriller, thriller]", "columns": "predicted",
                             "values": confusion_matrix(y, predicted, labels=[0, 1]).tolist()},
        "calibration": {"ece_10_bins": round(expected_calibration_error(p, y), 4), "brier": round(brier(p, y), 4),
                        "log_loss": round(log_loss(p, y), 4), "mean_probability": round(float(p.mean()), 4),
                        "thriller_share": round(float(y.mean()), 4)},
        "hard_to_tell": {"band": [round(band[0], 4), round(band[1], 4)], "decisive_share": round(share, 4),
                         "balanced_accuracy_on_decisive": round(decisive_accuracy, 4)},
        "genre_roc_auc": dict(sorted(genre_auc.items(), key=lambda item: -item[1])),
        "flagged_not_a_poster": round(float(flagged.mean()), 4),
    }


def non_poster_figures(classifier, images: list[tuple[str, bytes]]) -> dict:
    """Through the shipped file as the endpoint runs it (the image's own shape included)."""
    missed, reasons = [], Counter()
    for name, data in images:
        answer = classifier.answer_bytes(data)
        if answer["poster_likeness"] >= answer["poster_likeness_threshold"]:
            missed.append(name)
        else:
            reasons[answer["not_a_poster_reason"]] += 1
    return {"images": len(images), "flagged_share": round(1 - len(missed) / len(images), 4), "not_flagged": missed,
            "reasons": dict(sorted(reasons.items()))}


def as_the_page_sends(data: bytes) -> bytes:
    """The page scales a picture to at most PAGE_SIDE pixels and sends a JPEG (static/poster-worker.js)."""
    image = trusted_rgb(data)
    image.thumbnail((PAGE_SIDE, PAGE_SIDE), Image.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def held_out_figures(classifier, images) -> dict:
    """poster_training.negatives.held_out_images through the shipped file as the endpoint runs it: overall, per
    package and per kind. A file the endpoint refuses to decode within its budget (4096 x 4096 WebP wallpapers)
    is answered as the page would send it (as_the_page_sends), and listed."""
    answers, shrunk = {}, []
    for image in images:
        try:
            answers[image.name] = classifier.answer_bytes(image.data)
        except InvalidImageError:
            answers[image.name] = classifier.answer_bytes(as_the_page_sends(image.data))
            shrunk.append(image.name)
    flagged = {name: answer["poster_likeness"] < answer["poster_likeness_threshold"]
               for name, answer in answers.items()}

    def figures(members) -> dict:
        missed = [image.name for image in members if not flagged[image.name]]
        reasons = Counter(answers[image.name]["not_a_poster_reason"] for image in members if flagged[image.name])
        return {"images": len(members), "flagged": len(members) - len(missed),
                "flagged_share": round(1 - len(missed) / len(members), 4), "not_flagged": missed,
                "reasons": dict(sorted(reasons.items()))}

    by = {"package": lambda image: image.source, "kind": lambda image: image.kind}
    return {"all": figures(images), "sent_as_the_page_sends": shrunk, **{f"by_{label}": {value: figures([i for i in images if key(i) == value])
                                                       for value in sorted({key(i) for i in images})}
                                       for label, key in by.items()}}


def grey_out(images: np.ndarray, cells: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """cells: (N, k) flat cell indices; each cell's share of the picture becomes flat grey."""
    greyed = images.copy()
    height, width = images.shape[1:3]
    for n, chosen in enumerate(cells):
        for cell in chosen:
            r, c = divmod(int(cell), columns)
            greyed[n, r * height // rows:(r + 1) * height // rows, c * width // columns:(c + 1) * width // columns] = GREY
    return greyed


def deletion_test(session, images: np.ndarray, seed: int) -> dict:
    """Grey out the cells with the strongest thriller evidence, or as many random cells: the thriller logit
    must drop clearly more in the first case if the evidence means anything."""
    rng = np.random.default_rng(seed)
    original = run_model(session, images)
    rows, columns = original["evidence"].shape[1:]
    evidence = original["evidence"].reshape(len(images), -1)
    top = np.argsort(-evidence, axis=1)[:, :DELETED_CELLS]
    base = thriller_logit(original)
    top_drop = base - thriller_logit(run_model(session, grey_out(images, top, rows, columns)))
    random_drops = []
    for _ in range(RANDOM_DRAWS):
        cells = np.stack([rng.choice(rows * columns, DELETED_CELLS, replace=False) for _ in images])
        random_drops.append(base - thriller_logit(run_model(session, grey_out(images, cells, rows, columns))))
    random_drop = np.mean(random_drops, axis=0)
    return {"posters": len(images), "cells_greyed": DELETED_CELLS, "grid": [rows, columns],
            "mean_logit_drop_top_evidence": round(float(top_drop.mean()), 4),
            "mean_logit_drop_random_cells": round(float(random_drop.mean()), 4),
            "share_of_posters_where_top_drops_more": round(float((top_drop > random_drop).mean()), 4),
            "evidence_sum_vs_logit_minus_mean_correlation": round(float(np.corrcoef(evidence.sum(axis=1), base)[0, 1]), 4)}
