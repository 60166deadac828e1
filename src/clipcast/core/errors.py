"""Domain errors; the web layer maps each to one HTTP status and a stable JSON shape."""

from __future__ import annotations


class ClipcastError(Exception):
    """Base of every error a caller may see; `code` is stable, `message` is for people."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(ClipcastError):
    status = 422
    code = "invalid_input"


class Unauthorized(ClipcastError):
    status = 401
    code = "unauthorized"


class Forbidden(ClipcastError):
    status = 403
    code = "forbidden"


class NotFound(ClipcastError):
    status = 404
    code = "not_found"


class Conflict(ClipcastError):
    status = 409
    code = "conflict"


class TooLarge(ClipcastError):
    status = 413
    code = "too_large"


class Gone(ClipcastError):
    status = 410
    code = "gone"


class TooManyRequests(ClipcastError):
    """The caller is over a rate limit; `retry_after` (seconds) goes out as Retry-After."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
