"""One request through the model container's handler, in a child process that measures what it cost.

The child loads the model as the SageMaker inference toolkit does (model_fn, here PosterClassifier on the
given file), answers one warm-up poster, then calls transform_fn(model, body, content_type, accept, None)
as the toolkit does for a Batch Transform record or an invoke_endpoint request (the body as a bytearray),
and reports the answer, the CPU-seconds of the call (the decoding worker's included) and the memory it
added: the peaks of the process and its decoding worker over theirs after the warm-up (see
devkit/lambda_handler.py, whose measures these are).

    python -m devkit.container_handler BODY_FILE CONTENT_TYPE MODEL_PATH   (run by container_call())
"""
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from devkit.lambda_handler import cpu_seconds, in_a_fork, measured_run, peak_with_children_mb

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ContainerAnswer:
    status: int
    body: str
    """The JSON answer when status is 200, else the refusal's message."""
    cpu_seconds: float
    growth_mb: float

    def json(self):
        return json.loads(self.body)


def container_call(body: bytes, content_type: str, model_path: Path, timeout: float = 120) -> ContainerAnswer:
    return ContainerAnswer(**measured_run("devkit.container_handler", body, [content_type, str(model_path)],
                                          timeout, {}))


def measure(body_path: str, content_type: str, model_path: str) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    from poster_model.predictor import PosterClassifier
    from poster_model.sagemaker_inference import BaseInferenceToolkitError, transform_fn
    from devkit.images import poster_jpeg

    model = PosterClassifier(Path(model_path))
    transform_fn(model, bytearray(poster_jpeg()), "image/jpeg", "application/json")
    baseline = peak_with_children_mb()
    body = bytearray(Path(body_path).read_bytes())
    started = cpu_seconds()
    try:
        answer, _ = transform_fn(model, body, content_type, "application/json")
        status, text = 200, answer.decode()
    except BaseInferenceToolkitError as refusal:
        status, text = refusal.status_code, refusal.message
    spent = cpu_seconds() - started
    print(json.dumps({"status": status, "body": text, "cpu_seconds": round(spent, 3),
                      "growth_mb": round(peak_with_children_mb() - baseline, 1)}))


if __name__ == "__main__":
    in_a_fork(measure, *sys.argv[1:4])
