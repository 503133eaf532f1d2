"""Rebuild model/poster_classifier.onnx and its figures from the posters, reproducibly.

Steps: stratified validation split (never used to fit or choose anything) -> the backbone exported and
quantised to int8 (MinMax ranges from training posters) -> pooled features of every poster and its mirror
through the int8 backbone (what serving computes), and through the float one for comparison -> genre ridge and
balanced logistic head chosen by nested CV -> calibration, "hard to tell" band, genre calibration and poster
likeness from cross-fitted training scores -> one ONNX file (int8 backbone + float head) -> validation figures
measured by running that file.
"""
import hashlib
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from poster_model.likeness import KINDS, LikenessReference, likeness_of, texture, unusualness
from poster_model.predictor import PosterClassifier
from poster_model.preprocess import prepare_image
from poster_training import backbone, band, calibration, evaluation, extra_posters, graph, head, likeness, negatives
from poster_training.data.non_poster_images import NON_POSTER_SETS
from poster_training.data.package_images import EVALUATION_PACKAGES, TRAINING_PACKAGES, installed
from poster_training.features import extract_pooled_features, poster_pixels, pooled_features_of
from poster_training.kind_layer import KindLayer, fit_kind_layer
from poster_training.posters import load_labels, split_rows
from poster_training.references import write_references

MIN_GENRE_POSTERS = 100
QUANTISATION_POSTERS = 300
DELETION_TEST_POSTERS = 300
MAX_MODEL_BYTES = 15 * 1024 * 1024
FEATURE_CHANNELS, GRID_ROWS, GRID_COLUMNS = 1840, 13, 9


@dataclass
class FittedHead:
    cv: dict
    alpha: float
    c: float
    genre_model: tuple
    stack: tuple
    out_of_fold_logits: np.ndarray
    out_of_fold_genre_scores: np.ndarray

    @property
    def cut(self) -> float:
        return self.cv[self.alpha, self.c].cut


def fit_head(x, x_flipped, y, genres) -> FittedHead:
    cv = head.cross_validate(x, x_flipped, y, genres)
    for (alpha, c), result in cv.items():
        print(f"  CV alpha={alpha:g} C={c:g}: ROC-AUC {result.roc_auc:.4f}  "
              f"balanced accuracy {result.balanced_accuracy:.4f}  cut {result.cut:+.3f}")
    alpha, c = max(cv, key=lambda key: cv[key].roc_auc)
    chosen = cv[alpha, c]
    genre_model = head.fit_genre_regression(x, x_flipped, genres, alpha)
    oof_genres = head.out_of_fold_genre_scores(x, x_flipped, y, genres, alpha)
    stack = head.fit_stack(oof_genres, y, c)
    return FittedHead(cv, alpha, c, genre_model, stack, chosen.out_of_fold_logits - chosen.cut, oof_genres)


def genre_calibration(oof_genre_scores: np.ndarray, genres: np.ndarray) -> np.ndarray:
    """Per genre, Platt scaling of the ridge score: (G, 2) slope and intercept."""
    return np.array([calibration.fit_calibrator("platt", oof_genre_scores[:, g], genres[:, g]).weights
                     for g in range(genres.shape[1])])


