"""From a ranking score to a probability: Platt, beta or isotonic calibration, chosen by cross-validated log loss.

Each calibrator maps the head's logit z (balanced cut folded in) to P(thriller/crime); all three are small enough
to live inside the ONNX graph (see poster_training.graph.Calibration).
"""
from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from poster_training.head import CV_FOLDS, SEED

PROBABILITY_FLOOR = 1e-3
"""Isotonic steps can reach 0 or 1; no poster deserves that certainty (and log loss would be infinite)."""
KINDS = ("platt", "beta", "isotonic")
SMOOTH_KINDS = ("platt", "beta")
"""The kinds that may ship. Isotonic steps turn the int8 kernels' rounding of the logit into jumps of the served
probability: measured on 300 validation posters (AVX-512 VNNI, optimised against QDQ-in-float), up to 0.094
with isotonic against 0.023 with Platt, for a cross-validated log loss better by only 0.0007."""


def softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def beta_inputs(z: np.ndarray) -> np.ndarray:
    """ln s and -ln(1 - s) of s = sigmoid(z): beta calibration is a logistic regression on these."""
    return np.stack([-softplus(-z), softplus(z)], axis=1)


@dataclass
class Calibrator:
    kind: str
    weights: np.ndarray
    """platt: [a, b]; beta: [a, b, c]; isotonic: knots x then values y, concatenated."""

    def predict(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        if self.kind == "platt":
            p = 1 / (1 + np.exp(-(self.weights[0] * z + self.weights[1])))
        elif self.kind == "beta":
            a, b, c = self.weights
            p = 1 / (1 + np.exp(-(beta_inputs(z) @ np.array([a, b]) + c)))
        else:
            knots, values = np.split(self.weights, 2)
            p = np.interp(z, knots, values)
        return np.clip(p, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def fit_calibrator(kind: str, z: np.ndarray, y: np.ndarray) -> Calibrator:
    if kind == "platt":
        model = LogisticRegression(C=1e6, max_iter=1000).fit(z[:, None], y)
        return Calibrator(kind, np.array([model.coef_[0, 0], model.intercept_[0]]))
    if kind == "beta":
        model = LogisticRegression(C=1e6, max_iter=1000).fit(beta_inputs(z), y)
        return Calibrator(kind, np.array([*model.coef_[0], model.intercept_[0]]))
    isotonic = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(z, y)
    return Calibrator(kind, np.concatenate([isotonic.X_thresholds_, isotonic.y_thresholds_]))


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Equal-width bins over [0, 1], weighted by how many posters fall in each."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(p[inside].mean() - y[inside].mean())
    return float(error)


def cross_fitted(kind: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each poster's calibrated probability from a calibrator that never saw it."""
    p = np.zeros(len(y))
    for fit_rows, held_rows in StratifiedKFold(CV_FOLDS, shuffle=True, random_state=SEED).split(z, y):
        p[held_rows] = fit_calibrator(kind, z[fit_rows], y[fit_rows]).predict(z[held_rows])
    return p


def choose_calibrator(z: np.ndarray, y: np.ndarray) -> tuple[Calibrator, dict]:
    """The smooth kind (SMOOTH_KINDS) with the lowest cross-validated log loss, refitted on all of z; and each
    kind's CV figures, isotonic's included."""
    table = {}
    for kind in KINDS:
        p = cross_fitted(kind, z, y)
        table[kind] = {"log_loss": round(log_loss(p, y), 4), "brier": round(brier(p, y), 4),
                       "ece": round(expected_calibration_error(p, y), 4)}
    best = min(SMOOTH_KINDS, key=lambda kind: table[kind]["log_loss"])
    return fit_calibrator(best, z, y), table


def reliability_diagram(p: np.ndarray, y: np.ndarray, path, title: str, bins: int = 10) -> None:
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    which = np.minimum((p * bins).astype(int), bins - 1)
    centres, observed = [], []
    for b in range(bins):
        inside = which == b
        if inside.any():
            centres.append(p[inside].mean())
            observed.append(y[inside].mean())
    figure, (top, bottom) = pyplot.subplots(2, 1, figsize=(5, 6), gridspec_kw={"height_ratios": [3, 1]},
                                            sharex=True, dpi=100)
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    top.plot(centres, observed, marker="o", color="#b3261e", label="validation posters")
    top.set_ylabel("share that are thriller/crime")
    top.set_title(title, fontsize=10)
    top.legend(loc="upper left")
    bottom.bar([(b + 0.5) / bins for b in range(bins)],
               [int((which == b).sum()) for b in range(bins)], width=0.9 / bins, color="#555")
    bottom.set_xlabel("predicted probability (10 equal-width bins)")
    bottom.set_ylabel("posters")
    bottom.set_xlim(0, 1)
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    pyplot.close(figure)
