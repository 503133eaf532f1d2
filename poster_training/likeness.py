"""The feature parts of poster likeness: distance from the training posters in the backbone's feature space, and
the probability the backbone's ImageNet classifier gives the classes posters fall in.

Standardised pooled features -> principal subspace (Mahalanobis distance there) plus the residual outside it.
The training posters' own distances are cross-fitted (each from a subspace fitted without it), so they are the
distances a new poster would get; poster_model.likeness combines them with detail and aspect ratio.
"""
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold

from poster_training.head import CV_FOLDS, SEED

COMPONENTS = 32
HEAD_CHANNELS = 1280
"""The first channels of the pooled features: the backbone's head, which its ImageNet classifier reads."""
POSTER_CLASS_MIN_SHARE = 0.05
"""An ImageNet class is a poster class when it is the top class of at least this share of training posters."""
FLAG_SHARE = 0.004
"""Likeness under this flags "not a poster": about 0.4 % of training posters; the issue allows 1 % of validation."""


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


def cross_fitted_distances(x: np.ndarray) -> np.ndarray:
    """Each training poster's distance from a subspace fitted without it."""
    distances = np.zeros(len(x))
    for fit_rows, held_rows in KFold(CV_FOLDS, shuffle=True, random_state=SEED).split(x):
        distances[held_rows] = fit_subspace(x[fit_rows]).distance(x[held_rows])
    return distances


@dataclass
class ImagenetClassifier:
    """The backbone's own 1,000-class layer, and the classes that training posters mostly fall in."""
    weight: np.ndarray
    bias: np.ndarray
    poster_classes: list[int]

    def log_probabilities(self, x: np.ndarray) -> np.ndarray:
        logits = x[:, :HEAD_CHANNELS].astype(np.float64) @ self.weight.T.astype(np.float64) + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def poster_class_log_probability(self, x: np.ndarray) -> np.ndarray:
        log_p = self.log_probabilities(x)[:, self.poster_classes]
        top = log_p.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(log_p - top).sum(axis=1, keepdims=True)))[:, 0]


def imagenet_classifier(weight: np.ndarray, bias: np.ndarray, x_train: np.ndarray) -> ImagenetClassifier:
    """Poster classes chosen from the training posters alone (no image that is not a poster takes part)."""
    everything = ImagenetClassifier(weight, bias, [])
    top_classes = everything.log_probabilities(x_train).argmax(axis=1)
    shares = np.bincount(top_classes, minlength=len(bias)) / len(x_train)
    return ImagenetClassifier(weight, bias, [int(c) for c in np.flatnonzero(shares >= POSTER_CLASS_MIN_SHARE)])
