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
combined as a sum of -log tails (aspect weighted by half: posters do come in other shapes), and the one-class
likeness is the share of training posters whose combined score is at least as unusual: it reads like a p-value.

6. What the model learned from real images that are not posters (a logistic layer on the backbone's features, in
   the graph: poster, photograph, screen (screenshots, documents, charts) or other picture): its log-odds of
   "poster", read the same way as the share of training posters (cross-fitted) with log-odds at most as low.

poster_likeness is the lower of the two shares; under the threshold the answer is "not a poster", and
not_a_poster_reason names the part that made it so (NOT_A_POSTER_REASONS).
"""
from dataclasses import dataclass, field

import numpy as np

ASPECT_WEIGHT = 0.5
FLAT_STEP = 1.0
"""A pixel is flat when its grey steps down and across add up to less than this (out of 255)."""
REFERENCE_NAMES = ("feature_distances", "details", "flat_shares", "log_aspects", "poster_class_log_probabilities",
                   "scores", "poster_scores")
KINDS = ("poster", "photograph", "screen", "other")
"""The classes of the graph's kind_probabilities, in order."""
NOT_A_POSTER_REASONS = ("blank", "mostly_flat", "odd_shape", "photograph", "unlike_posters")
"""not_a_poster_reason, when an image is answered "not a poster":
blank           almost no detail (a solid colour, a smooth gradient, an empty page)
mostly_flat     most of it perfectly flat background, or learned as a screen (screenshot, document, chart)
odd_shape       its width to height is far from any poster's
photograph      learned as a photograph
unlike_posters  anything else: features, ImageNet classes or pixel noise unlike any poster's, or other pictures"""
KIND_REASONS = {"photograph": "photograph", "screen": "mostly_flat", "other": "unlike_posters"}


@dataclass(frozen=True)
class LikenessReference:
    """Sorted values of the training posters (feature distances cross-fitted), carried in the model file."""
    feature_distances: np.ndarray
    details: np.ndarray
    flat_shares: np.ndarray
    log_aspects: np.ndarray
    poster_class_log_probabilities: np.ndarray
    scores: np.ndarray
    poster_scores: np.ndarray = field(default_factory=lambda: np.array([]))
    """Cross-fitted log-odds of "poster" from the kind layer; empty for a file without one."""

    @classmethod
    def from_metadata(cls, values: dict) -> "LikenessReference":
        return cls(*(np.asarray(values.get(name, []), dtype=np.float64) for name in REFERENCE_NAMES))

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


def tails(feature_distance, image_detail, flat_share, log_aspect, poster_class_log_probability,
          reference: LikenessReference) -> dict[str, np.ndarray]:
    """Each part's tail probability against the training posters, by name."""
    return {"feature_distance": upper_tail(feature_distance, reference.feature_distances),
            "detail": two_sided_tail(image_detail, reference.details),
            "flat_share": upper_tail(flat_share, reference.flat_shares),
            "aspect": two_sided_tail(log_aspect, reference.log_aspects),
            "poster_class": lower_tail(poster_class_log_probability, reference.poster_class_log_probabilities)}


WEIGHTS = {"feature_distance": 1.0, "detail": 1.0, "flat_share": 1.0, "aspect": ASPECT_WEIGHT, "poster_class": 1.0}


def surprises(part_tails: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each part's weighted -log tail: its share of the combined score."""
    return {name: WEIGHTS[name] * -np.log(np.maximum(tail, 1e-300)) for name, tail in part_tails.items()}


def unusualness(feature_distance, image_detail, flat_share, log_aspect, poster_class_log_probability,
                reference: LikenessReference) -> np.ndarray:
    """Sum of -log tail probabilities (features far, detail odd either way, flat share high, shape odd either way,
    poster classes unlikely)."""
    return sum(surprises(tails(feature_distance, image_detail, flat_share, log_aspect, poster_class_log_probability,
                               reference)).values())


def poster_log_odds(kind_probabilities: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(kind_probabilities, dtype=np.float64), 1e-12, 1.0)
    return np.log(p[:, 0]) - np.log(np.clip(1 - p[:, 0], 1e-12, 1.0))


def share_at_or_below(values: np.ndarray, sorted_reference: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_reference, values, side="right") / len(sorted_reference)


@dataclass(frozen=True)
class Likeness:
    """poster_likeness (N,), the lower of the one-class share and the learned share, and its parts."""
    one_class: np.ndarray
    learned: np.ndarray
    surprises: dict[str, np.ndarray]
    detail: np.ndarray
    kind_probabilities: np.ndarray | None
    least_poster_detail: float
    """No training poster has less detail: an image with less is "blank"."""

    @property
    def poster_likeness(self) -> np.ndarray:
        return np.minimum(self.one_class, self.learned)

    def reasons(self, threshold: float) -> list[str | None]:
        """The reason for each image answered "not a poster" (None for the others). The one-class part that
        surprised most names it when the one-class share is under the threshold, but an image with less detail
        than any training poster is "blank": much flat background "mostly_flat", shape "odd_shape"; features,
        detail or ImageNet classes unlike posters are named by the learned layer's likeliest kind when that is not
        "poster", else "unlike_posters". When only the learned share is under it, the likeliest kind but
        poster names it."""
        found = []
        for n, likeness in enumerate(self.poster_likeness):
            if likeness >= threshold:
                found.append(None)
                continue
            kinds = None if self.kind_probabilities is None else self.kind_probabilities[n]
            likeliest_other = None if kinds is None else KIND_REASONS[KINDS[1 + int(np.argmax(kinds[1:]))]]
            if self.one_class[n] >= threshold:
                found.append(likeliest_other or "unlike_posters")
                continue
            part = max(self.surprises, key=lambda name: self.surprises[name][n])
            if self.detail[n] < self.least_poster_detail:
                found.append("blank")
            elif part == "flat_share":
                found.append("mostly_flat")
            elif part == "aspect":
                found.append("odd_shape")
            else:
                seen_as_other = kinds is not None and int(np.argmax(kinds)) != 0
                found.append(likeliest_other if seen_as_other else "unlike_posters")
        return found


def likeness_of(outputs: dict, batch: np.ndarray, log_aspect, reference: LikenessReference) -> Likeness:
    """outputs: the graph's feature_distance and poster_class_log_probability (N,), and kind_probabilities (N, 4)
    when the file has the learned layer; the model input batch (N, H, W, 3); ln(width / height) of each image."""
    image_detail, flat_share = texture(batch)
    parts = surprises(tails(np.atleast_1d(outputs["feature_distance"]), image_detail, flat_share,
                            np.atleast_1d(log_aspect), np.atleast_1d(outputs["poster_class_log_probability"]),
                            reference))
    one_class = share_at_or_above(sum(parts.values()), reference.scores)
    kinds = outputs.get("kind_probabilities")
    learned = (share_at_or_below(poster_log_odds(kinds), reference.poster_scores)
               if kinds is not None and len(reference.poster_scores) else np.ones_like(one_class))
    return Likeness(one_class, learned, parts, image_detail, kinds,
                    float(reference.details[0]) if len(reference.details) else 0.0)


def poster_likeness(outputs: dict, batch: np.ndarray, log_aspect, reference: LikenessReference) -> np.ndarray:
    """outputs: the graph's feature_distance and poster_class_log_probability (N,) (and kind_probabilities);
    the model input batch (N, H, W, 3); ln(width / height) of each image (N,)."""
    return likeness_of(outputs, batch, log_aspect, reference).poster_likeness
