"""Load the ONNX poster classifier once and answer [p_not_thriller, p_thriller]."""
import os
from pathlib import Path

import numpy as np
import onnxruntime

from poster_model.preprocess import image_bytes_to_input

MODEL_FILE_NAME = "poster_classifier.onnx"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "model" / MODEL_FILE_NAME
CLASS_LABELS = ("not thriller", "thriller/crime")


def resolve_model_path(model_path: str | os.PathLike | None = None) -> Path:
    """The model file to load: the one given, else POSTER_MODEL_PATH, else the shipped one."""
    return Path(model_path or os.environ.get("POSTER_MODEL_PATH") or DEFAULT_MODEL_PATH)


class PosterClassifier:
    """One onnxruntime session, safe to share between threads (InferenceSession.run is)."""

    def __init__(self, model_path: str | os.PathLike | None = None, threads: int | None = None):
        self.model_path = resolve_model_path(model_path)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(
            str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        _, self.height, self.width, _ = model_input.shape

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        """batch: uint8 (N, H, W, 3); returns float (N, 2) class probabilities."""
        return self.session.run(None, {self.input_name: batch})[0]

    def predict_bytes(self, data: bytes) -> list[float]:
        """Raises poster_model.preprocess.InvalidImageError for bytes that are not an image."""
        probabilities = self.predict_batch(image_bytes_to_input(data, self.height, self.width))[0]
        return [float(p) for p in probabilities]
