"""The entry point of a SageMaker framework inference container (shipped as code/inference.py).

scripts/deploy_model.py copies this file to code/inference.py in model.tar.gz, next to the poster_model modules
it imports. The PyTorch inference container's toolkit (sagemaker-pytorch-inference 2.0.25, whose Transformer
comes from sagemaker-inference) loads the model with model_fn once, then calls transform_fn per request. It passes
a fifth argument, the model server's request context, to a transform_fn that takes one: that is the only way to
see the request's headers, and the SageMaker CustomAttributes header ("explain=1") lives there. The work is
poster_model.invocation.invoke, which the local endpoint (poster_model.server) calls too, so both accept the same
requests and give the same answers and refusals.
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


def custom_attributes(context) -> str | None:
    """The CustomAttributes header of the request being served, from the model server's context
    (TorchServe's: request_processor[0].get_request_properties() is the request's headers); None without one."""
    try:
        headers = context.request_processor[0].get_request_properties()
    except (AttributeError, IndexError, TypeError):
        return None
    return next((value for name, value in (headers or {}).items()
                 if str(name).lower() == invocation.CUSTOM_ATTRIBUTES_HEADER.lower()), None)


def transform_fn(model: PosterClassifier, input_data: bytes | bytearray | str, content_type: str | None,
                 accept: str | None, context=None) -> tuple[bytes, str]:
    """One request: (body, Content-Type), which the toolkit sends instead of echoing Accept. The toolkit hands
    text content types (JSON, CSV) over decoded to str: refused, like every non-image content type."""
    body = bytes(input_data) if isinstance(input_data, bytearray) else input_data
    with refusals():
        return invocation.invoke(model, body, content_type, accept, custom_attributes=custom_attributes(context))
