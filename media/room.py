"""A media room: the sites of one meeting, what each publishes, and what each receives.

Every socket that joins the briefing has one peer connection here (a ``Session``). In its offer the
client lists what it sends (camera, microphone, maybe a shared screen: ``sendonly`` m-lines) and how
many videos and sounds it can receive (``recvonly`` m-lines: the slots). The server never adds or
removes m-lines: when sites come and go it changes which site feeds which slot and says so in a
``layout`` frame, so there is no renegotiation while a briefing runs (docs/protocol.md, "Media").

A site publishes through one session at a time (the latest one: a browser that reconnects takes
over from its own dead session). Its incoming tracks are ``Feed``s; every frame of a feed is handed,
still encoded, to the slots that currently show it (media/forwarding.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import is_rtx
from aiortc.rtp import RtpPacket
from aiortc.sdp import SessionDescription, candidate_from_sdp
from django.utils.translation import gettext as _

from media import aiortc_tuning, codecs, selection
from media.adaptation import DownlinkVideos, Report, UplinkCap
from media.forwarding import Slot, is_keyframe, on_keyframe_request, send_pli, tap_receiver
from media.layout import Layouts
from media.reassembly import FrameAssembler
from media.speaker import SpeakerDetector
from operations import metrics

aiortc_tuning.apply()  # before any peer connection of ours
log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], None]
CAMERA, SCREEN = "camera", "screen"
TICK = 0.2  # seconds: speaker detection, keyframe retries
QUALITY_EVERY = 10  # ticks
KEYFRAME_RETRY = 1.0  # seconds without the keyframe asked for before asking again
RELAYOUT_GAP = 0.1  # seconds: while sites keep joining, at most ten relayouts (and layout frames to all) a second
LOSS_KEYFRAME_GAP = 0.1  # seconds: a keyframe asked for after loss goes at once unless one was asked this recently


class MediaError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class MediaSettings:
    ice_servers: list[dict[str, Any]] = field(default_factory=list)
    max_videos: int = 4
    max_audio: int = 4
    video_codec: str = "VP8"
    keyframe_interval: float = 0.5  # at most one keyframe request per publisher per this many seconds
    record_dir: str = ""
    udp_ports: tuple[int, int] | None = None  # the media loop binds ICE candidates in this range (media/ports.py)

    def rtc_configuration(self) -> RTCConfiguration:
        """Always an explicit list: with none, aiortc would ask a public STUN server. Max-bundle: aiortc's
        default ("balanced") gives each kind a transport of its own when transceivers are made before the
        offer is applied, and then moves only the first of each onto the offer's BUNDLE transport, leaving
        the other slots on a transport that never starts."""
        return RTCConfiguration(iceServers=[RTCIceServer(**server) for server in self.ice_servers],
                                bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


@dataclass
class SessionInfo:
    """Who is at the other end of a session, as the socket's access check found it."""

    id: str
    meeting_id: int
    user_id: int
    site: int  # a unit id: the meeting's host unit for the main hall, else the remote site
    site_name: str
    main_site: int
    roles: list[str] = field(default_factory=list)
    controls: bool = False  # may mute, spotlight, record (the chair and the secretary)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionInfo:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Feed:
    """One track a site sends: its camera, its microphone or its shared screen."""

    def __init__(self, room: Room, session: Session, kind: str, label: str) -> None:
        self.room, self.session, self.kind, self.label = room, session, kind, label
        self.site = session.info.site
        self.codec: str | None = None
        self.receiver: Any = None
        self.assembler: FrameAssembler | None = None  # video: its loss counters (media/reassembly.py)
        self.rtx_types: set[int] = set()
        self.ssrc: int | None = None
        self.sinks: set[Any] = set()  # Slots (and recorders) showing this feed
        self.counted = True  # in the media streams gauge until closed
        metrics.MEDIA_FEEDS.inc()
        self.frames = self.keyframes = self.bytes = 0
        self.last_request = -math.inf
        self.trailing: asyncio.TimerHandle | None = None
        self.pending = False  # a keyframe was asked for before the first packet told us the SSRC
        self.level: int | None = None  # the last audio level the site sent (for other workers' speaker detection)

    @property
    def key(self) -> tuple[int, str]:
        return self.site, self.label

    @property
    def muted(self) -> bool:
        return self.kind == "audio" and self.site in self.room.muted

    def on_packet(self, packet: RtpPacket) -> None:
        if packet.payload_type in self.rtx_types:
            return
        if self.ssrc is None:
            self.ssrc = packet.ssrc
            if self.pending:
                self.request_keyframe()
        self.bytes += len(packet.payload)
        level = packet.extensions.audio_level
        if level is not None and not self.muted and self.room.publishers.get(self.site) is self.session:
            self.room.detector.level(self.site, level[1])
            self.level = level[1]

    def on_frame(self, codec: str, data: bytes, timestamp: int) -> None:
        if self.muted:
            return
        self.codec = codec
        keyframe = is_keyframe(codec, data) if self.kind == "video" else True
        self.frames += 1
        self.keyframes += keyframe and self.kind == "video"
        if self.frames == 1:
            self.room.feed_started(self)
        for sink in tuple(self.sinks):
            sink.offer(self, data, timestamp, keyframe)
        if self.room.exporter is not None and self.room.publishers.get(self.site) is self.session:
            self.room.exporter(self, data, timestamp, keyframe)

    def request_keyframe(self, lost: bool = False) -> None:
        """Ask the publisher for a keyframe, at most once per ``keyframe_interval``; a request inside
        the interval is sent when it ends (so a second late joiner is not forgotten). ``lost``: the
        reassembly gave a hole up and every subscriber's picture stands still until the keyframe comes,
        so it goes at once (unless one was asked for in the last ``LOSS_KEYFRAME_GAP``)."""
        if self.kind != "video" or self.receiver is None:
            return
        if self.ssrc is None:
            self.pending = True
            return
        self.pending = False
        loop = asyncio.get_running_loop()
        interval = LOSS_KEYFRAME_GAP if lost else self.room.settings.keyframe_interval
        wait = self.last_request + interval - loop.time()
        if wait <= 0:
            self.last_request = loop.time()
            self.room.keyframe_requests += 1
            send_pli(self.receiver, self.ssrc)
        elif self.trailing is None or self.trailing.when() > loop.time() + wait:
            # A loss's request inside a joiner's interval must not wait for the joiner's 0.5 s.
            if self.trailing is not None:
                self.trailing.cancel()
            self.trailing = loop.call_later(wait, self._trailing, lost)

    def _trailing(self, lost: bool = False) -> None:
        self.trailing = None
        self.request_keyframe(lost)

    def waiting(self) -> bool:
        if self.assembler is not None and self.assembler.need_key:
            return True
        return any(getattr(sink, "waiting", False) for sink in self.sinks)

    def close(self) -> None:
        if self.counted:
            self.counted = False
            metrics.MEDIA_FEEDS.dec()
        if self.trailing is not None:
            self.trailing.cancel()
        if self.assembler is not None:
            self.assembler.close()
        for sink in tuple(self.sinks):
            sink.assign(None)
        self.sinks.clear()


