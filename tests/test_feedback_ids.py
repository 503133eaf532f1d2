"""Prediction ids (chalicelib/prediction_ids.py): what the stage signed verifies; anything else is refused."""
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.prediction_ids import CLOCK_SKEW_S, Prediction, PredictionIdError, prediction_key, sign, verify

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = 1_800_000_000
DAY_S = 24 * 3600
ID_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

predictions = st.builds(
    Prediction,
    model_version=st.text(min_size=1, max_size=40),
    predicted_at=st.integers(NOW - DAY_S + 1, NOW),
    verdict=st.sampled_from(["thriller/crime", "hard to tell", "not thriller", "not a poster"]),
    probability=st.floats(0, 1),
    image_sha256=st.binary(min_size=1, max_size=64).map(lambda data: hashlib.sha256(data).hexdigest()),
)


@given(predictions)
def test_an_id_the_stage_signed_verifies_to_what_it_was_signed_over(prediction):
    verified = verify(sign(prediction, KEY), KEY, NOW, DAY_S)
    assert verified == Prediction(prediction.model_version, prediction.predicted_at, prediction.verdict,
                                  round(prediction.probability, 6), prediction.image_sha256)


@given(predictions, st.data())
def test_changing_any_one_character_of_an_id_makes_it_refused(prediction, data):
    prediction_id = sign(prediction, KEY)
    position = data.draw(st.integers(0, len(prediction_id) - 1))
    replacement = data.draw(st.sampled_from(ID_CHARACTERS).filter(lambda c: c != prediction_id[position]))
    tampered = prediction_id[:position] + replacement + prediction_id[position + 1:]
    with pytest.raises(PredictionIdError) as refused:
        verify(tampered, KEY, NOW, DAY_S)
    assert not refused.value.expired


@given(predictions)
def test_an_id_signed_with_another_key_is_refused(prediction):
    with pytest.raises(PredictionIdError, match="signature"):
        verify(sign(prediction, OTHER_KEY), KEY, NOW, DAY_S)


@given(predictions, st.text(min_size=1, max_size=3))
def test_appending_to_an_id_makes_it_refused(prediction, suffix):
    with pytest.raises(PredictionIdError):
        verify(sign(prediction, KEY) + suffix, KEY, NOW, DAY_S)


@given(st.one_of(st.text(max_size=600), st.binary(max_size=100), st.integers(), st.none(),
                 st.lists(st.text(), max_size=3)))
def test_anything_that_is_not_a_signed_id_is_refused_without_crashing(value):
    with pytest.raises(PredictionIdError):
        verify(value, KEY, NOW, DAY_S)


@given(predictions, st.integers(1, 10 * DAY_S))
def test_an_id_older_than_the_maximum_age_is_refused_as_expired(prediction, extra_s):
    prediction_id = sign(prediction, KEY)
    with pytest.raises(PredictionIdError) as refused:
        verify(prediction_id, KEY, prediction.predicted_at + DAY_S + extra_s, DAY_S)
    assert refused.value.expired


def test_an_id_dated_in_the_future_beyond_clock_skew_is_refused():
    future = Prediction("v", NOW + CLOCK_SKEW_S + 1, "not thriller", 0.1, hashlib.sha256(b"x").hexdigest())
    with pytest.raises(PredictionIdError, match="future"):
        verify(sign(future, KEY), KEY, NOW, DAY_S)


@given(predictions, predictions)
def test_two_different_predictions_get_different_record_keys(first, second):
    if sign(first, KEY) != sign(second, KEY):
        assert prediction_key(sign(first, KEY)) != prediction_key(sign(second, KEY))
