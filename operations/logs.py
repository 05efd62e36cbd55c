"""Structured logs: one JSON object a line, with the request's id and the meeting's id when there is one.

The ids live in context variables: set by ``RequestIds`` for a page or API request (the id comes from the
proxy's ``X-Request-ID`` when it sends one, and goes back in the response's header) and by the meeting
socket when it connects, so every line logged while handling them, in any module, carries them. asgiref
copies the context into ``sync_to_async`` threads, so database code logs them too.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
meeting_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("meeting_id", default=None)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")  # what we accept from the proxy: nothing to inject into logs


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid, mid = request_id.get(), meeting_id.get()
        if rid:
            entry["request_id"] = rid
        if mid is not None:
            entry["meeting_id"] = mid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def new_request_id(sent: str | None) -> str:
    return sent if sent and _SAFE_ID.match(sent) else uuid.uuid4().hex


class RequestIds:
    """Middleware: a request id for every request, and the meeting id of views that name one."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self._acall(request)
        rid = self._start(request)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response

    async def _acall(self, request):
        rid = self._start(request)
        response = await self.get_response(request)
        response["X-Request-ID"] = rid
        return response

    @staticmethod
    def _start(request) -> str:
        rid = new_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request_id.set(rid)
        meeting_id.set(None)
        request.request_id = rid
        return rid

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        found = view_kwargs.get("meeting_id")
        if isinstance(found, int):
            meeting_id.set(found)
