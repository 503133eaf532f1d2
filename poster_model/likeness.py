"""How much an image looks like a movie poster, from three things a poster has and most other images lack.

1. Backbone features like the training posters' (distance in a principal subspace, computed in the graph).
2. Detail: blank and smoothly shaded images have almost none (mean step between neighbouring grey pixels).
3. A poster's shape: most are about 2:3 upright (the image's own aspect ratio, before the model's resize).

Each becomes a tail probability against the training posters, the three are combined as a sum of
-log tails (aspect weighted by half: posters do come in other shapes), and poster_likeness is the share
of training posters whose combined score is at least as unusual: it reads like a p-value.
"""
from dataclasses import dataclass

import numpy as np

ASPECT_WEIGHT = 0.5


@dataclass(frozen=True)
class LikenessReference:
    """Sorted values of the training posters (feature distances cross-fitted), carried in the model file."""
    feature_distances: np.ndarray
    details: np.ndarray
    log_aspects: np.ndarray
    scores: np.ndarray

    @classmethod
    def from_metadata(cls, values: dict) -> "LikenessReference":
        return cls(*(np.asarray(values[name], dtype=np.float64)
                     for name in ("feature_distances", "details", "log_aspects", "scores")))

    def to_metadata(self) -> dict:
        return {name: [float(f"{v:.6g}") for v in getattr(self, name)]
                for name in ("feature_distances", "details", "log_aspects", "scores")}


def detail(batch: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N,): mean absolute step between neighbouring grey pixels, down and across."""
    grey = batch.astype(np.float32).mean(axis=3)
    return np.abs(np.diff(grey, axis=1)).mean(axis=(1, 2)) + np.abs(np.diff(grey, axis=2)).mean(axis=(1, 2))


def share_at_or_above(values: np.ndarray, sorted_reference: np.ndarray) -> np.ndarray:
    return 1 - np.searchsorted(sorted_reference, values, side="left") / len(sorted_reference)


def share_at_or_below(values: np.ndarray, sorted_reference: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_reference, values, side="right") / len(sorted_reference)


def unusualness(feature_distance, image_detail, log_aspect, reference: LikenessReference) -> np.ndarray:
    """Sum of -log tail probabilities; a tail is never below half a training poster's share."""
    floor = 0.5 / len(reference.feature_distances)
    aspect_tail = np.minimum(1.0, 2 * np.minimum(share_at_or_below(log_aspect, reference.log_aspects),
                                                 share_at_or_above(log_aspect, reference.log_aspects)))
    tails = (share_at_or_above(feature_distance, reference.feature_distances),
             share_at_or_below(image_detail, reference.details), aspect_tail)
    weights = (1.0, 1.0, ASPECT_WEIGHT)
    return sum(w * -np.log(np.maximum(t, floor)) for w, t in zip(weights, tails))


def poster_likeness(feature_distance, image_detail, log_aspect, reference: LikenessReference) -> np.ndarray:
    score = unusualness(np.atleast_1d(feature_distance), np.atleast_1d(image_detail), np.atleast_1d(log_aspect),
                        reference)
    return share_at_or_above(score, reference.scores)
