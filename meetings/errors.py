"""Errors raised by services. Each carries a stable code, a translated message and an HTTP status,
so the REST API, the socket and the pages can all report it the same way."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message, code: str | None = None, *, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class Invalid(ServiceError):
    status = 400
    code = "invalid"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"

    def __init__(self, message=None, code: str | None = None, **kw):
        super().__init__(message or _("You do not have permission to do this."), code, **kw)


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def __init__(self, message=None, code: str | None = None, **kw):
        super().__init__(message or _("Not found, or you may not see it."), code, **kw)


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Unauthenticated(ServiceError):
    status = 401
    code = "unauthenticated"


class TooManyAttempts(ServiceError):
    """Refused before any check: the caller must wait ``retry_after`` seconds (the Retry-After header)."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message, retry_after: int, code: str | None = None, **kw):
        super().__init__(message, code, **kw)
        self.retry_after = retry_after
