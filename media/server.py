"""The media server: rooms by meeting, and the signaling requests that reach them.

It owns every peer connection, so a socket that closes (and the ASGI application Daphne cancels
ten seconds later) takes nothing down with it but its own session. All of it runs on one event
loop, the media loop: a thread of its own in the embedded default, or a ``mediaworker`` process
(media/backend.py). Requests and replies are plain JSON-able dicts, the same for both.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.utils.translation import gettext as _

from media import requests
from media.room import MediaError, MediaSettings, Room, Send, SessionInfo

log = logging.getLogger(__name__)


class MediaServer:
    def __init__(self, settings: MediaSettings, roll_call: bool = False) -> None:
        """``roll_call``: count a remote site that connects as online attendance (needs Django's database)."""
        self.settings = settings
        self.roll_call = roll_call
        self.rooms: dict[int, Room] = {}
        self.where: dict[str, int] = {}  # session id → meeting id

    def room(self, meeting_id: int, main_site: int) -> Room:
        room = self.rooms.get(meeting_id)
        if room is None:
            room = self.rooms[meeting_id] = Room(meeting_id, main_site, self.settings, self._empty,
                                                 self._site_connected if self.roll_call else None)
        return room

    def _site_connected(self, meeting_id: int, site_id: int) -> None:
        from media.attendance import count_site_soon  # Django models: imported once a site connects

        count_site_soon(meeting_id, site_id)

    def _empty(self, room: Room) -> None:
        if self.rooms.get(room.meeting_id) is room and not room.sessions:
            del self.rooms[room.meeting_id]
            asyncio.get_running_loop().create_task(room.close())  # stops a recording too

    async def handle(self, info: SessionInfo, frame: dict[str, Any], send: Send) -> None:
        """One ``media`` frame from a socket whose right to the meeting's media has been checked."""
        action = frame.get("action")
        try:
            if action == "offer":
                sdp, view = requests.sdp(frame), requests.view(frame)
                room = self.room(info.meeting_id, info.main_site)
                self.where[info.id] = info.meeting_id
                answer = await room.offer(info, sdp, send, view)
                send({"type": "media", "event": "answer", "sdp": answer})
                room._send_layout(room.sessions[info.id])
                return
            room = self.rooms.get(self.where.get(info.id, -1))
            if action == "leave":
                return await self.close(info.id)
            if room is None or info.id not in room.sessions:
                raise MediaError("no_session", _("Send an offer first."))
            if action == "ice":
                await room.candidate(info.id, frame.get("candidate"))
            elif action == "view":
                room.view(info.id, requests.sites(frame))
            elif action in ("mute", "spotlight", "record"):
                requests.check_controls(info)
                await self.control(info.meeting_id, action, frame)
            else:
                raise requests.unknown()
        except MediaError as e:
            send({"type": "media", "event": "error", "action": action, "code": e.code, "message": e.message})

    async def control(self, meeting_id: int, action: str, args: dict[str, Any]) -> None:
        """Chair controls, and the floor of the live room (media/floor.py)."""
        room = self.rooms.get(meeting_id)
        if room is None:
            if action in ("floor", "close"):
                return
            raise requests.no_briefing()
        site = requests.site(args, required=action == "mute")
        if action == "mute":
            room.mute(site, bool(args.get("muted", True)))
        elif action == "spotlight":
            room.set_spotlight(site)
        elif action == "floor":
            room.set_spotlight(site, by_floor=True)
        elif action == "close":
            room.broadcast({"type": "media", "event": "closed"})
            for session_id in list(room.sessions):
                self.where.pop(session_id, None)
            del self.rooms[meeting_id]
            await room.close()
        elif action == "record":
            from media.recording import toggle

            toggle(room, bool(args.get("on", True)))
            room.relayout()

    async def close(self, session_id: str) -> None:
        meeting_id = self.where.pop(session_id, None)
        room = self.rooms.get(meeting_id) if meeting_id is not None else None
        if room is not None:
            await room.leave(session_id)

    async def shutdown(self) -> None:
        for room in list(self.rooms.values()):
            await room.close()
        self.rooms.clear()
        self.where.clear()
