"""The NinjaAPI object and its JSON error format: {"error": {"code", "message"}} in Vietnamese."""

from __future__ import annotations

import functools
import inspect
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from meetings.api import directory, meetings
from meetings.consultation import api as consultation_api
from meetings.documents import api as documents_api
from meetings.errors import ServiceError
from meetings.minutes import api as minutes_api
from meetings.record import api as record_api
from meetings.reports import api as reports_api
from meetings.tasks import api as tasks_api
from meetings.voting import api as voting_api

log = logging.getLogger(__name__)


class Api(NinjaAPI):
    """A wrong method on a known path is a JSON error too: ninja answers it with a plain-text 405 from
    its path view, before any exception handler, so each of the API's views is wrapped to rewrite it."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        return patterns, app_name, namespace


def _json_method_not_allowed(view):
    def convert(request, response):
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip()))
        message = _("This address does not accept the method %(method)s. Allowed: %(allowed)s.") % {
            "method": request.method, "allowed": allowed}
        converted = error(request, 405, "method_not_allowed", message)
        converted["Allow"] = allowed
        return converted

    if inspect.iscoroutinefunction(view):
        async def wrapped(request, *args, **kwargs):
            return convert(request, await view(request, *args, **kwargs))
    else:
        def wrapped(request, *args, **kwargs):
            return convert(request, view(request, *args, **kwargs))
    return functools.wraps(view)(wrapped)  # keeps csrf_exempt: ninja checks CSRF itself


api = Api(
    title="Phòng họp số API",
    version="1",
    description="Meetings, agendas, participants and invitations. Errors: {\"error\": {\"code\", \"message\"}}.",
    urls_namespace="api-v1",
)


def error(request: HttpRequest, status: int, code: str, message: str, field: str | None = None):
    body = {"code": code, "message": str(message)}
    if field:
        body["field"] = field
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(ServiceError)
def on_service_error(request, exc: ServiceError):
    response = error(request, exc.status, exc.code, exc.message, exc.field)
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return error(request, 401, "unauthenticated", _("Please sign in or send a valid API token."))


@api.exception_handler(ValidationError)
def on_invalid(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = list(first.get("loc", ()))
    # ("body", "payload", "start") names the field "start"; ("query", "when") names "when".
    if loc[:1] == ["body"] and len(loc) > 2:
        loc = loc[1:]
    where = ".".join(str(p) for p in loc[1:]) or None
    message = _("The data sent is not valid")
    if where:
        message = _("The data sent is not valid: field “%(field)s”.") % {"field": where}
    return error(request, 422, "validation_error", message, where)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, "not_found", _("Not found, or you may not see it."))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


@api.exception_handler(RequestDataTooBig)
def on_too_large(request, exc):
    # A body over Django's in-memory cap (DATA_UPLOAD_MAX_MEMORY_SIZE) that came past the ASGI layer's
    # limit (config/request_limits.py), e.g. with a larger PHONGHOP_MAX_REQUEST_BYTES: 413, not a 500.
    return error(request, 413, "too_large", _("The request is too large."))


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    log.exception("API error on %s", request.path)
    return error(request, 500, "server_error", _("An unexpected error happened. Nothing was changed."))


api.add_router("/", directory.router)
api.add_router("/meetings", meetings.router)
api.add_router("/meetings", voting_api.router)
api.add_router("/votes", voting_api.ballots_router)
api.add_router("/meetings", minutes_api.router)
api.add_router("/meetings", tasks_api.meeting_router)
api.add_router("/tasks", tasks_api.router)
api.add_router("/", documents_api.router)
api.add_router("/reports", reports_api.router)
api.add_router("/consultations", consultation_api.router)
api.add_router("/meetings", record_api.router)

# Added last, so it only answers paths no endpoint above claims: a JSON 404 instead of an HTML page.
fallback = Router()


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], "/{path:rest}", auth=None, include_in_schema=False)
def unknown_path(request, rest: str):
    return error(request, 404, "not_found", _("There is no such address in the API."))


api.add_router("/", fallback)
