"""The reason an image is answered "not a poster": the part of poster likeness that made it unlike a poster."""
from dataclasses import replace

import numpy as np
import pytest

from poster_model.likeness import (KINDS, NOT_A_POSTER_REASONS, LikenessReference, likeness_of, texture,
                                   unusualness)

RNG = np.random.default_rng(11)
POSTER_ASPECT = np.log(2 / 3)
THRESHOLD = 0.004
POSTER_KINDS = np.array([0.97, 0.01, 0.01, 0.01])


def textured(value: float = 18.0, height: int = 40, width: int = 30) -> np.ndarray:
    """A batch of one image whose grey steps average about `value`."""
    ramp = (np.arange(height)[:, None] * value / 2 + np.arange(width)[None, :] * value / 2) % 510
    folded = np.where(ramp > 255, 510 - ramp, ramp)
    return np.repeat(folded[None, :, :, None], 3, axis=3).astype(np.uint8)


@pytest.fixture(scope="module")
def reference():
    n = 5000
    parts = LikenessReference(np.sort(RNG.gamma(9, 1, n)), np.sort(RNG.normal(18, 4, n).clip(2)),
                              np.sort(RNG.beta(2, 12, n)), np.sort(RNG.normal(POSTER_ASPECT, 0.03, n)),
                              np.sort(np.log(RNG.beta(3, 2, n))), np.array([]))
    scores = unusualness(*(RNG.permutation(v) for v in (parts.feature_distances, parts.details, parts.flat_shares,
                                                         parts.log_aspects, parts.poster_class_log_probabilities)),
                         parts)
    return replace(parts, scores=np.sort(scores), poster_scores=np.sort(RNG.normal(4.0, 1.0, n)))


def reason(reference, batch, distance=None, aspect=POSTER_ASPECT, poster_class=np.log(0.6), kinds=POSTER_KINDS):
    outputs = {"feature_distance": np.array([reference.feature_distances[2500] if distance is None else distance]),
               "poster_class_log_probability": np.array([poster_class]), "kind_probabilities": np.array([kinds])}
    return likeness_of(outputs, batch, np.array([aspect]), reference).reasons(THRESHOLD)[0]


def test_an_image_like_a_poster_has_no_reason(reference):
    assert reason(reference, textured()) is None


def test_an_image_without_detail_is_blank(reference):
    assert reason(reference, np.full((1, 40, 30, 3), 200, dtype=np.uint8)) == "blank"


def test_an_image_of_mostly_flat_background_is_mostly_flat(reference):
    page = np.full((1, 40, 30, 3), 255, dtype=np.uint8)
    page[:, 4:36:8, 3:24] = RNG.integers(0, 256, (4, 21, 3))
    detail, flat = texture(page)
    assert detail[0] > reference.details[100] and flat[0] > reference.flat_shares[-1]
    assert reason(reference, page) == "mostly_flat"


def test_a_far_odd_shape_with_features_slightly_unusual_is_an_odd_shape(reference):
    assert reason(reference, textured(), distance=reference.feature_distances[4900], aspect=np.log(5.0)) == "odd_shape"


@pytest.mark.parametrize("kind", KINDS[1:])
def test_the_learned_layer_alone_names_the_kind_it_sees(reference, kind):
    kinds = np.full(len(KINDS), 0.01)
    kinds[KINDS.index(kind)] = 0.97
    expected = {"photograph": "photograph", "screen": "mostly_flat", "other": "unlike_posters"}[kind]
    assert reason(reference, textured(), kinds=kinds) == expected


def test_features_unlike_any_poster_defer_to_the_learned_kind_or_are_unlike_posters(reference):
    far = reference.feature_distances[-1] * 3
    assert reason(reference, textured(), distance=far) == "unlike_posters"
    assert reason(reference, textured(), distance=far, kinds=np.array([0.01, 0.97, 0.01, 0.01])) == "photograph"


def test_every_reason_given_is_a_documented_code(reference):
    batches = [textured(v) for v in (0.0, 2.0, 18.0, 200.0)] + [RNG.integers(0, 256, (1, 40, 30, 3), dtype=np.uint8)]
    for batch in batches:
        for kinds in (POSTER_KINDS, np.array([0.01, 0.01, 0.97, 0.01])):
            assert reason(reference, batch, kinds=kinds) in NOT_A_POSTER_REASONS + (None,)
