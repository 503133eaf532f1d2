"""Load the ONNX poster classifier once and answer what the model sees in a poster."""
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime

from poster_model.likeness import LikenessReference, likeness_of
from poster_model.preprocess import image_bytes_to_input, prepare_image

MODEL_FILE_NAME = "poster_classifier.onnx"
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "model" / MODEL_FILE_NAME
CLASS_LABELS = ("not thriller", "thriller/crime")
METADATA_KEY = "poster_model"
ANSWER_OUTPUTS = ("probabilities", "thriller_probability", "genre_probabilities", "feature_distance",
                  "poster_class_log_probability", "evidence", "kind_probabilities")
LEARNED_KIND_OUTPUT = "kind_probabilities"
"""The one output a file built before the learned "not a poster" layer lacks; such a file still answers."""
EVIDENCE_DECIMALS = 4


def resolve_model_path(model_path: str | os.PathLike | None = None) -> Path:
    """The model file to load: the one given, else POSTER_MODEL_PATH, else the shipped one."""
    return Path(model_path or os.environ.get("POSTER_MODEL_PATH") or DEFAULT_MODEL_PATH)


@dataclass(frozen=True)
class ModelFacts:
    """What the training decided once for every answer, carried in the ONNX file's metadata."""
    genres: tuple[str, ...]
    base_rate: float
    hard_to_tell_band: tuple[float, float]
    poster_likeness_threshold: float
    likeness_reference: LikenessReference


def model_facts(session: onnxruntime.InferenceSession) -> ModelFacts | None:
    """None for a model that answers class probabilities only (an older or someone else's file)."""
    metadata = session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
    missing = set(ANSWER_OUTPUTS) - {o.name for o in session.get_outputs()}
    if metadata is None or missing - {LEARNED_KIND_OUTPUT}:
        return None
    facts = json.loads(metadata)
    return ModelFacts(tuple(facts["genres"]), float(facts["base_rate"]), tuple(facts["hard_to_tell_band"]),
                      float(facts["poster_likeness_threshold"]),
                      LikenessReference.from_metadata(facts["likeness_reference"]))


class PosterClassifier:
    """One onnxruntime session, safe to share between threads (InferenceSession.run is)."""

    def __init__(self, model_path: str | os.PathLike | None = None, threads: int | None = None,
                 qdq_in_float: bool = False):
        """qdq_in_float: no graph optimisation, so every int8 step is evaluated as DequantizeLinear, float op,
        QuantizeLinear (its numbers move only with float rounding) instead of onnxruntime's fused int8
        kernels (which round differently per instruction family, poster_model.cpu); several times slower,
        for checking the fast path and recording references, never for serving."""
        self.model_path = resolve_model_path(model_path)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        if qdq_in_float:
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        _, self.height, self.width, _ = model_input.shape
        self.output_names = [output.name for output in self.session.get_outputs()]
        self.facts = model_facts(self.session)

    def outputs(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """batch: uint8 (N, H, W, 3); every output of the graph by name."""
        return dict(zip(self.output_names, self.session.run(self.output_names, {self.input_name: batch})))

    def predict_batch(self, batch: np.ndarray) -> np.ndarray:
        """float (N, 2) class-balanced scores [not thriller, thriller/crime]; argmax is the one-bit decision."""
        return self.session.run(["probabilities"], {self.input_name: batch})[0]

    def predict_bytes(self, data: bytes) -> list[float]:
        """Raises poster_model.preprocess.InvalidImageError for bytes that are not an image."""
        probabilities = self.predict_batch(image_bytes_to_input(data, self.height, self.width))[0]
        return [float(p) for p in probabilities]

    def answer(self, batch: np.ndarray, explain: bool, log_aspect: float) -> dict | list[float]:
        """The endpoint's answer for a batch of one: the whole object, or the plain class list for a model
        without the answer outputs. log_aspect: ln(width / height) of the image before the resize."""
        if self.facts is None:
            return [float(p) for p in self.predict_batch(batch)[0]]
        outputs = self.outputs(batch)
        genres = sorted(zip(self.facts.genres, outputs["genre_probabilities"][0].tolist()), key=lambda g: -g[1])
        answer = {
            "probabilities": outputs["probabilities"][0].tolist(),
            "thriller_probability": float(outputs["thriller_probability"][0]),
            "base_rate": self.facts.base_rate,
            "hard_to_tell_band": list(self.facts.hard_to_tell_band),
            "genres": [{"genre": name, "probability": probability} for name, probability in genres],
        }
        likeness = likeness_of(outputs, batch, log_aspect, self.facts.likeness_reference)
        answer["poster_likeness"] = float(likeness.poster_likeness[0])
        answer["poster_likeness_threshold"] = self.facts.poster_likeness_threshold
        answer["not_a_poster_reason"] = likeness.reasons(self.facts.poster_likeness_threshold)[0]
        if explain:
            evidence = outputs["evidence"][0]
            answer["evidence"] = {"rows": int(evidence.shape[0]), "columns": int(evidence.shape[1]),
                                  "values": np.round(evidence.astype(np.float64), EVIDENCE_DECIMALS).tolist()}
        return answer

    def answer_bytes(self, data: bytes, explain: bool = False) -> dict | list[float]:
        """Raises poster_model.preprocess.InvalidImageError for bytes that are not an image."""
        batch, log_aspect = prepare_image(data, self.height, self.width)
        return self.answer(batch, explain, log_aspect)
