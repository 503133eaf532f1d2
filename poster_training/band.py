"""The "hard to tell" band: probabilities [low, high) where the model does not commit, chosen on training posters."""
import numpy as np
from sklearn.metrics import balanced_accuracy_score

MIN_DECISIVE_SHARE = 0.62
"""The issue asks at least 60 % decisive on validation; 2 points of margin for the step from CV to new posters.
(0.65 was tried first: 65 % decisive on validation, but balanced accuracy 0.745 there, under the 0.75 asked.)"""
GRID_QUANTILES = np.linspace(0.0, 1.0, 81)


def decisive_figures(p: np.ndarray, y: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """(share answered decisively, balanced accuracy on those): >= high says thriller, < low says not."""
    decisive = (p < low) | (p >= high)
    if len(np.unique(y[decisive])) < 2:
        return float(decisive.mean()), float("nan")
    return float(decisive.mean()), float(balanced_accuracy_score(y[decisive], p[decisive] >= high))


def choose_band(p: np.ndarray, y: np.ndarray, cut_probability: float) -> tuple[tuple[float, float], list[dict]]:
    """Among bands around the balanced-accuracy cut (so a decisive verdict never contradicts `label`), the one
    with the best balanced accuracy on decisive answers that still answers MIN_DECISIVE_SHARE decisively.

    Returns the band and the trade-off: for each decisive share, the best balanced accuracy reachable.
    """
    edges = np.unique(np.quantile(p, GRID_QUANTILES))
    lows = [edge for edge in edges if edge <= cut_probability] + [cut_probability]
    highs = [edge for edge in edges if edge >= cut_probability] + [cut_probability]
    candidates = []
    for low in lows:
        for high in highs:
            share, accuracy = decisive_figures(p, y, low, high)
            if not np.isnan(accuracy):
                candidates.append((share, accuracy, float(low), float(high)))
    eligible = [c for c in candidates if c[0] >= MIN_DECISIVE_SHARE]
    _, _, low, high = max(eligible, key=lambda c: (c[1], c[0]))
    trade_off = []
    for share_floor in (1.0, 0.9, 0.8, 0.7, MIN_DECISIVE_SHARE, 0.6, 0.5, 0.4):
        reachable = [c for c in candidates if c[0] >= share_floor - 1e-9]
        share, accuracy, l, h = max(reachable, key=lambda c: (c[1], c[0]))
        trade_off.append({"at_least_decisive": share_floor, "decisive": round(share, 3),
                          "balanced_accuracy": round(accuracy, 4), "band": [round(l, 4), round(h, 4)]})
    return (low, high), trade_off
