"""The shipped graph: int8 backbone feature maps -> a float head with every answer the endpoint gives.

Outputs (N = batch): probabilities (N, 2) class-balanced softmax (argmax = the balanced-accuracy decision),
thriller_probability (N,) calibrated, genre_probabilities (N, G) calibrated, feature_distance (N,) from the
training posters and poster_class_log_probability (N,), the log probability the backbone's own ImageNet classifier
gives the classes posters mostly fall in, evidence (N, 13, 9): each cell's push on the thriller logit, relative to
an average training poster, and kind_probabilities (N, 4): the learned layer's poster, photograph, screen, other
(poster_model.likeness turns these three into poster likeness and the reason for "not a poster").

Evidence is exact for the linear part: the pooled features are the mean of the cells' features, the genre
scores are linear in them, so each cell's share of every genre score is known; the head's quadratic term
enters through its gradient at this poster's genre scores. The cells sum to (genres - mean genres) . gradient.
The genre sum is folded into one direction in feature space first (a matrix-vector product per cell instead of
one per genre).
"""
import json
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import compose
from torch import nn

from poster_model.predictor import ANSWER_OUTPUTS, METADATA_KEY
from poster_training.backbone import export_onnx
from poster_training.calibration import PROBABILITY_FLOOR, Calibrator
from poster_training.kind_layer import KindLayer
from poster_training.likeness import ImagenetClassifier, Subspace

HALF_PRECISION_WEIGHT = "head/imagenet_weight"
"""The largest weight of the head (1280 x 1000), already rounded to float16 values when training used it."""


def buffer(values) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.float32))


