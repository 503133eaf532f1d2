"""Poster likeness: three tails against the training posters, combined, read as a share of real posters."""
import numpy as np
import pytest

from poster_model.likeness import LikenessReference, detail, poster_likeness, unusualness

RNG = np.random.default_rng(3)


@pytest.fixture(scope="module")
def reference():
    distances = np.sort(RNG.gamma(9, 1, 5000))
    details = np.sort(RNG.normal(18, 4, 5000).clip(2))
    aspects = np.sort(RNG.normal(np.log(0.675), 0.03, 5000))
    parts = LikenessReference(distances, details, aspects, np.array([]))
    scores = unusualness(RNG.permutation(distances), RNG.permutation(details), RNG.permutation(aspects), parts)
    return LikenessReference(distances, details, aspects, np.sort(scores))


def test_a_typical_poster_is_as_likely_as_most_posters(reference):
    likeness = poster_likeness(np.median(reference.feature_distances), 18.0, np.log(0.675), reference)[0]
    assert likeness > 0.5


def test_a_blank_image_has_no_detail_and_is_unlike_any_poster(reference):
    blank = np.full((1, 39, 26, 3), 200, dtype=np.uint8)
    assert detail(blank)[0] == 0
    assert poster_likeness(np.median(reference.feature_distances), detail(blank), np.log(0.675), reference)[0] < 0.004


def test_far_features_alone_make_an_image_unlike_a_poster(reference):
    assert poster_likeness(reference.feature_distances[-1] * 3, 18.0, np.log(0.675), reference)[0] < 0.004


def test_an_odd_shape_alone_lowers_likeness_but_does_not_decide(reference):
    typical = poster_likeness(np.median(reference.feature_distances), 18.0, np.log(0.675), reference)[0]
    landscape = poster_likeness(np.median(reference.feature_distances), 18.0, np.log(4 / 3), reference)[0]
    assert 0.004 < landscape < typical


def test_likeness_is_a_share_of_training_posters(reference):
    values = poster_likeness(reference.feature_distances, np.full(5000, 18.0), np.full(5000, np.log(0.675)),
                             reference)
    assert np.all((values >= 0) & (values <= 1))


def test_the_reference_survives_the_trip_through_model_metadata(reference):
    again = LikenessReference.from_metadata(reference.to_metadata())
    np.testing.assert_allclose(again.scores, reference.scores, rtol=1e-5)
