"""The meeting socket's side of the media plane: ``media`` frames in, media frames out.

realtime/consumers.py hands every frame of type ``media`` to ``receive`` and tells ``closed`` when a
socket goes (the hooks are registered in media/apps.py). Here the socket's access, checked when it
connected (participants, organisers, the meeting's site operators: anyone else was refused), is
turned into a ``SessionInfo``; the meeting must be published or in progress. The media backend
gets the frame; its replies come back through ``send``, which may be called from the media thread
and puts the frame on the socket's own send queue, on the socket's loop.

Requests of one socket run in order but do not hold up the socket: an offer takes a moment (ICE
candidates are gathered before the answer), and live-room events keep flowing meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from channels.db import database_sync_to_async
from django.utils.translation import gettext as _

from media.backend import get_backend
from media.room import SessionInfo

log = logging.getLogger(__name__)

# subscribe, subscribe_answer: the Janus backend's second peer connection (Janus offers what the site receives).
ACTIONS = ("offer", "ice", "leave", "view", "mute", "spotlight", "record", "subscribe", "subscribe_answer")
FIRST = ("offer", "subscribe")  # the actions that start a media session
MEDIA_ROLES = {"participant", "editor", "chair", "secretary", "site_operator"}


class _Socket:
    def __init__(self, info: SessionInfo) -> None:
        self.info = info
        self.chain: asyncio.Future | None = None


_sockets: weakref.WeakKeyDictionary[Any, _Socket] = weakref.WeakKeyDictionary()


def _site_info(meeting_id: int, site_id: int | None) -> tuple[int, str, int] | None:
    """(site, its name, the main site) when the meeting's media is open, else None."""
    from accounts.models import Unit
    from meetings.models import Meeting

    meeting = Meeting.objects.filter(pk=meeting_id).values("status", "host_unit_id").first()
    if meeting is None or meeting["status"] not in (Meeting.Status.PUBLISHED, Meeting.Status.IN_PROGRESS):
        return None
    site = site_id or meeting["host_unit_id"]
    name = Unit.objects.filter(pk=site).values_list("name", flat=True).first() or ""
    return site, name, meeting["host_unit_id"]


def _sender(consumer: Any) -> Any:
    loop = asyncio.get_running_loop()
    send_frame = consumer._frame

    def send(frame: dict[str, Any]) -> None:
        def put() -> None:
            if not consumer.closing:
                asyncio.ensure_future(send_frame(frame))

        try:
            loop.call_soon_threadsafe(put)
        except RuntimeError:  # the socket's loop is gone
            pass

    return send


async def _error(consumer: Any, action: Any, code: str, message: str) -> None:
    await consumer._frame({"type": "media", "event": "error", "action": action, "code": code, "message": message})


async def receive(consumer: Any, frame: dict[str, Any]) -> None:
    """A ``media`` frame from the socket (its access was checked when it connected)."""
    access = consumer.access
    action = frame.get("action")
    if action not in ACTIONS:
        return await _error(consumer, action, "bad_message", _("Unknown media action."))
    if access is None or not MEDIA_ROLES.intersection(access.roles):
        return await _error(consumer, action, "forbidden", _("Only the meeting's participants can join the briefing."))
    socket = _sockets.get(consumer)
    if socket is None:
        if action not in FIRST:
            return await _error(consumer, action, "no_session", _("Send an offer first."))
        found = await database_sync_to_async(_site_info)(access.meeting_id, access.site_id)
        if found is None:
            return await _error(consumer, action, "not_open",
                                _("The briefing is open only while the meeting is published or in progress."))
        site, site_name, main = found
        socket = _sockets[consumer] = _Socket(SessionInfo(
            id=consumer.channel_name, meeting_id=access.meeting_id, user_id=access.user_id, site=site,
            site_name=site_name, main_site=main, roles=list(access.roles),
            controls=bool({"chair", "secretary"}.intersection(access.roles))))
    info, send = socket.info, _sender(consumer)
    previous = socket.chain

    async def run() -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            await get_backend().request(info, frame, send)
        except Exception:
            log.exception("meeting %s: media %s failed", info.meeting_id, action)
            send({"type": "media", "event": "error", "action": action, "code": "internal",
                  "message": str(_("Something went wrong on the server. Please try again."))})

    socket.chain = asyncio.ensure_future(run())
    if action == "leave":
        _sockets.pop(consumer, None)


async def closed(consumer: Any) -> None:
    """The socket closed: its session leaves the room (nothing waits for the consumer to be cancelled)."""
    socket = _sockets.pop(consumer, None)
    if socket is None:
        return
    try:
        if socket.chain is not None:
            await asyncio.gather(socket.chain, return_exceptions=True)
        await get_backend().leave(socket.info)
    except Exception:
        log.exception("meeting %s: leaving the briefing failed", socket.info.meeting_id)
