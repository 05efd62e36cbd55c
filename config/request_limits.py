"""Bounded request bodies, decided before the application reads them.

Every route has a body limit: the two document upload routes take the PDF cap plus room for the
multipart envelope; everything else (JSON, forms) takes ``PHONGHOP_MAX_REQUEST_BYTES``. A request that
declares more (``Content-Length``) is answered 413 before a byte of its body is read; a body without a
length (chunked) is cut off at the limit. This runs in front of Django and before authentication, so an
anonymous client cannot make a process buffer hundreds of megabytes either.

Two places enforce it, because the body is read in two places:
- ``BoundedRequests``, an ASGI middleware in front of Django (any ASGI server, and the test client's
  ASGI path), counts what ``receive`` hands over;
- ``config/daphne_limits.py`` in Daphne itself: Twisted reads (and spools to disk) a whole body before
  Daphne calls the application, so the ASGI middleware alone would answer only after the upload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MB = 1024 * 1024
# Room for the multipart envelope and the form's other fields around an upload at the PDF cap.
MULTIPART_ALLOWANCE = MB
UPLOAD_ROUTES = (
    re.compile(r"^/api/v1/meetings/\d+/documents/?$"),
    re.compile(r"^/api/v1/documents/\d+/versions/?$"),
)


def body_limit(path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    if any(route.match(path) for route in UPLOAD_ROUTES):
        from meetings.pdf import limits

        return limits.current().max_bytes + MULTIPART_ALLOWANCE
    return settings.PHONGHOP_MAX_REQUEST_BYTES


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length a request declares; None without one (chunked), -1 when it is not a number."""
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


def _language(path: str, accept_language: str) -> str:
    # The REST API follows Accept-Language (English when asked); pages and everything else: Vietnamese.
    if path.startswith("/api/") and accept_language.lower().startswith("en"):
        return "en"
    return settings.LANGUAGE_CODE


def too_large_body(path: str, limit: int, accept_language: str = "") -> bytes:
    """Our JSON error shape for a body over the limit."""
    with translation.override(_language(path, accept_language)):
        message = _("The request is larger than the limit of %(limit)s MB for this address.") % {
            "limit": _megabytes(limit)}
    return json.dumps({"error": {"code": "too_large", "message": message}}, ensure_ascii=False).encode()


def _megabytes(size: int) -> str:
    value = size / MB
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class BoundedRequests:
    """ASGI middleware: refuse (413) a body over its route's limit before the application reads it."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        limit = body_limit(path)
        length = declared_length(scope.get("headers", []))
        if length is not None and length > limit:
            return await self._refuse(scope, send, limit)

        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # The application sees the client leave and answers nothing; we answer 413 once.
                    refused = True
                    if not started:
                        await self._refuse(scope, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        body = too_large_body(scope.get("path", ""), limit, _header(scope, b"accept-language"))
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})
