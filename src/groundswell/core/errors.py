"""Domain errors that controllers turn into HTML messages or RFC 9457 problem JSON."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field_errors = field_errors or {}


class ValidationFailed(DomainError):
    status_code = 422
    title = "Validation failed"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class TooManyRequests(DomainError):
    status_code = 429
    title = "Too many requests"
