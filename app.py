"""Routes and HTTP mapping only; the work happens in chalicelib/."""
import json
import os
import time
import traceback

from chalice import Chalice, CORSConfig, Response

from chalicelib.answers import parse_endpoint_answer, prediction_answer
from chalicelib.errors import ApiError, ConfigurationError, InternalError
from chalicelib.feedback import feedback_record, new_prediction_id, parse_feedback_request
from chalicelib.feedback_metrics import count_feedback
from chalicelib.feedback_store import FeedbackUnavailableError, signing_keys, store_feedback
from chalicelib.image_normalizing import normalize_image
from chalicelib.observability import observe_requests, request_record
from chalicelib.request_parsing import parse_predict_request
from chalicelib.sagemaker_endpoint import invoke_endpoint
from chalicelib.settings import load_feedback_settings, load_settings

app = Chalice(app_name="is-this-movie-a-thriller")
observe_requests(app)
app.api.binary_types.extend(["image/webp", "image/bmp"])
cors = CORSConfig(allow_origin=os.environ.get("CORS_ALLOW_ORIGIN", "*"), max_age=600)


@app.route("/health", methods=["GET"], cors=cors)
def health():
    return {"status": "ok"}


@app.route("/predict", methods=["POST"], cors=cors, content_types=["*/*"])
def predict():
    return answer_or_error(predict_answer)


@app.route("/feedback", methods=["POST"], cors=cors, content_types=["*/*"])
def feedback():
    return answer_or_error(store_visitor_answer)


def predict_answer() -> dict:
    request = app.current_request
    record = request_record()
    settings = load_settings()
    parsed = parse_predict_request(request.raw_body, request.headers.get("content-type"),
                                   request.query_params, settings.max_body_bytes)
    record.image_bytes = len(parsed.image)
    jpeg = normalize_image(parsed.image, settings.model_image_max_side, settings.max_image_pixels)
    with record.calling_endpoint():
        endpoint_body = invoke_endpoint(settings, jpeg, parsed.explain)
    endpoint_answer = parse_endpoint_answer(endpoint_body, len(settings.class_labels))
    answer = prediction_answer(endpoint_answer, settings, parsed.explain)
    try:
        prediction_id = new_prediction_id(answer, parsed.image, time.time())
        if prediction_id:
            answer["prediction_id"] = prediction_id
    except (ConfigurationError, FeedbackUnavailableError) as error:  # the answer goes out, without an id
        record.detail = error.detail
    return answer


def store_visitor_answer() -> dict:
    request = app.current_request
    settings = load_feedback_settings()
    if settings is None:
        raise FeedbackUnavailableError("this API keeps no feedback")
    parsed = parse_feedback_request(request.raw_body, request.headers.get("content-type"))
    record, image = feedback_record(parsed, settings, signing_keys.key(settings.key_parameter), time.time())
    store_feedback(settings, record, image)
    count_feedback(record["verdict"], record["agreement"])
    return {"stored": True, "answer": record["answer"], "image_shared": "image_key" in record,
            "kept_for_days": settings.retention_days}


def answer_or_error(work) -> dict | Response:
    """The route's answer, or its error as JSON with CORS: an ApiError as it says, anything else as a logged 500."""
    try:
        return work()
    except ApiError as error:
        return error_response(error)
    except Exception:  # noqa: BLE001 - a bug must still answer JSON with CORS; the log line gets the traceback
        return error_response(InternalError("the server failed to answer; its log says why",
                                            detail=traceback.format_exc()))


def error_response(error: ApiError) -> Response:
    """The log line (chalicelib/observability.py) gets the detail; the caller gets code and message."""
    request_record().detail = error.detail
    return Response(body=json.dumps(error.to_body()), status_code=error.status_code,
                    headers={"Content-Type": "application/json"})
