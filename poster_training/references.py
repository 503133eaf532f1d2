"""The shipped file's answers on generated images, recorded for the tests (which need neither torch nor posters).

Recorded through the QDQ-in-float path (PosterClassifier(qdq_in_float=True)): the int8 steps evaluated in float,
free of the per-CPU rounding of onnxruntime's fused int8 kernels (tests/test_model.py says how close it stays).
"""
import hashlib
import json
from pathlib import Path

import numpy as np

from poster_model.predictor import PosterClassifier
from poster_model.preprocess import image_bytes_to_input
from poster_training.data.reference_images import reference_image_bytes


def write_references(model_path: Path, path: Path) -> None:
    classifier = PosterClassifier(model_path, qdq_in_float=True)
    images = reference_image_bytes()
    outputs = classifier.outputs(np.concatenate([image_bytes_to_input(data, classifier.height, classifier.width)
                                                 for _, data in images]))
    records = [{"name": name, **{key: np.round(values[i].astype(np.float64), 6).tolist()
                                 for key, values in outputs.items()}} for i, (name, _) in enumerate(images)]
    path.write_text(json.dumps({"model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
                                "path": "qdq_in_float", "images": records}) + "\n")


if __name__ == "__main__":
    from poster_model.predictor import DEFAULT_MODEL_PATH
    write_references(DEFAULT_MODEL_PATH, DEFAULT_MODEL_PATH.parent / "reference_outputs.json")
