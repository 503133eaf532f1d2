"""Poster likeness: five tails against the training posters, combined, read as a share of real posters."""
import numpy as np
import pytest

from poster_model.likeness import LikenessReference, poster_likeness, texture, unusualness

RNG = np.random.default_rng(3)
POSTER_ASPECT = np.log(0.675)
POSTER_CLASS = np.log(0.6)
"""A typical poster's log probability of the ImageNet poster classes (book jacket, comic book, web site)."""


def likeness(reference, distance, batch, aspect=POSTER_ASPECT, poster_class=POSTER_CLASS) -> float:
    outputs = {"feature_distance": distance, "poster_class_log_probability": poster_class}
    return poster_likeness(outputs, batch, aspect, reference)[0]


def textured(value: float = 18.0) -> np.ndarray:
    """A batch of one 40 x 30 image whose grey steps average about `value`."""
    ramp = (np.arange(40)[:, None] * value / 2 + np.arange(30)[None, :] * value / 2) % 510
    folded = np.where(ramp > 255, 510 - ramp, ramp)
    return np.repeat(folded[None, :, :, None], 3, axis=3).astype(np.uint8)


@pytest.fixture(scope="module")
def reference():
    distances = np.sort(RNG.gamma(9, 1, 5000))
    details = np.sort(RNG.normal(18, 4, 5000).clip(2))
    flat_shares = np.sort(RNG.beta(2, 12, 5000))
    # mostly 2:3 upright, as real posters are, with a few square and wide ones
    aspects = np.sort(np.concatenate([RNG.normal(POSTER_ASPECT, 0.03, 4925),
                                      RNG.uniform(np.log(0.5), np.log(2.1), 75)]))
    poster_class = np.sort(np.log(RNG.beta(3, 2, 5000)))
    parts = LikenessReference(distances, details, flat_shares, aspects, poster_class, np.array([]))
    scores = unusualness(*(RNG.permutation(v) for v in (distances, details, flat_shares, aspects, poster_class)),
                         parts)
    return LikenessReference(distances, details, flat_shares, aspects, poster_class, np.sort(scores))


def test_texture_measures_detail_and_the_share_of_flat_pixels():
    blank = np.full((1, 40, 30, 3), 200, dtype=np.uint8)
    assert texture(blank)[0][0] == 0 and texture(blank)[1][0] == 1
    detail, flat = texture(textured())
    assert detail[0] > 10 and flat[0] == 0


def test_texture_is_the_mean_grey_step_and_the_share_of_steps_under_one_grey_level():
    image = RNG.integers(0, 256, (2, 20, 16, 3), dtype=np.uint8)
    image[0, :10] = 90
    grey = image.astype(np.float64).mean(axis=3)
    steps = np.abs(np.diff(grey, axis=1))[:, :, :-1] + np.abs(np.diff(grey, axis=2))[:, :-1, :]
    detail, flat = texture(image)
    np.testing.assert_allclose(detail, steps.mean(axis=(1, 2)))
    np.testing.assert_allclose(flat, (steps < 1 - 1e-9).mean(axis=(1, 2)))
    assert 0.4 < flat[0] < 0.5 and flat[1] < 0.05


def test_a_typical_poster_is_as_likely_as_most_posters(reference):
    assert likeness(reference, reference.feature_distances[2500], textured()) > 0.3


def test_a_blank_image_is_unlike_any_poster(reference):
    blank = np.full((1, 40, 30, 3), 200, dtype=np.uint8)
    assert likeness(reference, reference.feature_distances[2500], blank) < 0.004


def test_far_features_alone_make_an_image_unlike_a_poster(reference):
    far = reference.feature_distances[-1] * 3
    assert likeness(reference, far, textured()) < 0.004


def test_far_more_detail_than_any_poster_makes_an_image_unlike_a_poster(reference):
    """Pixel noise: every neighbour differs, more than on the busiest poster."""
    noise = RNG.integers(0, 256, (1, 40, 30, 3), dtype=np.uint8)
    assert texture(noise)[0][0] > reference.details[-1] * 2
    assert likeness(reference, reference.feature_distances[2500], noise) < 0.004


def test_what_imagenet_calls_a_photograph_alone_makes_an_image_unlike_a_poster(reference):
    """A coffee cup: almost no probability on the classes posters fall in."""
    assert likeness(reference, reference.feature_distances[2500], textured(), poster_class=np.log(1e-4)) < 0.004


def test_an_odd_shape_alone_lowers_likeness_but_does_not_decide(reference):
    typical = likeness(reference, reference.feature_distances[2500], textured())
    landscape = likeness(reference, reference.feature_distances[2500], textured(), aspect=np.log(4 / 3))
    assert 0.004 < landscape < typical


def test_the_reference_survives_the_trip_through_model_metadata(reference):
    again = LikenessReference.from_metadata(reference.to_metadata())
    np.testing.assert_allclose(again.scores, reference.scores, rtol=1e-5)
