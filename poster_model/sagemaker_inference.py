"""The entry point of a SageMaker framework inference container (shipped as code/inference.py).

scripts/deploy_model.py copies this file to code/inference.py in model.tar.gz, next to the
poster_model modules it imports. The PyTorch inference container's toolkit (sagemaker-inference)
loads the model with model_fn once, then runs input_fn -> predict_fn -> output_fn per request.
All three delegate to poster_model.invocation, which the local endpoint (poster_model.server)
uses too, so both accept the same requests and give the same answers and refusals.
"""
import contextlib
from http import HTTPStatus
from pathlib import Path

from poster_model import invocation
from poster_model.predictor import MODEL_FILE_NAME, PosterClassifier

try:
    from sagemaker_inference.errors import BaseInferenceToolkitError
except ImportError:  # outside the container: the toolkit's exception, same constructor and attributes
    class BaseInferenceToolkitError(Exception):
        def __init__(self, status_code: int, message: str, phrase: str):
            self.status_code = status_code
            self.message = message
            self.phrase = phrase
            super().__init__(status_code, message, phrase)


class RefusedRequest(BaseInferenceToolkitError):
    """The toolkit answers a BaseInferenceToolkitError with its status (any other exception is a 500) and a
    body of its message and the traceback, which the SageMaker runtime quotes in its ModelError."""


@contextlib.contextmanager
def refusals():
    """Turn the shared refusals into the toolkit's, keeping status and message."""
    try:
        yield
    except invocation.ModelInvocationError as error:
        raise RefusedRequest(error.status, error.message, HTTPStatus(error.status).phrase) from error


def model_fn(model_dir: str) -> PosterClassifier:
    """model.tar.gz holds the model file at its root, which SageMaker unpacks into model_dir (/opt/ml/model)."""
    return PosterClassifier(Path(model_dir) / MODEL_FILE_NAME)


def input_fn(input_data: bytes | bytearray | str, content_type: str | None) -> bytes:
    """The image bytes; the toolkit hands text content types (JSON, CSV) over decoded to str, refused here."""
    body = bytes(input_data) if isinstance(input_data, bytearray) else input_data
    with refusals():
        return invocation.read_request(body, content_type)


def predict_fn(image: bytes, model: PosterClassifier) -> list[float]:
    with refusals():
        return invocation.predict(image, model)


def output_fn(probabilities: list[float], accept: str | None) -> tuple[bytes, str]:
    """A (body, Content-Type) pair: the toolkit sends that Content-Type instead of echoing Accept."""
    with refusals():
        return invocation.encode_response(probabilities, accept)
