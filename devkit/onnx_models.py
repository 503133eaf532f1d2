"""The model the tests serve: the shipped ONNX file, or a tiny stand-in before one is trained.

The stand-in honours the model contract (input "image" uint8 NHWC of fixed size, output
"probabilities" float32 (N, 2)) so the serving code is tested the same way with either.
"""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from poster_model.predictor import DEFAULT_MODEL_PATH

TINY_MODEL_HEIGHT, TINY_MODEL_WIDTH = 48, 32


def write_tiny_model(path: Path, classes: int = 2) -> Path:
    """Softmax of a linear map of the mean colour: red posters lean thriller, blue ones not.

    classes other than 2 makes a broken export, one that breaks the output contract.
    """
    weights = np.zeros((3, classes), dtype=np.float32)
    weights[0, :2], weights[2, :2] = (-0.01, 0.01), (0.01, -0.01)
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["image"], ["pixels"], to=TensorProto.FLOAT),
            helper.make_node("ReduceMean", ["pixels"], ["mean_colour"], axes=[1, 2], keepdims=0),
            helper.make_node("MatMul", ["mean_colour", "weights"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "tiny_poster_classifier",
        [helper.make_tensor_value_info("image", TensorProto.UINT8, ["N", TINY_MODEL_HEIGHT, TINY_MODEL_WIDTH, 3])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", classes])],
        initializer=[numpy_helper.from_array(weights, "weights")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def model_path_for_tests(directory: Path) -> Path:
    """The shipped model when it exists (as in CI), else a tiny one written into directory."""
    if DEFAULT_MODEL_PATH.exists():
        return DEFAULT_MODEL_PATH
    return write_tiny_model(directory / "tiny_poster_classifier.onnx")
