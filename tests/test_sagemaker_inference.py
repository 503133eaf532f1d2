"""The inference code shipped in model.tar.gz answers exactly what the local endpoint answers.

Both entry points run the same requests: the local endpoint as a real server (its `POST /invocations`,
the model container contract), and code/inference.py taken from a packaged model.tar.gz and run
in-process the way the SageMaker inference toolkit of the PyTorch inference image runs it
(sagemaker-pytorch-inference 2.0.25: model_fn once, then per request transform_fn(model, body, content_type,
accept, context), with the request's headers in the model server's context).
"""
import importlib.util
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest

from devkit.images import encode, poster, poster_jpeg
from devkit.onnx_models import model_path_for_tests, write_tiny_model
from devkit.servers import running_model_endpoint, unpack_model_archive
from poster_model.invocation import MAX_PAYLOAD_BYTES
from poster_model.predictor import PosterClassifier
from scripts.model_deploy.archive import build_model_archive
from scripts.model_deploy.wheelhouse import Wheelhouse

TOOLKIT_DEFAULT_ACCEPT = "application/json"
"""The toolkit replaces a missing Accept or */* by SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, application/json by default."""
TOOLKIT_UTF8_TYPES = ("application/json", "text/csv")
"""Content types whose body the toolkit decodes to str before transform_fn."""
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"


class Answer(NamedTuple):
    status: int
    content_type: str | None
    body: bytes
    """The answer's bytes when status is 200, else the refusal's message."""


