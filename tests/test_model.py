"""The shipped ONNX model: its contract, and its answers against those the torch model gave at export time."""
import json

import numpy as np
import onnxruntime
import pytest

from poster_model.predictor import DEFAULT_MODEL_PATH, PosterClassifier
from poster_model.preprocess import image_bytes_to_input
from scripts.reference_images import reference_image_bytes

REFERENCE_OUTPUTS = DEFAULT_MODEL_PATH.parent / "reference_outputs.json"
MAX_MODEL_BYTES = 15 * 1024 * 1024
# The ONNX file stores its weights as fp16; the references come from the fp32 torch model.
FP16_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def classifier():
    return PosterClassifier(DEFAULT_MODEL_PATH)


@pytest.fixture(scope="module")
def references():
    recorded = json.loads(REFERENCE_OUTPUTS.read_text())["images"]
    return {record["name"]: record["probabilities"] for record in recorded}


@pytest.fixture(scope="module")
def generated_batch(classifier):
    return np.concatenate([image_bytes_to_input(data, classifier.height, classifier.width)
                           for _, data in reference_image_bytes()])


def test_model_file_is_at_most_15_mb():
    assert DEFAULT_MODEL_PATH.stat().st_size <= MAX_MODEL_BYTES


def test_graph_takes_uint8_nhwc_with_any_batch_and_answers_probabilities():
    session = onnxruntime.InferenceSession(str(DEFAULT_MODEL_PATH), providers=["CPUExecutionProvider"])
    (model_input,), (model_output,) = session.get_inputs(), session.get_outputs()
    assert model_input.name == "image"
    assert model_input.type == "tensor(uint8)"
    batch, height, width, channels = model_input.shape
    assert isinstance(batch, str) and isinstance(height, int) and isinstance(width, int) and channels == 3
    assert model_output.name == "probabilities"
    assert model_output.type == "tensor(float)"


def test_answers_match_the_torch_model_recorded_at_export(classifier, references):
    generated = dict(reference_image_bytes())
    assert set(generated) == set(references)
    for name, data in generated.items():
        np.testing.assert_allclose(classifier.predict_bytes(data), references[name], atol=FP16_TOLERANCE,
                                   err_msg=f"generated image {name!r}")


def test_recorded_answers_tell_the_generated_images_apart(references):
    """Guards the comparison above: answers that are all alike would let a broken export pass."""
    thriller_probabilities = [p for _, p in references.values()]
    assert max(thriller_probabilities) - min(thriller_probabilities) > 10 * FP16_TOLERANCE


def test_batch_answers_are_probability_pairs(classifier, generated_batch):
    answers = classifier.predict_batch(generated_batch)
    assert answers.shape == (len(generated_batch), 2)
    assert answers.dtype == np.float32
    assert np.all((answers >= 0) & (answers <= 1))
    np.testing.assert_allclose(answers.sum(axis=1), 1.0, atol=1e-5)


def test_batch_answers_equal_single_image_answers(classifier, generated_batch):
    batch_answers = classifier.predict_batch(generated_batch)
    single_answers = np.concatenate([classifier.predict_batch(image[np.newaxis]) for image in generated_batch])
    np.testing.assert_allclose(batch_answers, single_answers, atol=1e-5)