class Session:
    """One socket's peer connection: its own feeds, and its slots."""

    def __init__(self, room: Room, info: SessionInfo, send: Send) -> None:
        self.room, self.info, self.send = room, info, send
        self.pc: RTCPeerConnection | None = None
        self.feeds: list[Feed] = []
        self.video: list[tuple[str, Slot]] = []  # (mid, slot)
        self.audio: list[tuple[str, Slot]] = []
        self.wanted: list[int] = []  # sites the page shows (its grid page), in order
        self.last_layout = ""
        self.uplink = UplinkCap()  # the bitrate cap asked of this site's page (media/adaptation.py)
        self.downlink = DownlinkVideos(slots=0)  # how many of its video slots it is sent
        self.closed = False

    @property
    def site(self) -> int:
        return self.info.site

    async def negotiate(self, offer: str) -> str:
        """Build the peer connection for ``offer`` and return the answer's SDP."""
        try:
            description = SessionDescription.parse(offer)
        except Exception as e:
            raise MediaError("bad_sdp", _("The offer is not valid SDP.")) from e
        settings = self.room.settings
        pc = RTCPeerConnection(settings.rtc_configuration())
        self.pc = pc
        published: dict[str, int] = {"audio": 0, "video": 0}
        inputs: list[tuple[Feed, Any]] = []
        for media in description.media:
            if media.kind not in ("audio", "video"):
                continue
            if media.direction in ("sendonly", "sendrecv"):
                published[media.kind] += 1
                if published[media.kind] > (2 if media.kind == "video" else 1):
                    raise MediaError("bad_sdp", _("Send at most one microphone, one camera and one screen."))
                label = SCREEN if media.kind == "video" and published["video"] == 2 else CAMERA
                feed = Feed(self.room, self, media.kind, label)
                transceiver = pc.addTransceiver(media.kind, direction="recvonly")
                feed.receiver = transceiver.receiver
                feed.assembler = tap_receiver(transceiver.receiver, media.kind, feed.on_frame, feed.on_packet,
                                              on_loss=lambda _ssrc, feed=feed: feed.request_keyframe(lost=True))
                inputs.append((feed, transceiver))
            elif media.direction == "recvonly":
                limit = settings.max_videos if media.kind == "video" else settings.max_audio
                slots = self.video if media.kind == "video" else self.audio
                if len(slots) >= limit:
                    transceiver = pc.addTransceiver(media.kind, direction="inactive")
                else:
                    slot = Slot(media.kind, on_need_keyframe=lambda feed: feed.request_keyframe())
                    transceiver = pc.addTransceiver(slot, direction="sendonly")
                    slot.attach(transceiver.sender)
                    on_keyframe_request(transceiver.sender, slot.keyframe_lost)
                    slots.append(("", slot))
                    slot.transceiver = transceiver  # type: ignore[attr-defined]
            else:
                transceiver = pc.addTransceiver(media.kind, direction="inactive")
            transceiver.setCodecPreferences(codecs.preferences(media.kind, settings.video_codec))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.pc is not pc:
                return
            if pc.connectionState in ("connected", "failed"):
                log.info("media room %s: site %s (session %s) %s", self.room.meeting_id, self.site, self.info.id,
                         pc.connectionState)
            if pc.connectionState == "connected":
                self.room.site_connected(self)
            elif pc.connectionState == "failed":
                await self.room.leave(self.info.id)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as e:
            log.info("media: offer of session %s refused: %s", self.info.id, e)
            raise MediaError("codec", _("The offer must allow %(codec)s video and Opus audio.")
                             % {"codec": settings.video_codec}) from e
        for slots in (self.video, self.audio):
            slots[:] = [(slot.transceiver.mid, slot) for _mid, slot in slots]  # type: ignore[attr-defined]
        for feed, transceiver in inputs:
            feed.rtx_types = {c.payloadType for c in transceiver._codecs if is_rtx(c)}
            self.feeds.append(feed)
        return pc.localDescription.sdp

    async def add_candidate(self, candidate: dict[str, Any] | None) -> None:
        if self.pc is None:
            return
        if not candidate or not candidate.get("candidate"):
            return await self.pc.addIceCandidate(None)
        text = str(candidate["candidate"])
        ice = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
        ice.sdpMid = candidate.get("sdpMid")
        ice.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await self.pc.addIceCandidate(ice)

    async def close(self) -> None:
        self.closed = True
        for feed in self.feeds:
            feed.close()
        for _mid, slot in [*self.video, *self.audio]:
            if slot.source is not None:
                slot.source.sinks.discard(slot)
            slot.stop()
        if self.pc is not None:
            await self.pc.close()

    async def quality(self) -> dict[str, Any]:
        """Bitrate, loss and round-trip time of this site's connection, from the server's side."""
        report = await self.pc.getStats() if self.pc is not None else {}
        rtt = [s.roundTripTime for s in report.values()
               if s.type == "remote-inbound-rtp" and getattr(s, "roundTripTime", None)]
        received = sum(s.packetsReceived for s in report.values() if s.type == "inbound-rtp")
        lost = sum(max(s.packetsLost, 0) for s in report.values() if s.type == "inbound-rtp")
        down = [s.fractionLost for s in report.values() if s.type == "remote-inbound-rtp"]
        video = [f.assembler.counters for f in self.feeds if f.assembler is not None]
        stall = max((c.longest_stall for c in video), default=0.0)
        for counters in video:
            counters.longest_stall = 0.0  # per quality interval
        return {"received": received, "lost": lost, "rtt_ms": round(1000 * max(rtt)) if rtt else None,
                "loss_down": round(max(down) / 256, 3) if down else None,
                "bytes": sum(f.bytes for f in self.feeds),
                "frames_lost": sum(c.frames_lost for c in video), "freezes": sum(c.freezes for c in video),
                "repaired": sum(c.repaired for c in video),
                "stall_ms": round(1000 * stall)}


