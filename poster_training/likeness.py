"""How much an image looks like a movie poster: its distance from the training posters in feature space.

Standardised pooled features -> principal subspace (Mahalanobis distance there) plus the residual outside it;
poster_likeness is the share of training posters (each measured by a model fitted without it) that lie at
least as far away, so it reads like a p-value: 0.004 means "only 0.4 % of real posters look this unusual".
"""
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold

from poster_training.head import CV_FOLDS, SEED

COMPONENTS = 32
REFERENCE_QUANTILES = 512
"""The reference distances are stored as this many quantiles (enough resolution below the 1 % tail)."""
FLAG_SHARE = 0.004
"""Likeness under this flags "not a poster": about 0.4 % of training posters (cross-fitted); the issue allows 1 %."""


@dataclass
class Subspace:
    mean: np.ndarray
    scale: np.ndarray
    components: np.ndarray
    variances: np.ndarray
    residual_variance: float

    def distance(self, x: np.ndarray) -> np.ndarray:
        z = (x - self.mean) / self.scale
        projected = z @ self.components
        residual = np.maximum((z * z).sum(axis=1) - (projected * projected).sum(axis=1), 0.0)
        return np.sqrt((projected ** 2 / self.variances).sum(axis=1) + residual / self.residual_variance)


def fit_subspace(x: np.ndarray, components: int = COMPONENTS) -> Subspace:
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    variances = singular ** 2 / (len(x) - 1)
    residual_variance = variances[components:].mean()
    return Subspace(mean, scale, vt[:components].T, variances[:components], float(residual_variance))


@dataclass
class LikenessModel:
    subspace: Subspace
    reference_distances: np.ndarray
    """Sorted quantiles of cross-fitted training distances."""

    def likeness(self, x: np.ndarray) -> np.ndarray:
        return likeness_from_distance(self.subspace.distance(x), self.reference_distances)


def likeness_from_distance(distance: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (reference[None, :] >= distance[:, None]).mean(axis=1)


def fit_likeness(x: np.ndarray) -> LikenessModel:
    """The subspace from all training posters; the reference distances each from a subspace that never saw it."""
    distances = np.zeros(len(x))
    for fit_rows, held_rows in KFold(CV_FOLDS, shuffle=True, random_state=SEED).split(x):
        distances[held_rows] = fit_subspace(x[fit_rows]).distance(x[held_rows])
    reference = np.quantile(distances, (np.arange(REFERENCE_QUANTILES) + 0.5) / REFERENCE_QUANTILES)
    return LikenessModel(fit_subspace(x), np.sort(reference))