def prepared_posters(posters: Path, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs (N, H, W, 3) and ln(width / height) of each poster, through the serving preprocessing."""
    prepared = [prepare_image((posters / "images" / f"{poster_id}.jpg").read_bytes(), backbone.INPUT_HEIGHT,
                              backbone.INPUT_WIDTH) for poster_id in ids]
    return np.concatenate([pixels for pixels, _ in prepared]), np.array([aspect for _, aspect in prepared])


def likeness_reference(x_train: np.ndarray, train_images: np.ndarray, log_aspects: np.ndarray,
                       imagenet: likeness.ImagenetClassifier) -> LikenessReference:
    """The training posters' feature distances (cross-fitted), texture, shape and poster-class probability, and
    their combined scores."""
    distances = likeness.cross_fitted_distances(x_train)
    details, flat_shares = texture(train_images)
    poster_class = imagenet.poster_class_log_probability(x_train)
    parts = LikenessReference(np.sort(distances), np.sort(details), np.sort(flat_shares), np.sort(log_aspects),
                              np.sort(poster_class), np.array([]))
    scores = unusualness(distances, details, flat_shares, log_aspects, poster_class, parts)
    return replace(parts, scores=np.sort(scores))


def build(posters: Path, output: Path, metrics_path: Path, references_path: Path, diagram_path: Path,
          cache_dir: Path) -> dict:
    random.seed(head.SEED)
    np.random.seed(head.SEED)
    torch.manual_seed(head.SEED)
    ids, labels, genre_names, all_genres = load_labels(posters)
    train_rows, validation_rows = split_rows(labels)
    posters, ids, labels, all_genres, train_rows = extra_posters.joined(
        posters, ids, labels, all_genres, train_rows, validation_rows, extra_posters.extra_posters_dir(), cache_dir)
    y_train, y_validation = labels[train_rows], labels[validation_rows]
    kept = all_genres[train_rows].sum(axis=0) >= MIN_GENRE_POSTERS
    target_genres = [name for name, keep in zip(genre_names, kept) if keep]
    genres_train, genres_validation = all_genres[train_rows][:, kept], all_genres[validation_rows][:, kept]

    cache_dir.mkdir(parents=True, exist_ok=True)
    float_extractor = backbone.export_feature_maps(cache_dir / "feature-maps-float.onnx")
    quantisation_ids = np.random.default_rng(head.SEED).choice(train_rows, QUANTISATION_POSTERS, replace=False)
    int8_extractor = cache_dir / "feature-maps-int8.onnx"
    stamp = cache_dir / "feature-maps-int8.source"
    source = hashlib.sha256(float_extractor.read_bytes() + str(sorted(quantisation_ids)).encode()
                            + f"reduce_range={backbone.REDUCE_RANGE}".encode()).hexdigest()
    if not (int8_extractor.exists() and stamp.exists() and stamp.read_text() == source):
        backbone.quantize_feature_maps(float_extractor, int8_extractor,
                                       np.concatenate([poster_pixels(posters, ids[i]) for i in quantisation_ids]))
        stamp.write_text(source)

    features = extract_pooled_features(int8_extractor, posters, ids, cache_dir)
    x, x_flipped = features["x"], features["x_flip"]
    chosen = fit_head(x[train_rows], x_flipped[train_rows], y_train, genres_train)
    x_train = x[train_rows]
    validation_ids = [ids[i] for i in validation_rows]
    float_validation = extract_pooled_features(float_extractor, posters, validation_ids, cache_dir, flipped=False)["x"]
    comparison = {name: round(float(roc_auc_score(y_validation, head.stack_logit(
        chosen.stack, head.genre_scores(chosen.genre_model, features_of_validation)))), 4)
        for name, features_of_validation in (("int8", x[validation_rows]), ("float", float_validation))}
    print(f"validation ROC-AUC of the same head on int8 vs float backbone features: {comparison}")

    calibrator, calibration_cv = calibration.choose_calibrator(chosen.out_of_fold_logits, y_train)
    print(f"calibration by CV log loss: {calibration_cv} -> {calibrator.kind}")
    cross_fitted = calibration.cross_fitted(calibrator.kind, chosen.out_of_fold_logits, y_train)
    cut_probability = float(calibrator.predict(np.array([0.0]))[0])
    hard_to_tell, trade_off = band.choose_band(cross_fitted, y_train, cut_probability)
    print(f"hard-to-tell band {hard_to_tell} (cut at p={cut_probability:.3f}); trade-off {trade_off}")
    genre_platt = genre_calibration(chosen.out_of_fold_genre_scores, genres_train)
    folded = head.folded_head(chosen.genre_model, chosen.stack, chosen.cut)
    mean_genre_part = (x_train @ folded["genre_weight"]).mean(axis=0)
    imagenet = likeness.imagenet_classifier(*backbone.imagenet_layer(), x_train)
    print(f"poster classes (ImageNet indices): {imagenet.poster_classes}")
    train_images, train_aspects = prepared_posters(posters, [ids[i] for i in train_rows])
    reference = likeness_reference(x_train, train_images, train_aspects, imagenet)
    del train_images
    kinds, training_non_posters = learned_kinds(int8_extractor, x_train, cache_dir)
    reference = replace(reference, poster_scores=np.sort(kinds.poster_scores))

    poster_head = graph.PosterHead(folded, calibrator, genre_platt, mean_genre_part, likeness.fit_subspace(x_train),
                                   imagenet, kinds)
    head_path = graph.export_head(poster_head, cache_dir / "head.onnx", FEATURE_CHANNELS, GRID_ROWS, GRID_COLUMNS)
    base_rate = float(y_train.mean())
    metadata = {"genres": target_genres, "base_rate": round(base_rate, 4),
                "hard_to_tell_band": [round(hard_to_tell[0], 4), round(hard_to_tell[1], 4)],
                "poster_likeness_threshold": likeness.FLAG_SHARE, "calibration": calibrator.kind,
                "poster_imagenet_classes": imagenet.poster_classes,
                "evidence_grid": [GRID_ROWS, GRID_COLUMNS], "kinds": list(KINDS),
                "likeness_reference": reference.to_metadata()}
    output.parent.mkdir(parents=True, exist_ok=True)
    graph.merge(int8_extractor, head_path, output, metadata)
    size = output.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise SystemExit(f"{output} is {size} bytes, over the {MAX_MODEL_BYTES} byte limit")

    classifier = PosterClassifier(output)
    session = classifier.session
    validation_images, validation_aspects = prepared_posters(posters, validation_ids)
    outputs = evaluation.run_model(session, validation_images)
    validation_likeness = likeness_of(outputs, validation_images, validation_aspects, reference)
    validation = evaluation.answer_figures(outputs, y_validation, hard_to_tell, target_genres, genres_validation,
                                           validation_likeness.poster_likeness < likeness.FLAG_SHARE)
    validation["flagged_not_a_poster_by_part"] = {
        part: round(float((shares < likeness.FLAG_SHARE).mean()), 4)
        for part, shares in (("one_class", validation_likeness.one_class), ("learned", validation_likeness.learned))}
    calibration.reliability_diagram(
        outputs["thriller_probability"].astype(np.float64), y_validation, diagram_path,
        f"Reliability on {len(validation_rows)} validation posters (ECE {validation['calibration']['ece_10_bins']:.3f})")
    for name, images in NON_POSTER_SETS.items():
        validation[name] = evaluation.non_poster_figures(classifier, images())
    validation["not_a_poster_held_out_packages"] = evaluation.held_out_figures(classifier, negatives.held_out_images())
    deletion_rows = np.random.default_rng(head.SEED).choice(len(validation_rows), DELETION_TEST_POSTERS, replace=False)
    validation["evidence_deletion_test"] = evaluation.deletion_test(session, validation_images[np.sort(deletion_rows)],
                                                                    head.SEED)
    metrics = {
        "backbone": backbone.BACKBONE, "input_size": [backbone.INPUT_HEIGHT, backbone.INPUT_WIDTH],
        "feature_maps": list(backbone.FEATURE_MAP_NAMES), "target_genres": target_genres, "seed": head.SEED,
        "poster_imagenet_classes": imagenet.poster_classes,
        "train_posters": int(len(train_rows)), "validation_posters": int(len(validation_rows)),
        "validation_thriller_posters": int(y_validation.sum()), "base_rate": round(base_rate, 4),
        "cv": {"folds": head.CV_FOLDS, "ridge_alpha": chosen.alpha, "C": chosen.c,
               "roc_auc": round(chosen.cv[chosen.alpha, chosen.c].roc_auc, 4),
               "balanced_accuracy": round(chosen.cv[chosen.alpha, chosen.c].balanced_accuracy, 4),
               "logit_cut": round(chosen.cut, 4), "calibration": calibration_cv, "calibration_chosen": calibrator.kind,
               "hard_to_tell_trade_off": trade_off},
        "validation_roc_auc_same_head_by_backbone": comparison,
        "kind_layer": {"C": kinds.c, "cv": kinds.cv, "training_non_posters": training_non_posters,
                       "reduce_range": backbone.REDUCE_RANGE},
        "validation": validation,
        "export": {"bytes": size},
    }
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")
    write_references(output, references_path)
    print(json.dumps(metrics["validation"], indent=1))
    print(f"wrote {output} ({size / 1e6:.1f} MB), {metrics_path}, {references_path}, {diagram_path}")
    return metrics


def learned_kinds(int8_extractor: Path, x_train: np.ndarray, cache_dir: Path) -> tuple[KindLayer, dict]:
    """The learned layer, fitted on the training posters and poster_training.negatives' training images; and how
    many of those images each source and kind gave, for the card."""
    missing = [package for package in TRAINING_PACKAGES + EVALUATION_PACKAGES if not installed(package)]
    if missing:
        raise SystemExit(f"install the Debian packages {' '.join(missing)} first (make model does)")
    images = negatives.training_images()
    pixels, rows = negatives.training_inputs(images, backbone.INPUT_HEIGHT, backbone.INPUT_WIDTH, head.SEED)
    x_negatives = pooled_features_of(int8_extractor, pixels, cache_dir)
    print(f"kind layer: {len(x_train)} posters, {len(images)} non-posters as {len(rows)} inputs")
    counts = {}
    for image in images:
        counts.setdefault(image.source, {}).setdefault(image.kind, 0)
        counts[image.source][image.kind] += 1
    return fit_kind_layer(x_train, x_negatives, [negatives.LEARNED_KIND[row.kind] for row in rows],
                          [row.source for row in rows]), counts