class Room:
    """The media of one meeting. Everything here runs on the media loop."""

    def __init__(self, meeting_id: int, main_site: int, settings: MediaSettings,
                 on_empty: Callable[[Room], None] | None = None,
                 on_site_connected: Callable[[int, int], None] | None = None) -> None:
        self.meeting_id, self.main_site, self.settings, self.on_empty = meeting_id, main_site, settings, on_empty
        self.on_site_connected = on_site_connected
        self.counted: set[int] = set()  # remote sites already counted in the roll call
        self.sessions: dict[str, Session] = {}
        self.publishers: dict[int, Session] = {}  # site → the session that publishes for it
        self.order: list[int] = []  # publishing sites, in the order they started
        self.names: dict[int, str] = {}
        self.muted: set[int] = set()
        self.spotlight: int | None = None
        self.spotlight_by_floor = False
        self.detector = SpeakerDetector()
        self.recent: list[int] = []  # speakers, latest first
        self.keyframe_requests = 0
        self.recorder: Any = None
        self._quality: dict[int, dict[str, Any]] = {}
        # A briefing spread over several workers (media/cluster.py): the sites that publish on the others,
        # and where this room's own feeds' frames go for them.
        self.remote: dict[int, Any] = {}  # site → media.remote.RemotePublisher
        self.exporter: Callable[[Feed, bytes, int, bool], None] | None = None
        self._relayout_pending = False
        self._last_relayout = -math.inf
        self._ticks = 0
        self._ticker = asyncio.get_running_loop().create_task(self._tick_loop())

    # Sessions --------------------------------------------------------------------------------------

    async def offer(self, info: SessionInfo, sdp: str, send: Send, view: list[int] | None = None) -> str:
        """A (new) offer from a socket: its old peer connection, if any, is replaced. ``view``: the sites
        its page shows first (as a later ``view`` frame would say)."""
        old = self.sessions.pop(info.id, None)
        if old is not None:
            await self._drop(old)
        session = Session(self, info, send)
        session.wanted = list(view or [])[:64]
        self.sessions[info.id] = session
        self.names[info.site] = info.site_name
        try:
            answer = await session.negotiate(sdp)
        except BaseException:
            self.sessions.pop(info.id, None)
            await session.close()
            self.relayout_soon()
            raise
        if session.feeds:
            previous = self.publishers.get(info.site)
            self.publishers[info.site] = session
            if info.site not in self.order:
                self.order.append(info.site)
            if previous is not None and previous is not session:
                for feed in previous.feeds:
                    feed.close()
                previous.send({"type": "media", "event": "replaced"})
        self.relayout_soon()
        return answer

    async def candidate(self, session_id: str, candidate: dict[str, Any] | None) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            await session.add_candidate(candidate)

    async def leave(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        await self._drop(session)
        self.relayout_soon()
        if not self.sessions and self.on_empty is not None:
            self.on_empty(self)

    async def _drop(self, session: Session) -> None:
        if self.publishers.get(session.site) is session:
            del self.publishers[session.site]
            self.order.remove(session.site)
            self.detector.forget(session.site)
            if self.spotlight == session.site and self.spotlight_by_floor:
                self.spotlight = None
        await session.close()

    async def close(self) -> None:
        self._ticker.cancel()
        if self.recorder is not None:
            self.recorder.stop()
            self.recorder = None
        for session in list(self.sessions.values()):
            await session.close()
        self.sessions.clear()

    def site_connected(self, session: Session) -> None:
        """A remote site's connection came up: its people count as present online (media/attendance.py)."""
        if session.site == self.main_site or session.site in self.counted:
            return
        self.counted.add(session.site)
        if self.on_site_connected is not None:
            self.on_site_connected(self.meeting_id, session.site)

    def feed_started(self, feed: Any) -> None:
        if self.publishers.get(feed.site) is feed.session or self.remote.get(feed.site) is feed.session:
            self.relayout_soon()

    # Chair controls --------------------------------------------------------------------------------

    def mute(self, site: int, muted: bool) -> None:
        (self.muted.add if muted else self.muted.discard)(site)
        if muted:
            self.detector.forget(site)
        self.relayout()

    def set_spotlight(self, site: int | None, by_floor: bool = False) -> None:
        if by_floor and self.spotlight is not None and not self.spotlight_by_floor and site is None:
            return  # the floor ended, but the chair's own spotlight stays
        self.spotlight, self.spotlight_by_floor = site, by_floor and site is not None
        self.relayout()

    def view(self, session_id: str, sites: list[int]) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            session.wanted = sites[:64]
            self.relayout()

    # Who sees and hears whom -----------------------------------------------------------------------

    def chair_site(self) -> int:
        for session in self.sessions.values():
            if "chair" in session.info.roles:
                return session.site
        return self.main_site

    def all_publishers(self) -> list[Any]:
        """Local publishing sessions in the order they started, then sites publishing on other workers."""
        local = [self.publishers[site] for site in self.order]
        return [*local, *(p for site, p in self.remote.items() if site not in self.publishers)]

    def live_feeds(self, kind: str) -> dict[tuple[int, str], Any]:
        feeds = {}
        for publisher in self.all_publishers():
            for feed in publisher.feeds:
                if feed.kind == kind and feed.frames and not (kind == "audio" and feed.site in self.muted):
                    feeds[feed.key] = feed
        return feeds

    def video_for(self, session: Session, feeds: dict[tuple[int, str], Feed]) -> list[tuple[int, str]]:
        screens = [key for key in feeds if key[1] == SCREEN]
        preferred = [*screens, *((site, CAMERA) for site in (
            self.spotlight, self.chair_site(), self.detector.speaker, *session.wanted, *self.recent))]
        mine = [key for key in feeds if key[0] == session.site]
        session.downlink.slots = len(session.video)
        return selection.choose(session.downlink.limit, preferred, list(feeds), mine)

    def audio_for(self, session: Session, feeds: dict[tuple[int, str], Feed]) -> list[tuple[int, str]]:
        loud = sorted(self.detector.sites, key=lambda site: -self.detector.sites[site].smooth)
        preferred = [(site, CAMERA) for site in (
            self.detector.speaker, self.chair_site(), self.spotlight, *loud)]
        mine = [key for key in feeds if key[0] == session.site]
        return selection.choose(len(session.audio), preferred, list(feeds), mine)

    def relayout_soon(self) -> None:
        """One relayout for everything that happens in this turn of the loop, and at most one per
        ``RELAYOUT_GAP`` while sites keep coming (a hundred joining together)."""
        if not self._relayout_pending:
            self._relayout_pending = True
            wait = self._last_relayout + RELAYOUT_GAP - time.monotonic()
            loop = asyncio.get_running_loop()
            if wait > 0:
                loop.call_later(wait, self._relayout_due)
            else:
                loop.call_soon(self._relayout_due)

    def _relayout_due(self) -> None:
        self._relayout_pending = False
        if self.sessions:
            self.relayout()

    def relayout(self) -> None:
        self._last_relayout = time.monotonic()
        videos, sounds = self.live_feeds("video"), self.live_feeds("audio")
        layouts = Layouts(self.state())
        for session in list(self.sessions.values()):
            for slots, feeds, chosen in ((session.video, videos, self.video_for(session, videos)),
                                         (session.audio, sounds, self.audio_for(session, sounds))):
                current = [slot.source.key if slot.source is not None else None for _mid, slot in slots]
                for (_mid, slot), key in zip(slots, selection.place(current, chosen), strict=True):
                    feed = feeds.get(key) if key is not None else None
                    if slot.source is not feed:
                        if slot.source is not None:
                            slot.source.sinks.discard(slot)
                        if feed is not None:
                            feed.sinks.add(slot)
                        slot.assign(feed)
            self._send_layout(session, layouts)
        if self.recorder is not None:
            self.recorder.follow()

    def state(self) -> dict[str, Any]:
        publishers = {p.site: p for p in self.all_publishers()}
        sites = {s.site for s in self.sessions.values()} | set(publishers)
        return {
            "main_site": self.main_site,
            "chair_site": self.chair_site(),
            "speaker": self.detector.speaker,
            "spotlight": self.spotlight,
            "muted": sorted(self.muted),
            "recording": self.recorder is not None,
            "codec": self.settings.video_codec,
            "sites": [{"site": site, "name": self.names.get(site, ""),
                       "video": any(f.kind == "video" for f in publishers[site].feeds) if site in publishers else False,
                       "audio": any(f.kind == "audio" for f in publishers[site].feeds) if site in publishers else False}
                      for site in sorted(sites, key=lambda s: (s != self.main_site, self.names.get(s, ""), s))],
        }

    def _send_layout(self, session: Session, layouts: Layouts | None = None) -> None:
        def slots(pairs: list[tuple[str, Slot]]) -> list[dict[str, Any]]:
            return [{"mid": mid, "site": slot.source.site if slot.source else None,
                     "label": slot.source.label if slot.source else None} for mid, slot in pairs]

        (layouts or Layouts(self.state())).send(session, {
            "video": slots(session.video), "audio": slots(session.audio),
            "you": {"site": session.site, "publishing": self.publishers.get(session.site) is session,
                    "muted": session.site in self.muted, "reduced": session.downlink.reduced,
                    "cap_kbps": session.uplink.cap_kbps}})

    # Every tick --------------------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("media room %s: tick failed", self.meeting_id)

    async def _tick(self) -> None:
        self._ticks += 1
        if self.detector.tick():
            speaker = self.detector.speaker
            self.recent = [speaker, *(s for s in self.recent if s != speaker)][:8]
            self.broadcast({"type": "media", "event": "speaker", "site": speaker})
            self.relayout()
        now = asyncio.get_running_loop().time()
        for publisher in self.all_publishers():
            for feed in publisher.feeds:
                if feed.kind == "video" and feed.waiting() and now - feed.last_request > KEYFRAME_RETRY:
                    feed.request_keyframe()
        if self._ticks % QUALITY_EVERY == 0:
            await self._send_quality()

    def broadcast(self, frame: dict[str, Any]) -> None:
        for session in self.sessions.values():
            session.send(frame)

    async def _send_quality(self) -> None:
        """Measure every site's link, adapt to the weak ones (media/adaptation.py), and show the chair."""
        watchers = [s for s in self.sessions.values() if s.info.controls]
        now, sites, relayout = time.monotonic(), {}, False
        for session in list(self.sessions.values()):
            q = await session.quality()
            before = self._quality.get(session.site)
            if before is not None and before.get("session") == session.info.id:
                seconds = max(now - before["at"], 0.001)
                q["kbps"] = round((q["bytes"] - before["bytes"]) * 8 / seconds / 1000)
                got = q["received"] - before["received"]
                # A packet lost on the way in and repaired by a retransmission was still lost by the link: it
                # cost a round trip and the bandwidth twice. aiortc's counters forget it once repaired.
                unrepaired = q["lost"] - before["lost"]
                missed = unrepaired + q["repaired"] - before.get("repaired", 0)
                q["loss_up"] = round(min(missed / (got + unrepaired), 1.0), 3) if got + unrepaired > 0 else 0.0
            self._quality[session.site] = {**q, "at": now, "session": session.info.id}
            report = Report(q.get("kbps"), q.get("loss_up"), q.get("loss_down"), q.get("rtt_ms"))
            publishing = self.publishers.get(session.site) is session
            if publishing and session.uplink.update(report):
                session.send({"type": "media", "event": "bitrate", "max_kbps": session.uplink.cap_kbps})
            session.downlink.slots = len(session.video)
            relayout |= session.downlink.update(report)
            if publishing or session.site not in sites:
                sites[session.site] = {k: q.get(k) for k in ("kbps", "loss_up", "loss_down", "rtt_ms", "frames_lost",
                                                             "freezes", "stall_ms")}
                sites[session.site].update(cap_kbps=session.uplink.cap_kbps, videos=session.downlink.limit)
        if relayout:
            self.relayout()
        frame = {"type": "media", "event": "quality", "sites": {str(k): v for k, v in sites.items()}}
        for session in watchers:
            session.send(frame)
