"""The hostile images of issues 12 and 19 through the model container's handler, each in a process of its own.

Each image goes to transform_fn as a Batch Transform record or an invoke_endpoint body reaches it (see
devkit/container_handler.py), the model loaded. The container answers an image it will not decode (or
cannot within the decode ceiling) with a 400 whose message says why (the caller sees a ModelError, and a Batch Transform job its error line),
classifies the others, and neither the call's CPU-seconds (its decoding child's included) nor the memory
it adds to the warm container passes the budget: 2 CPU-seconds and 400 MB.
"""
import json

import pytest

from devkit.container_handler import container_call
from devkit.hostile_images import CASES, CEILING_CASES, CONTAINER_CASES, MAX_CPU_SECONDS, MAX_PEAK_MB
from devkit.onnx_models import model_path_for_tests

IMAGES = CASES + CONTAINER_CASES + CEILING_CASES


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return model_path_for_tests(tmp_path_factory.mktemp("model"))


@pytest.mark.parametrize("case", IMAGES, ids=[case.id for case in IMAGES])
def test_each_hostile_image_gets_its_answer_within_the_cpu_and_memory_budget(model_path, case):
    answer = container_call(case.build(), case.content_type, model_path)

    if case.status == 200:
        assert answer.status == 200, answer.body
        assert len(json.loads(answer.body)["probabilities"]) == 2
    else:
        assert answer.status == 400, answer.body
        reason = "image is too" if case.status == 413 else "the data is not an image that can be decoded"
        assert answer.body.startswith(f"The request body is not a readable image: {reason}")
    assert answer.cpu_seconds <= MAX_CPU_SECONDS
    assert answer.growth_mb <= MAX_PEAK_MB
