"""The socket routes, and the refusal of a socket path no route matches."""

from __future__ import annotations

import logging
from typing import Any

from django.urls import path

log = logging.getLogger(__name__)

websocket_urlpatterns: list = []

try:  # the meeting socket arrives with the live-room work
    from realtime.consumers import CLOSE_NOT_FOUND, MeetingConsumer

    websocket_urlpatterns.append(path("ws/meetings/<int:meeting_id>/", MeetingConsumer.as_asgi()))
except ImportError:  # pragma: no cover
    CLOSE_NOT_FOUND = 4404


class NoSuchSocket:
    """A socket path that matches no route (``/ws/meetings/abc/``) is accepted and closed with 4404, as an
    unknown meeting is. Channels' URLRouter would raise instead: a 500 and a traceback in the log for
    anyone who types a wrong address."""

    def __init__(self, router: Any) -> None:
        self.router = router

    def _matches(self, scope: dict[str, Any]) -> bool:
        remaining = scope.get("path_remaining", scope.get("path", ""))
        root = scope.get("root_path", "")
        if "path_remaining" not in scope and root:
            if not remaining.startswith(root):
                return False
            remaining = remaining[len(root):]
        remaining = remaining.lstrip("/")
        return any(route.pattern.match(remaining) for route in self.router.routes)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "websocket" or self._matches(scope):
            return await self.router(scope, receive, send)
        log.info("socket refused: no route for %s", scope.get("path"))
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})
