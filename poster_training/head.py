"""The genre-stacked head: ridge regression to IMDb genres, a logistic head on the scores, nested CV."""
from typing import NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

SEED = 20260525
CV_FOLDS = 5
RIDGE_ALPHAS = (10000.0, 30000.0, 100000.0)
STACK_C_GRID = (0.01, 0.03, 0.1)


class CvResult(NamedTuple):
    roc_auc: float
    balanced_accuracy: float
    cut: float
    out_of_fold_logits: np.ndarray


def fit_genre_regression(x: np.ndarray, x_flipped: np.ndarray, genres: np.ndarray, alpha: float):
    """Standardise + multi-output ridge regression to the genre indicators, on each poster and its mirror."""
    both = np.concatenate([x, x_flipped])
    scaler = StandardScaler().fit(both)
    return scaler, Ridge(alpha=alpha).fit(scaler.transform(both), np.concatenate([genres, genres]))


def genre_scores(genre_model, x: np.ndarray) -> np.ndarray:
    scaler, ridge = genre_model
    return ridge.predict(scaler.transform(x))


def stack_inputs(scores: np.ndarray) -> np.ndarray:
    """Genre scores and their squares: lets the head express 'thriller OR crime' and genre exclusions."""
    return np.concatenate([scores, scores ** 2], axis=1)


def out_of_fold_genre_scores(x, x_flipped, y, genres, alpha: float, seed: int = SEED) -> np.ndarray:
    """Genre scores of each poster from a ridge that never saw it, so the head learns from honest scores."""
    scores = np.zeros((len(y), genres.shape[1]))
    for fit_rows, held_rows in StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed).split(x, y):
        model = fit_genre_regression(x[fit_rows], x_flipped[fit_rows], genres[fit_rows], alpha)
        scores[held_rows] = genre_scores(model, x[held_rows])
    return scores


def fit_stack(scores: np.ndarray, y: np.ndarray, c: float):
    """Standardise + class-balanced L2 logistic regression on the genre scores and their squares."""
    inputs = stack_inputs(scores)
    scaler = StandardScaler().fit(inputs)
    head = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    return scaler, head.fit(scaler.transform(inputs), y)


def stack_logit(stack, scores: np.ndarray) -> np.ndarray:
    scaler, head = stack
    return head.decision_function(scaler.transform(stack_inputs(scores)))


def best_threshold(y: np.ndarray, logits: np.ndarray) -> float:
    """The logit cut that maximises balanced accuracy (midpoint between neighbouring scores)."""
    order = np.sort(np.unique(logits))
    candidates = np.concatenate([[order[0] - 1], (order[:-1] + order[1:]) / 2])
    scores = [balanced_accuracy_score(y, logits > cut) for cut in candidates]
    return float(candidates[int(np.argmax(scores))])


def cross_validate(x, x_flipped, y, genres, folds: int = CV_FOLDS, seed: int = SEED):
    """Nested CV: out-of-fold logits for each (ridge alpha, head C); returns {(alpha, C): CvResult}.

    Within each outer fold the head is fitted on inner out-of-fold genre scores, as in the final fit.
    """
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    logits = {(alpha, c): np.zeros(len(y)) for alpha in RIDGE_ALPHAS for c in STACK_C_GRID}
    outer = list(splitter.split(x, y))
    with tqdm(total=len(outer) * len(RIDGE_ALPHAS), desc="cross-validation", unit="fit") as progress:
        for fit_rows, held_rows in outer:
            for alpha in RIDGE_ALPHAS:
                fit_scores = out_of_fold_genre_scores(x[fit_rows], x_flipped[fit_rows], y[fit_rows],
                                                      genres[fit_rows], alpha, seed)
                genre_model = fit_genre_regression(x[fit_rows], x_flipped[fit_rows], genres[fit_rows], alpha)
                held_scores = genre_scores(genre_model, x[held_rows])
                for c in STACK_C_GRID:
                    stack = fit_stack(fit_scores, y[fit_rows], c)
                    logits[alpha, c][held_rows] = stack_logit(stack, held_scores)
                progress.update()
    results = {}
    for key, values in logits.items():
        cut = best_threshold(y, values)
        results[key] = CvResult(roc_auc_score(y, values), balanced_accuracy_score(y, values > cut), cut, values)
    return results


def folded_head(genre_model, stack, cut: float) -> dict[str, np.ndarray]:
    """Fold both standardisations and the decision cut into plain weights (argmax == logit > cut)."""
    feature_scaler, ridge = genre_model
    genre_weight = ridge.coef_.T / feature_scaler.scale_[:, None]
    genre_bias = ridge.intercept_ - (feature_scaler.mean_ / feature_scaler.scale_) @ ridge.coef_.T
    stack_scaler, head = stack
    weight = head.coef_[0] / stack_scaler.scale_
    bias = head.intercept_[0] - np.dot(head.coef_[0], stack_scaler.mean_ / stack_scaler.scale_) - cut
    genre_count = genre_weight.shape[1]
    return {"genre_weight": genre_weight, "genre_bias": genre_bias, "linear_weight": weight[:genre_count],
            "square_weight": weight[genre_count:], "bias": np.array(bias)}
