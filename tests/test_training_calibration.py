"""The training's calibration and "hard to tell" band choices, on synthetic scores whose truth is known."""
import numpy as np
import pytest

from poster_training import band, calibration

RNG_SEED = 11


def scores_and_labels(count: int, seed: int = RNG_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Logits whose true probability is sigmoid(2 z - 1.5): a shifted, stretched score as a balanced head makes."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.2, count)
    y = (rng.random(count) < 1 / (1 + np.exp(-(2 * z - 1.5)))).astype(int)
    return z, y


@pytest.mark.parametrize("kind", calibration.KINDS)
def test_each_calibrator_fitted_on_one_sample_is_calibrated_on_another(kind):
    z, y = scores_and_labels(20_000)
    fresh_z, fresh_y = scores_and_labels(20_000, seed=RNG_SEED + 1)
    calibrator = calibration.fit_calibrator(kind, z, y)
    assert calibration.expected_calibration_error(calibrator.predict(fresh_z), fresh_y) < 0.02


@pytest.mark.parametrize("kind", calibration.KINDS)
def test_calibrated_probabilities_never_reorder_scores_and_are_never_certain(kind):
    z, y = scores_and_labels(5_000)
    p = calibration.fit_calibrator(kind, z, y).predict(np.linspace(-20, 20, 401))
    assert np.all(np.diff(p) >= 0)
    assert p.min() >= calibration.PROBABILITY_FLOOR and p.max() <= 1 - calibration.PROBABILITY_FLOOR


def test_the_raw_balanced_score_is_not_calibrated_and_the_error_measure_says_so():
    z, y = scores_and_labels(20_000)
    assert calibration.expected_calibration_error(1 / (1 + np.exp(-z)), y) > 0.1


def test_expected_calibration_error_weights_each_bin_by_its_share():
    p = np.array([0.05, 0.05, 0.95, 0.95])
    y = np.array([0, 0, 1, 0])
    assert calibration.expected_calibration_error(p, y) == pytest.approx(0.5 * 0.05 + 0.5 * 0.45)


def test_the_chosen_calibrator_has_the_lowest_cross_validated_log_loss():
    z, y = scores_and_labels(4_000)
    chosen, table = calibration.choose_calibrator(z, y)
    assert table[chosen.kind]["log_loss"] == min(row["log_loss"] for row in table.values())


def test_the_band_contains_the_balanced_cut_and_answers_enough_posters_decisively():
    z, y = scores_and_labels(5_000)
    calibrator = calibration.fit_calibrator("platt", z, y)
    p = calibrator.predict(z)
    cut = float(calibrator.predict(np.array([0.0]))[0])
    (low, high), trade_off = band.choose_band(p, y, cut)
    share, accuracy = band.decisive_figures(p, y, low, high)
    assert low <= cut <= high
    assert share >= band.MIN_DECISIVE_SHARE
    assert accuracy > band.decisive_figures(p, y, cut, cut)[1]
    assert [row["at_least_decisive"] for row in trade_off] == sorted((r["at_least_decisive"] for r in trade_off),
                                                                      reverse=True)
