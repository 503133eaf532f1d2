"""A local stand-in for a SageMaker endpoint, serving the ONNX poster classifier.

It speaks the SageMaker runtime protocol (`POST /endpoints/<name>/invocations`) so the app's
unchanged boto3 call reaches it through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, and the model
container contract (`GET /ping`, `POST /invocations`) that SageMaker itself calls.

Errors come back as real SageMaker sends them, so boto3 raises the same exceptions:
- an unknown endpoint name or CustomAttributes over 1,024 characters: ValidationError (400); a body over
  6 MB: ValidationError (413), all refused by SageMaker itself before any container sees the request;
- whatever the model container refuses or fails on (not an image or empty body 400, Accept
  without JSON 406, unsupported Content-Type 415, model failure 500): ModelError (424) carrying
  OriginalStatusCode and OriginalMessage, as SageMaker wraps every container error.
Request signatures are not checked: any credentials work, as with other local AWS stand-ins.
"""
import argparse
import logging
import os
import sys
import time
import uuid
from pathlib import Path

import flask
import waitress
from aws_lambda_powertools import Logger
from werkzeug.exceptions import HTTPException

from chalicelib.observability import log_level
from poster_model import invocation
from poster_model.log_safety import configure_text_logging, escape_control_characters
from poster_model.predictor import PosterClassifier, resolve_model_path

DEFAULT_ENDPOINT_NAME = "is-this-movie-a-thriller-local"
LOCAL_ACCOUNT_ID = "000000000000"
"""Stands for the caller's AWS account in messages, as other local AWS stand-ins do."""
PRODUCTION_VARIANT = "AllTraffic"
MAX_CUSTOM_ATTRIBUTES_CHARS = 1024
"""InvokeEndpoint's CustomAttributes: at most 1,024 characters (the service model's max, which botocore does not check
before sending: SageMaker answers longer ones with a ValidationError)."""
READ_LIMIT_BYTES = 32 * 1024 * 1024
"""Bodies up to this size get SageMaker's JSON error; waitress refuses larger ones outright."""

log = Logger(service="poster-model-endpoint")
"""JSON lines with the field names the API's log uses (chalicelib/observability.py)."""
logging.getLogger(log.service).propagate = False  # main's text handler on the root logger is for waitress only


def json_error(error_type: str, message: str, status: int, **fields) -> flask.Response:
    """An error the way AWS JSON services send it: botocore reads the code from x-amzn-ErrorType."""
    response = flask.jsonify({"message": message, **fields})
    response.status_code = status
    response.headers["x-amzn-ErrorType"] = error_type
    return response


def note_refusal(error: invocation.ModelInvocationError) -> None:
    """What the container refused, for the request's log line."""
    flask.g.refusal = error.message


def read_body() -> bytes:
    """One byte over the limit is enough to refuse an oversized body without holding all of it."""
    return flask.request.stream.read(invocation.MAX_PAYLOAD_BYTES + 1)


