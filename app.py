"""Routes and HTTP mapping only; the work happens in chalicelib/."""
import json
import os

from chalice import Chalice, CORSConfig, Response

from chalicelib.answers import parse_endpoint_answer, prediction_answer
from chalicelib.errors import ApiError, InternalError
from chalicelib.image_normalizing import normalize_image
from chalicelib.request_parsing import parse_predict_request
from chalicelib.sagemaker_endpoint import invoke_endpoint
from chalicelib.settings import load_settings

app = Chalice(app_name="is-this-movie-a-thriller")
app.log.setLevel("INFO")
app.api.binary_types.extend(["image/webp", "image/bmp"])
cors = CORSConfig(allow_origin=os.environ.get("CORS_ALLOW_ORIGIN", "*"), max_age=600)


@app.route("/health", methods=["GET"], cors=cors)
def health():
    return {"status": "ok"}


@app.route("/predict", methods=["POST"], cors=cors, content_types=["*/*"])
def predict():
    request = app.current_request
    request_id = ((request.context or {}).get("requestId")
                  or getattr(app.lambda_context, "aws_request_id", "-"))
    try:
        settings = load_settings()
        parsed = parse_predict_request(request.raw_body, request.headers.get("content-type"),
                                       request.query_params, settings.max_body_bytes)
        jpeg = normalize_image(parsed.image, settings.model_image_max_side, settings.max_image_pixels)
        endpoint_answer = parse_endpoint_answer(invoke_endpoint(settings, jpeg, parsed.explain),
                                                len(settings.class_labels))
        answer = prediction_answer(endpoint_answer, settings, parsed.explain)
    except ApiError as error:
        return error_response(request_id, error)
    except Exception as error:  # noqa: BLE001 - a bug must still answer JSON with CORS, logged with the request id
        app.log.exception("request %s: unexpected %s", request_id, type(error).__name__)
        return error_response(request_id, InternalError("the server failed to answer; its log says why"))
    app.log.info("request %s: 200 %s p=%.3f", request_id, answer["verdict"], answer["probability"])
    return answer


def error_response(request_id: str, error: ApiError) -> Response:
    log = app.log.error if error.status_code >= 500 else app.log.warning
    log("request %s: %d %s: %s %s", request_id, error.status_code, error.code, error.message, error.detail)
    return Response(body=json.dumps(error.to_body()), status_code=error.status_code,
                    headers={"Content-Type": "application/json"})
