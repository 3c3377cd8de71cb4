"""Errors the server sends back, shaped as OpenAI's: ``{"error": {"message", "type", "code"}}``
with the matching HTTP status, so any OpenAI client raises its usual exception class."""

from __future__ import annotations

from fastapi.responses import JSONResponse

# status -> the OpenAI error type clients expect for it
TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "invalid_request_error",
         405: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_error",
         500: "server_error", 502: "server_error"}


class APIError(Exception):
    """A request that cannot be answered: its status, a message for the caller and a short code."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": TYPES.get(self.status, "server_error"),
                          "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def internal_error() -> APIError:
    """What a caller sees for a bug: a generic message; the traceback goes to the server log only."""
    return APIError(500, "internal error while answering; the server log has the details", "internal_error")
