"""How much an image looks like a movie poster, from five things a poster has and most other images lack.

1. Backbone features like the training posters' (distance in a principal subspace, computed in the graph).
2. Detail (mean step between neighbouring grey pixels): blank and smoothly shaded images have almost none,
   noise far more than any poster.
3. Texture almost everywhere: screenshots and charts are mostly perfectly flat background (share of pixels
   whose grey value equals its neighbours').
4. A poster's shape: most are about 2:3 upright (the image's own aspect ratio, before the model's resize).
5. What the backbone's own ImageNet classifier calls it: posters are mostly "book jacket", "comic book" or
   "web site" to it, a photograph is a coffee cup or a motorcycle (log probability of the poster classes,
   computed in the graph).

Each becomes a tail probability against the training posters (both tails for detail and shape), they are
combined as a sum of -log tails (aspect weighted by half: posters do come in other shapes), and
poster_likeness is the share of training posters whose combined score is at least as unusual: it reads like a
p-value.
"""
from dataclasses import dataclass

import numpy as np

ASPECT_WEIGHT = 0.5
FLAT_STEP = 1.0
"""A pixel is flat when its grey steps down and across add up to less than this (out of 255)."""
REFERENCE_NAMES = ("feature_distances", "details", "flat_shares", "log_aspects", "poster_class_log_probabilities",
                   "scores")


@dataclass(frozen=True)
class LikenessReference:
    """Sorted values of the training posters (feature distances cross-fitted), carried in the model file."""
    feature_distances: np.ndarray
    details: np.ndarray
    flat_shares: np.ndarray
    log_aspects: np.ndarray
    poster_class_log_probabilities: np.ndarray
    scores: np.ndarray

    @classmethod
    def from_metadata(cls, values: dict) -> "LikenessReference":
        return cls(*(np.asarray(values[name], dtype=np.float64) for name in REFERENCE_NAMES))

    def to_metadata(self) -> dict:
        return {name: [float(f"{v:.6g}") for v in getattr(self, name)] for name in REFERENCE_NAMES}


def texture(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(detail, flat share) of each image: the mean step between neighbouring grey pixels (down plus across),
    and the share of pixels whose steps add up to less than FLAT_STEP.

    In whole numbers on three times the grey value (the channels' sum): exact, and several times faster."""
    channels = batch.astype(np.int16)
    grey_times_3 = channels[..., 0] + channels[..., 1] + channels[..., 2]
    corner = grey_times_3[:, :-1, :-1]
    steps = np.abs(grey_times_3[:, 1:, :-1] - corner) + np.abs(grey_times_3[:, :-1, 1:] - corner)
    pixels = steps.shape[1] * steps.shape[2]
    return steps.mean(axis=(1, 2)) / 3, np.count_nonzero(steps < 3 * FLAT_STEP, axis=(1, 2)) / pixels


def share_at_or_above(values: np.ndarray, sorted_reference: np.ndarray) -> np.ndarray:
    return 1 - np.searchsorted(sorted_reference, values, side="left") / len(sorted_reference)


def upper_tail(values: np.ndarray, sorted_reference: np.ndarray) -> np.ndarray:
    """The share of training posters at or above each value; beyond the farthest poster an exponential tail
    fitted to the top 1 %, so that far beyond still counts for more than just beyond."""
    n = len(sorted_reference)
    top = sorted_reference[int(0.99 * n):]
    scale = max(float(np.mean(top - top[0])), 1e-9)
    beyond = (0.5 / n) * np.exp(-np.maximum(values - sorted_reference[-1], 0) / scale)
    return np.where(values > sorted_reference[-1], beyond,
                    np.maximum(share_at_or_above(values, sorted_reference), 0.5 / n))


def lower_tail(values: np.ndarray, sorted_reference: np.ndarray) -> np.ndarray:
    return upper_tail(-values, -sorted_reference[::-1])


def two_sided_tail(values: np.ndarray, sorted_reference: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, 2 * np.minimum(lower_tail(values, sorted_reference), upper_tail(values, sorted_reference)))


def unusualness(feature_distance, image_detail, flat_share, log_aspect, poster_class_log_probability,
                reference: LikenessReference) -> np.ndarray:
    """Sum of -log tail probabilities (features far, detail odd either way, flat share high, shape odd either way,
    poster classes unlikely)."""
    tails = (upper_tail(feature_distance, reference.feature_distances), two_sided_tail(image_detail, reference.details),
             upper_tail(flat_share, reference.flat_shares), two_sided_tail(log_aspect, reference.log_aspects),
             lower_tail(poster_class_log_probability, reference.poster_class_log_probabilities))
    weights = (1.0, 1.0, 1.0, ASPECT_WEIGHT, 1.0)
    return sum(w * -np.log(np.maximum(t, 1e-300)) for w, t in zip(weights, tails))


def poster_likeness(outputs: dict, batch: np.ndarray, log_aspect, reference: LikenessReference) -> np.ndarray:
    """outputs: the graph's feature_distance and poster_class_log_probability (N,); the model input batch
    (N, H, W, 3); ln(width / height) of each image (N,)."""
    image_detail, flat_share = texture(batch)
    score = unusualness(np.atleast_1d(outputs["feature_distance"]), image_detail, flat_share,
                        np.atleast_1d(log_aspect), np.atleast_1d(outputs["poster_class_log_probability"]), reference)
    return share_at_or_above(score, reference.scores)