class Request(NamedTuple):
    body: bytes
    content_type: str | None
    accept: str | None
    custom_attributes: str | None = None


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return model_path_for_tests(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def unpacked_archive(model_path, tmp_path_factory) -> Path:
    """model.tar.gz as SageMaker unpacks it into /opt/ml/model (without wheels: the code runs in this process)."""
    archive = build_model_archive(model_path, Wheelhouse(tmp_path_factory.mktemp("no-wheels"), "3.12"))
    return unpack_model_archive(archive.data, tmp_path_factory.mktemp("opt-ml-model"))


@pytest.fixture(scope="module")
def classifier(model_path):
    return PosterClassifier(model_path)


def load_inference_module(path: Path):
    """A shipped code/inference.py, loaded in-process (its poster_model imports are the project's)."""
    spec = importlib.util.spec_from_file_location("shipped_inference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped_inference(unpacked_archive):
    return load_inference_module(unpacked_archive / "code" / "inference.py")


@pytest.fixture(scope="module")
def shipped_model(shipped_inference, unpacked_archive):
    """The shipped model_fn's model, loaded once as the toolkit loads it."""
    return shipped_inference.model_fn(str(unpacked_archive))


class RequestProcessor:
    """TorchServe's per-request view that the toolkit reads: get_request_properties() is the headers."""

    def __init__(self, headers: dict[str, str]):
        self.headers = headers

    def get_request_properties(self) -> dict[str, str]:
        return self.headers


class ModelServerContext:
    """The parts of TorchServe's Context that the toolkit's Transformer and our transform_fn use."""

    def __init__(self, headers: dict[str, str]):
        self.request_processor = [RequestProcessor(headers)]


def request_headers(request: Request) -> dict[str, str]:
    return {name: value for name, value in (("Content-Type", request.content_type), ("Accept", request.accept),
                                            (CUSTOM_ATTRIBUTES_HEADER, request.custom_attributes))
            if value is not None}


def container_answer(module, model, request: Request) -> Answer:
    """What the toolkit's Transformer.transform does with one request, given the user module."""
    headers = request_headers(request)
    accept = request.accept if request.accept and request.accept != "*/*" else TOOLKIT_DEFAULT_ACCEPT
    data = bytearray(request.body)
    if request.content_type in TOOLKIT_UTF8_TYPES:
        data = data.decode("utf-8", "replace")
    assert not any(hasattr(module, name) for name in ("input_fn", "predict_fn", "output_fn")), \
        "the toolkit refuses transform_fn next to input_fn/predict_fn/output_fn"
    try:
        body, content_type = module.transform_fn(model, data, request.content_type, accept,
                                                 ModelServerContext(headers))
    except module.BaseInferenceToolkitError as error:
        return Answer(error.status_code, None, error.message.encode())
    return Answer(200, content_type, body)


@pytest.fixture(scope="module")
def local_endpoint(model_path, tmp_path_factory):
    with running_model_endpoint(model_path, tmp_path_factory.mktemp("endpoint") / "endpoint.log") as url:
        yield url


def local_answer(url: str, request: Request) -> Answer:
    http_request = urllib.request.Request(f"{url}/invocations", data=request.body, headers=request_headers(request),
                                          method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=30) as response:
            return Answer(response.status, response.headers.get("Content-Type"), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, None, json.loads(error.read())["message"].encode())


@pytest.fixture(params=["local endpoint", "model.tar.gz inference code"])
def answer(request):
    """answer(Request) -> Answer, through one entry point."""
    if request.param == "local endpoint":
        url = request.getfixturevalue("local_endpoint")
        return lambda invocation: local_answer(url, invocation)
    module, model = request.getfixturevalue("shipped_inference"), request.getfixturevalue("shipped_model")
    return lambda invocation: container_answer(module, model, invocation)


@pytest.mark.parametrize("content_type, image_format", [
    ("application/x-image", "JPEG"), ("image/jpeg", "JPEG"), ("image/png", "PNG"), ("image/webp", "WEBP"),
])
@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_a_poster_is_answered_with_the_models_answer_as_json(answer, classifier, content_type, image_format,
                                                             accept):
    body = encode(poster(seed=3), image_format)
    result = answer(Request(body, content_type, accept))
    assert (result.status, result.content_type) == (200, "application/json")
    assert json.loads(result.body) == json.loads(json.dumps(classifier.answer_bytes(body)))


@pytest.mark.parametrize("custom_attributes, explained", [
    ("explain=1", True), ("trace=abc; explain=1", True), ("explain=0", False), (None, False)])
def test_custom_attributes_ask_for_the_evidence(answer, classifier, custom_attributes, explained):
    body = poster_jpeg(seed=8)
    result = answer(Request(body, "image/jpeg", "application/json", custom_attributes))
    expected = classifier.answer_bytes(body, explain=explained)
    assert result.status == 200
    assert json.loads(result.body) == json.loads(json.dumps(expected))


@pytest.mark.parametrize("request_, status", [
    (Request(poster_jpeg(), "text/csv", "application/json"), 415),
    (Request(poster_jpeg(), None, "application/json"), 415),
    (Request(b"this is not an image", "image/jpeg", "application/json"), 400),
    (Request(poster_jpeg()[:300], "application/x-image", "application/json"), 400),
    (Request(poster_jpeg(), "image/jpeg", "text/csv"), 406),
    (Request(b"\xff" * (MAX_PAYLOAD_BYTES + 1), "image/jpeg", "application/json"), 413),
], ids=["text content type", "no content type", "not an image", "truncated image", "accept without json",
        "over six megabytes"])
def test_bad_requests_are_refused_with_the_containers_status(answer, request_, status):
    result = answer(request_)
    assert result.status == status
    assert result.body


PARITY_REQUESTS = [
    Request(poster_jpeg(seed=4), "application/x-image", "application/json"),
    Request(encode(poster(seed=5, mode="RGBA"), "PNG"), "image/png", None),
    Request(encode(poster(width=2000, height=3000, seed=6), "JPEG", quality=90), "image/jpeg", "*/*"),
    Request(poster_jpeg(), "text/csv", "application/json"),
    Request(b"GIF89a not really", "image/gif", "application/json"),
    Request(poster_jpeg(), "image/jpeg", "text/csv"),
    Request(b"\x00" * (MAX_PAYLOAD_BYTES + 1), "application/x-image", None),
    Request(poster_jpeg(seed=9), "image/jpeg", "application/json", "explain=1"),
]


def test_both_entry_points_give_the_same_bytes_content_type_and_refusals(local_endpoint, shipped_inference,
                                                                        shipped_model):
    for request in PARITY_REQUESTS:
        in_container = container_answer(shipped_inference, shipped_model, request)
        assert in_container == local_answer(local_endpoint, request)


def test_a_text_body_the_toolkit_decoded_to_str_is_refused_with_415(shipped_inference, shipped_model):
    """The toolkit decodes JSON and CSV bodies to str before transform_fn."""
    result = container_answer(shipped_inference, shipped_model, Request(b'{"data": "..."}', "application/json", None))
    assert result.status == 415


def test_without_a_model_server_context_the_answer_has_no_evidence(shipped_inference, shipped_model, classifier):
    """A toolkit that passes no context (or one without headers) still gets the plain answer."""
    body, _ = shipped_inference.transform_fn(shipped_model, poster_jpeg(seed=8), "image/jpeg", "application/json")
    assert json.loads(body) == json.loads(json.dumps(classifier.answer_bytes(poster_jpeg(seed=8))))


def test_a_model_that_breaks_the_output_contract_is_a_500(shipped_inference, tmp_path):
    write_tiny_model(tmp_path / shipped_inference.MODEL_FILE_NAME, classes=3)
    broken = shipped_inference.model_fn(str(tmp_path))
    result = container_answer(shipped_inference, broken, Request(poster_jpeg(), "image/jpeg", None))
    assert result.status == 500


def test_the_shipped_code_runs_on_its_own_with_only_onnxruntime_numpy_and_pillow(unpacked_archive):
    """As in the container: code/ on the path, the project neither installed nor importable from there."""
    script = (
        "import json, sys; import inference, poster_model; "
        "model = inference.model_fn(sys.argv[1]); "
        "body, content_type = inference.transform_fn(model, sys.stdin.buffer.read(), 'image/jpeg', "
        "'application/json'); "
        "print(json.dumps({'package': poster_model.__file__, 'content_type': content_type, "
        "'answer': json.loads(body), 'modules': sorted(sys.modules), "
        "'module_files': {name: getattr(module, '__file__', None) for name, module in sys.modules.items() "
        "if getattr(module, '__file__', None)}}))"
    )
    code_dir = unpacked_archive / "code"
    finished = subprocess.run([sys.executable, "-c", script, str(unpacked_archive)], input=poster_jpeg(seed=7),
                              cwd=code_dir, capture_output=True, timeout=120, check=True)
    result = json.loads(finished.stdout)
    assert Path(result["package"]) == code_dir / "poster_model" / "__init__.py"
    project_modules = {name: path for name, path in result["module_files"].items()
                       if name.split(".")[0] in ("poster_model", "chalicelib")}
    assert project_modules and all(Path(path).is_relative_to(code_dir) for path in project_modules.values()), \
        "a project module came from the project, not from the archive"
    assert result["content_type"] == "application/json"
    answer = result["answer"]
    assert len(answer if isinstance(answer, list) else answer["probabilities"]) == 2
    top_level = {name.split(".")[0] for name in result["modules"]}
    assert not top_level & {"flask", "waitress", "boto3", "botocore", "chalice", "scripts", "tests"}