class Calibration(nn.Module):
    """A fitted Calibrator as graph operations: the logit in, the probability out."""

    def __init__(self, calibrator: Calibrator):
        super().__init__()
        self.kind = calibrator.kind
        if self.kind == "isotonic":
            knots, values = np.split(calibrator.weights, 2)
            widths = np.diff(knots)
            keep = widths > 0
            self.register_buffer("starts", buffer(knots[:-1][keep]))
            self.register_buffer("widths", buffer(widths[keep]))
            self.register_buffer("slopes", buffer(np.diff(values)[keep] / widths[keep]))
            self.register_buffer("first", buffer(values[0]))
        else:
            self.register_buffer("weights", buffer(calibrator.weights))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.kind == "platt":
            p = torch.sigmoid(self.weights[0] * z + self.weights[1])
        elif self.kind == "beta":
            softplus = nn.functional.softplus
            p = torch.sigmoid(-self.weights[0] * softplus(-z) + self.weights[1] * softplus(z) + self.weights[2])
        else:
            steps = torch.minimum(torch.relu(z.unsqueeze(-1) - self.starts), self.widths)
            p = self.first + (steps * self.slopes).sum(dim=-1)
        return p.clamp(PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


class PosterHead(nn.Module):
    def __init__(self, head: dict[str, np.ndarray], calibrator: Calibrator, genre_platt: np.ndarray,
                 mean_genre_part: np.ndarray, subspace: Subspace, imagenet: ImagenetClassifier, kinds: KindLayer):
        super().__init__()
        for name, values in head.items():
            self.register_buffer(name, buffer(values))
        self.calibration = Calibration(calibrator)
        self.register_buffer("genre_slope", buffer(genre_platt[:, 0]))
        self.register_buffer("genre_intercept", buffer(genre_platt[:, 1]))
        self.register_buffer("mean_genre_part", buffer(mean_genre_part))
        self.register_buffer("feature_mean", buffer(subspace.mean))
        self.register_buffer("feature_scale", buffer(subspace.scale))
        self.register_buffer("components", buffer(subspace.components))
        self.register_buffer("inverse_variances", buffer(1 / subspace.variances))
        self.register_buffer("inverse_residual_variance", buffer(1 / subspace.residual_variance))
        self.register_buffer("imagenet_weight", buffer(imagenet.weight.T))
        self.register_buffer("imagenet_bias", buffer(imagenet.bias))
        self.register_buffer("poster_classes", torch.tensor(imagenet.poster_classes, dtype=torch.int64))
        self.register_buffer("kind_weight", buffer(kinds.weight))
        self.register_buffer("kind_bias", buffer(kinds.bias))

    def forward(self, feature_map: torch.Tensor):
        pooled = feature_map.mean(dim=(2, 3))
        genres = pooled @ self.genre_weight + self.genre_bias
        logit = genres @ self.linear_weight + (genres * genres) @ self.square_weight + self.bias
        probabilities = torch.softmax(torch.stack([torch.zeros_like(logit), logit], dim=1), dim=1)
        thriller_probability = self.calibration(logit)
        genre_probabilities = torch.sigmoid(genres * self.genre_slope + self.genre_intercept)

        batch, channels, rows, columns = feature_map.shape
        gradient = self.linear_weight + 2 * self.square_weight * genres
        direction = gradient @ self.genre_weight.T
        cell_push = (direction.unsqueeze(1) @ feature_map.reshape(batch, channels, rows * columns)).squeeze(1)
        mean_push = (self.mean_genre_part * gradient).sum(dim=1, keepdim=True)
        evidence = ((cell_push - mean_push) / (rows * columns)).reshape(batch, rows, columns)

        imagenet_logits = pooled[:, :self.imagenet_weight.shape[0]] @ self.imagenet_weight + self.imagenet_bias
        poster_class_log_probability = (torch.logsumexp(imagenet_logits[:, self.poster_classes], dim=1)
                                        - torch.logsumexp(imagenet_logits, dim=1))

        z = (pooled - self.feature_mean) / self.feature_scale
        projected = z @ self.components
        residual = torch.relu((z * z).sum(dim=1) - (projected * projected).sum(dim=1))
        feature_distance = torch.sqrt((projected * projected * self.inverse_variances).sum(dim=1)
                                      + residual * self.inverse_residual_variance)
        kind_probabilities = torch.softmax(pooled @ self.kind_weight + self.kind_bias, dim=1)
        return (probabilities, thriller_probability, genre_probabilities, feature_distance,
                poster_class_log_probability, evidence, kind_probabilities)


def export_head(head: PosterHead, path: Path, channels: int, rows: int, columns: int) -> Path:
    export_onnx(head.eval(), path, "feature_map", torch.zeros(1, channels, rows, columns), ANSWER_OUTPUTS)
    return path


def store_in_half_precision(model: onnx.ModelProto, name: str) -> None:
    """float16 in the file and a Cast back to float32, which onnxruntime folds when it loads the file: half the
    bytes, the same numbers."""
    initializer = next(i for i in model.graph.initializer if i.name == name)
    values = onnx.numpy_helper.to_array(initializer).astype(np.float16)
    initializer.CopyFrom(onnx.numpy_helper.from_array(values, f"{name}_float16"))
    model.graph.node.insert(0, onnx.helper.make_node("Cast", [f"{name}_float16"], [name], to=onnx.TensorProto.FLOAT))


def merge(backbone_path: Path, head_path: Path, output: Path, metadata: dict) -> Path:
    """One file: the backbone's feature_map feeds the head; the answer's fixed facts travel as metadata."""
    backbone, head = onnx.load(str(backbone_path)), onnx.load(str(head_path))
    head = compose.add_prefix(head, "head/", rename_inputs=False, rename_outputs=False)
    head.ir_version = backbone.ir_version
    merged = compose.merge_models(backbone, head, io_map=[("feature_map", "feature_map")],
                                  outputs=list(ANSWER_OUTPUTS))
    store_in_half_precision(merged, HALF_PRECISION_WEIGHT)
    onnx.helper.set_model_props(merged, {METADATA_KEY: json.dumps(metadata, sort_keys=True)})
    onnx.checker.check_model(merged)
    onnx.save(merged, str(output))
    return output
