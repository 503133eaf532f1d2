"""The shipped ONNX model: its contract, the facts it carries, and its answers as recorded when it was built."""
import json

import numpy as np
import onnx
import onnxruntime
import pytest

from poster_model.predictor import DEFAULT_MODEL_PATH, PosterClassifier
from poster_model.preprocess import image_bytes_to_input
from scripts.reference_images import reference_image_bytes

REFERENCE_OUTPUTS = DEFAULT_MODEL_PATH.parent / "reference_outputs.json"
MAX_MODEL_BYTES = 15 * 1024 * 1024
RECORDED_TOLERANCE = 1e-3
"""The references come from this file through onnxruntime at build time; int8 kernels may round differently on
another processor, hence not zero."""
GRID = (13, 9)


@pytest.fixture(scope="module")
def classifier():
    return PosterClassifier(DEFAULT_MODEL_PATH)


@pytest.fixture(scope="module")
def references():
    return {record["name"]: record for record in json.loads(REFERENCE_OUTPUTS.read_text())["images"]}


@pytest.fixture(scope="module")
def generated_batch(classifier):
    return np.concatenate([image_bytes_to_input(data, classifier.height, classifier.width)
                           for _, data in reference_image_bytes()])


@pytest.fixture(scope="module")
def outputs(classifier, generated_batch):
    """Every output of the graph for generated_batch, by name; read, never changed."""
    return classifier.outputs(generated_batch)


def test_model_file_is_at_most_15_mb():
    assert DEFAULT_MODEL_PATH.stat().st_size <= MAX_MODEL_BYTES


def test_graph_takes_uint8_nhwc_with_any_batch_and_answers_every_output():
    session = onnxruntime.InferenceSession(str(DEFAULT_MODEL_PATH), providers=["CPUExecutionProvider"])
    (model_input,) = session.get_inputs()
    assert (model_input.name, model_input.type) == ("image", "tensor(uint8)")
    batch, height, width, channels = model_input.shape
    assert isinstance(batch, str) and isinstance(height, int) and isinstance(width, int) and channels == 3
    outputs = {output.name: output.type for output in session.get_outputs()}
    assert outputs == {name: "tensor(float)" for name in (
        "probabilities", "thriller_probability", "genre_probabilities", "feature_distance",
        "poster_class_log_probability", "evidence")}


def test_the_backbone_is_quantised_to_int8_and_the_head_is_float():
    """Float32 throughout the head, but for the backbone's 1,000-class layer, stored in float16 to halve it."""
    graph = onnx.load(str(DEFAULT_MODEL_PATH)).graph
    quantised_weights = [i for i in graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert len(quantised_weights) > 50
    head_weights = {i.name: i.data_type for i in graph.initializer
                    if i.name.startswith("head/") and i.data_type != onnx.TensorProto.INT64}
    half = [name for name, data_type in head_weights.items() if data_type == onnx.TensorProto.FLOAT16]
    assert half == ["head/imagenet_weight_float16"]
    assert all(data_type == onnx.TensorProto.FLOAT for name, data_type in head_weights.items() if name not in half)


def test_the_file_carries_genres_base_rate_band_and_what_poster_likeness_compares_with(classifier):
    facts = classifier.facts
    assert len(facts.genres) == 18 and "Thriller" in facts.genres and "Crime" in facts.genres
    assert 0.2 < facts.base_rate < 0.3
    low, high = facts.hard_to_tell_band
    assert 0 < low < high < 1
    assert 0 < facts.poster_likeness_threshold <= 0.01
    reference = facts.likeness_reference
    for values in (reference.feature_distances, reference.details, reference.flat_shares, reference.log_aspects,
                   reference.poster_class_log_probabilities, reference.scores):
        assert len(values) > 4000 and np.all(np.diff(values) >= 0)


def test_answers_match_those_recorded_when_the_file_was_built(references, outputs):
    names = [name for name, _ in reference_image_bytes()]
    assert set(names) == set(references)
    for index, name in enumerate(names):
        for output, values in outputs.items():
            np.testing.assert_allclose(values[index], references[name][output], atol=RECORDED_TOLERANCE,
                                       err_msg=f"{output} of generated image {name!r}")


def test_recorded_answers_tell_the_generated_images_apart(references):
    """Guards the comparison above: answers that are all alike would let a broken file pass."""
    thriller = [record["probabilities"][1] for record in references.values()]
    assert max(thriller) - min(thriller) > 10 * RECORDED_TOLERANCE


def test_batch_answers_are_probabilities_of_the_documented_shapes(generated_batch, outputs):
    n = len(generated_batch)
    assert outputs["probabilities"].shape == (n, 2)
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, atol=1e-5)
    assert outputs["thriller_probability"].shape == (n,) and outputs["feature_distance"].shape == (n,)
    assert np.all(outputs["feature_distance"] >= 0)
    poster_class = outputs["poster_class_log_probability"]
    assert poster_class.shape == (n,) and np.all(poster_class <= 0)
    assert outputs["genre_probabilities"].shape == (n, 18)
    assert outputs["evidence"].shape == (n, *GRID)
    for name in ("probabilities", "thriller_probability", "genre_probabilities"):
        assert np.all((outputs[name] >= 0) & (outputs[name] <= 1)), name


def test_the_calibrated_probability_rises_with_the_balanced_score(outputs):
    """Calibration is monotone: it re-labels the score's scale, it never re-orders posters."""
    order = np.argsort(outputs["probabilities"][:, 1])
    assert np.all(np.diff(outputs["thriller_probability"][order]) >= -1e-6)


def test_batch_answers_equal_single_image_answers(classifier, generated_batch, outputs):
    batch = outputs
    for index, image in enumerate(generated_batch):
        single = classifier.outputs(image[np.newaxis])
        for name, values in single.items():
            np.testing.assert_allclose(values[0], batch[name][index], atol=1e-4, err_msg=name)


def test_the_answer_lists_every_genre_most_likely_first(classifier):
    _, data = reference_image_bytes()[2]
    genres = classifier.answer_bytes(data)["genres"]
    assert sorted(g["genre"] for g in genres) == sorted(classifier.facts.genres)
    probabilities = [g["probability"] for g in genres]
    assert probabilities == sorted(probabilities, reverse=True)
