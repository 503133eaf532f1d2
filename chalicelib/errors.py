"""Errors that carry the HTTP answer they deserve, so app.py can map them in one place."""


class ApiError(Exception):
    status_code = 500
    code = "InternalError"

    def __init__(self, message: str, detail: str = ""):
        """message goes to the caller; detail (an upstream error's text, say) only to the log."""
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_body(self) -> dict:
        return {"error": self.code, "message": self.message}


class InternalError(ApiError):
    """Anything unforeseen: the caller gets JSON, the log gets the traceback."""


class BadRequestError(ApiError):
    status_code = 400
    code = "BadRequest"


class PayloadTooLargeError(ApiError):
    status_code = 413
    code = "PayloadTooLarge"


class UnsupportedMediaTypeError(ApiError):
    status_code = 415
    code = "UnsupportedMediaType"


class ModelFailedError(ApiError):
    """The endpoint answered, but with an error or with something that is not class probabilities."""
    status_code = 502
    code = "ModelFailed"


class EndpointUnavailableError(ApiError):
    """The endpoint does not exist, is not in service, throttles us or cannot be reached."""
    status_code = 503
    code = "EndpointUnavailable"


class EndpointTimeoutError(ApiError):
    status_code = 504
    code = "EndpointTimeout"


class ConfigurationError(ApiError):
    """The stage's environment variables are wrong: the operator's problem, not the caller's."""
    status_code = 500
    code = "ServerMisconfigured"
