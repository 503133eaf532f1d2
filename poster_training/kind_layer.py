"""The learned "not a poster" layer: multinomial logistic regression on the pooled backbone features, posters
against photographs, screens (screenshots, documents, charts) and other pictures that are not posters.

C is chosen by grouped cross-validation (each non-poster source, a package or a generator, held out whole; the
posters in random folds) for the share of held-out non-posters flagged at the cut that flags FLAG_SHARE of the
held-out posters. The training posters' cross-fitted log-odds of "poster" become the reference that
poster_model.likeness reads a new image's against.
"""
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from poster_model.likeness import KINDS, poster_log_odds
from poster_training.head import CV_FOLDS, SEED
from poster_training.likeness import FLAG_SHARE

C_GRID = (0.001, 0.003, 0.01)
MAX_ITERATIONS = 3000


@dataclass
class KindLayer:
    weight: np.ndarray
    """(features, kinds), standardisation folded in."""
    bias: np.ndarray
    c: float
    cv: dict
    poster_scores: np.ndarray
    """Cross-fitted log-odds of "poster" of every training poster."""


def fit_one(x: np.ndarray, kinds: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=MAX_ITERATIONS)
    model.fit(scaler.transform(x), kinds)
    weight = model.coef_.T / scaler.scale_[:, None]
    bias = model.intercept_ - (scaler.mean_ / scaler.scale_) @ model.coef_.T
    return weight, bias


def folds(groups: list[str], posters: int) -> np.ndarray:
    """Fold of each row: posters at random, each non-poster source whole (GroupKFold balances their sizes)."""
    fold = np.zeros(len(groups), dtype=int)
    fold[:posters] = np.random.default_rng(SEED).permutation(posters) % CV_FOLDS
    negative_rows = np.arange(posters, len(groups))
    for index, (_, held) in enumerate(GroupKFold(CV_FOLDS).split(negative_rows, groups=np.array(groups)[posters:])):
        fold[negative_rows[held]] = index
    return fold


def fit_kind_layer(x_posters: np.ndarray, x_negatives: np.ndarray, negative_kinds: list[str],
                   negative_sources: list[str]) -> KindLayer:
    """negative_kinds: poster_model.likeness.KINDS names (not "poster"); negative_sources: package or generator."""
    x = np.concatenate([x_posters, x_negatives])
    kinds = np.concatenate([np.zeros(len(x_posters), dtype=int), [KINDS.index(k) for k in negative_kinds]])
    fold = folds(["poster"] * len(x_posters) + list(negative_sources), len(x_posters))
    cv, out_of_fold = {}, {}
    for c in C_GRID:
        scores = np.zeros(len(x))
        for k in range(CV_FOLDS):
            weight, bias = fit_one(x[fold != k], kinds[fold != k], c)
            logits = x[fold == k].astype(np.float64) @ weight + bias
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            scores[fold == k] = poster_log_odds(p / p.sum(axis=1, keepdims=True))
        cut = np.quantile(scores[:len(x_posters)], FLAG_SHARE)
        flagged = scores[len(x_posters):] < cut
        by_source = {source: float(flagged[np.array(negative_sources) == source].mean())
                     for source in sorted(set(negative_sources))}
        cv[c] = {"flagged_share_held_out_sources": round(float(flagged.mean()), 4),
                 "mean_over_sources": round(float(np.mean(list(by_source.values()))), 4),
                 "by_source": {s: round(v, 4) for s, v in by_source.items()}}
        out_of_fold[c] = scores
        print(f"  kind layer CV C={c:g}: held-out non-posters flagged {flagged.mean():.3f} "
              f"(mean over sources {cv[c]['mean_over_sources']:.3f})")
    chosen = max(C_GRID, key=lambda c: cv[c]["mean_over_sources"])
    weight, bias = fit_one(x, kinds, chosen)
    return KindLayer(weight, bias, chosen, cv, out_of_fold[chosen][:len(x_posters)])