def create_app(classifier: invocation.Classifier, served_endpoint_name: str = DEFAULT_ENDPOINT_NAME,
               account_id: str = LOCAL_ACCOUNT_ID) -> flask.Flask:
    app = flask.Flask(__name__)

    @app.before_request
    def start_clock():
        flask.g.started = time.perf_counter()
        flask.g.request_id = str(uuid.uuid4())

    @app.after_request
    def log_request(response):
        """boto3 reports x-amzn-RequestId as ResponseMetadata.RequestId, which ties a call to its log line."""
        status = response.status_code
        response.headers["x-amzn-RequestId"] = flask.g.request_id
        error_code = response.headers.get("x-amzn-ErrorType")
        refusal = flask.g.get("refusal")
        endpoint = (flask.request.view_args or {}).get("endpoint_name")
        log.log(log_level(status), escape_control_characters(f"{flask.request.method} {flask.request.path} {status} "
                                                 f"{error_code or ''}".rstrip() + (f": {refusal}" if refusal else "")),
                extra={
                    "request_id": flask.g.request_id,
                    "method": flask.request.method,
                    "route": (flask.request.url_rule.rule if flask.request.url_rule
                              else escape_control_characters(flask.request.path)),
                    "endpoint": endpoint and escape_control_characters(endpoint),
                    "status": status,
                    "error_code": error_code,
                    "latency_ms": round((time.perf_counter() - flask.g.started) * 1000, 1),
                    "image_bytes": flask.request.content_length or 0,
                    "detail": refusal,
                })
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return json_error(error.name.replace(" ", ""), error.description, error.code)

    @app.get("/ping")
    def ping():
        return flask.Response(status=200, mimetype="text/plain")

    @app.post("/invocations")
    def container_invocations():
        """The model container contract: container errors are plain HTTP statuses."""
        try:
            body, content_type = invocation.invoke(
                classifier, read_body(), flask.request.content_type, flask.request.headers.get("Accept"),
                flask.request.headers.get(invocation.CUSTOM_ATTRIBUTES_HEADER))
        except invocation.ModelInvocationError as error:
            note_refusal(error)
            return flask.jsonify({"message": error.message}), error.status
        return flask.Response(body, status=200, content_type=content_type)

    @app.post("/endpoints/<endpoint_name>/invocations")
    def runtime_invocations(endpoint_name: str):
        """The SageMaker runtime's InvokeEndpoint: container errors come back as ModelError (424)."""
        if endpoint_name != served_endpoint_name:
            return json_error("ValidationError", f"Endpoint {endpoint_name} of account {account_id} not found.", 400)
        custom_attributes = flask.request.headers.get(invocation.CUSTOM_ATTRIBUTES_HEADER)
        if custom_attributes is not None and len(custom_attributes) > MAX_CUSTOM_ATTRIBUTES_CHARS:
            return json_error("ValidationError", "1 validation error detected: Value at 'customAttributes' failed to "
                              f"satisfy constraint: Member must have length less than or equal to "
                              f"{MAX_CUSTOM_ATTRIBUTES_CHARS}", 400)
        data = read_body()
        try:
            invocation.check_payload_size(len(data))
        except invocation.PayloadTooLargeError as error:
            return json_error("ValidationError", error.message, 413)
        try:
            body, content_type = invocation.invoke(
                classifier, data, flask.request.content_type, flask.request.headers.get("Accept"), custom_attributes)
        except invocation.ModelInvocationError as error:
            note_refusal(error)
            return json_error("ModelError", error.runtime_message(), 424,
                              OriginalStatusCode=error.status, OriginalMessage=error.message)
        response = flask.Response(body, status=200, content_type=content_type)
        response.headers["x-Amzn-Invoked-Production-Variant"] = PRODUCTION_VARIANT
        return response

    return app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m poster_model.server",
        description="Serve the poster classifier as a local SageMaker endpoint.")
    parser.add_argument("--host", default=env.get("ENDPOINT_HOST", "127.0.0.1"),
                        help="interface to listen on (env ENDPOINT_HOST, default %(default)s)")
    parser.add_argument("--port", type=int, default=int(env.get("ENDPOINT_PORT", "8080")),
                        help="port (env ENDPOINT_PORT, default %(default)s)")
    parser.add_argument("--endpoint-name", default=env.get("SAGEMAKER_ENDPOINT_NAME", DEFAULT_ENDPOINT_NAME),
                        help="the only endpoint name answered (env SAGEMAKER_ENDPOINT_NAME, default %(default)s)")
    parser.add_argument("--model", type=Path, default=None,
                        help="ONNX model file (env POSTER_MODEL_PATH, default model/poster_classifier.onnx)")
    parser.add_argument("--threads", type=int, default=int(env.get("ENDPOINT_THREADS", "4")),
                        help="request threads (env ENDPOINT_THREADS, default %(default)s)")
    parser.add_argument("--model-threads", type=int, default=None,
                        help="onnxruntime threads per inference (default: one per core)")
    return parser.parse_args(argv)


def load_classifier(model_path: Path | None, threads: int | None) -> PosterClassifier:
    """Load the model or exit with a one-line reason."""
    try:
        return PosterClassifier(model_path, threads=threads)
    except Exception as error:  # onnxruntime raises its own exception types for missing or broken files
        sys.exit(f"error: cannot load the model {resolve_model_path(model_path)}: {error}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    configure_text_logging(logging.INFO)
    classifier = load_classifier(args.model, args.model_threads)
    app = create_app(classifier, args.endpoint_name)
    log.info(f"model {classifier.model_path} ({classifier.width}x{classifier.height}) loaded; endpoint "
             f"{args.endpoint_name} on http://{args.host}:{args.port}")
    try:
        waitress.serve(app, host=args.host, port=args.port, threads=args.threads,
                       max_request_body_size=READ_LIMIT_BYTES, ident="poster-endpoint")
    except OSError as error:
        sys.exit(f"error: cannot listen on {args.host}:{args.port}: {error}")


if __name__ == "__main__":
    main()
