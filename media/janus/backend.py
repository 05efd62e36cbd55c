"""Janus VideoRoom behind the ``MediaBackend`` interface: the browsers send and receive media through Janus,
our server decides everything else.

Per briefing (meeting) there is one VideoRoom room in one Janus instance (placed by load when there are
several: ``JanusPlacement``) and one Janus session of ours holding all of that room's handles. Per meeting
socket: a publisher handle when the page sends (its ``offer``: the browser offers, Janus answers) and a
subscriber handle (its ``subscribe``: Janus offers, the browser answers with ``subscribe_answer``).

Slots, as with the embedded forwarder (media/room.py): a subscriber is created with ``max_videos`` video and
``max_audio`` audio m-lines, all fed at first by the room's dummy publisher (VideoRoom's placeholder for
m-lines nobody fills yet, so they exist before anyone publishes). Which site fills which slot is our
choice, made with the same rules (``media.selection``: shared screen, spotlight, chair's site, speaker,
the page's view, recent speakers, the rest; never the site itself, never a muted site's sound), and put into
Janus with ``switch``, which changes a slot's source without renegotiation; the page learns it from the
same ``layout`` frame. ``autoupdate`` is off: a publisher that vanishes leaves its slots idle instead of
making Janus renegotiate every subscriber; when we know a publisher goes (its socket left, or it was
replaced) its slots are switched away first. A switch onto a slot Janus had to deactivate makes it send a new
subscriber offer, which is relayed like the first (``subscribe_offer``).

Mute: VideoRoom ``moderate`` on the site's audio m-line (Janus stops forwarding it) and the site out of the
sound slots. Spotlight and the floor: a relayout. The speaker: VideoRoom's ``talking`` events (RFC 6464
levels, as ours). Recording: ``enable_recording`` (Janus writes one ``.mjr`` file per stream and publisher into
the room's ``rec_dir``). Quality: what Janus reports, its slow-link events (packets lost each way).

Everything here runs on one event loop (``JanusBackend`` is the in-process backend's thread, with this
server instead of the aiortc one); media/signaling.py has checked who may do what before a request gets here.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from media import requests, selection
from media.adaptation import WEAK_LOSS, DownlinkVideos, Report, UplinkCap
from media.backend import InProcessBackend
from media.janus import postprocess
from media.janus.client import JanusClient, JanusError, JanusSession, JanusUnavailable
from media.layout import Layouts
from media.room import CAMERA, SCREEN, MediaError, Send, SessionInfo

log = logging.getLogger(__name__)

ROOM_BASE = 1_000_000_000  # Janus room id = this + meeting id: clear of rooms an operator configured by hand
QUALITY_EVERY = 2.0  # seconds
H264_FMTP = "profile-level-id=42e01f;packetization-mode=1"
Key = tuple[int, str]  # (site, camera | screen)
Source = tuple[int, str]  # (Janus feed id, the publisher's mid)


@dataclass
class JanusSettings:
    urls: list[str]
    api_secret: str = ""
    max_videos: int = 6
    max_audio: int = 4
    video_codec: str = "VP8"
    rec_dir: str = ""  # where Janus writes recordings (a path on the Janus machine); <rec_dir>/<meeting>
    max_publishers: int = 250  # VideoRoom's limit on senders in a room: above any province's sites


def settings_from_django() -> JanusSettings:
    from django.conf import settings

    urls = list(settings.PHONGHOP_JANUS_URL)
    if not urls:
        raise RuntimeError("PHONGHOP_MEDIA_BACKEND=janus needs PHONGHOP_JANUS_URL (Janus's HTTP API, on a private address)")
    return JanusSettings(
        urls=urls, api_secret=settings.PHONGHOP_JANUS_API_SECRET, max_videos=settings.PHONGHOP_MEDIA_MAX_VIDEOS,
        max_audio=settings.PHONGHOP_MEDIA_MAX_AUDIO, video_codec=settings.PHONGHOP_MEDIA_VIDEO_CODEC,
        rec_dir=settings.PHONGHOP_JANUS_REC_DIR or str(Path(settings.MEDIA_ROOT) / "recordings"))


def unavailable() -> MediaError:
    return MediaError("unavailable", _("The video server is not answering. The page will try again in a moment."))


class JanusPlacement:
    """Several Janus instances: a briefing's room goes where it already is (another process of ours made it,
    or ours before a restart), else to the instance with the fewest participants; one that does not answer
    is left out."""

    def __init__(self, settings: JanusSettings) -> None:
        self.clients = [JanusClient(url, settings.api_secret) for url in settings.urls]

    async def place(self, room_id: int) -> JanusClient:
        if len(self.clients) == 1:
            return self.clients[0]
        loads: list[tuple[int, int]] = []
        for index, client in enumerate(self.clients):
            try:
                session = await client.session(poll=False)
                try:
                    handle = await session.attach()
                    if (await session.request(handle, {"request": "exists", "room": room_id})).get("exists"):
                        return client
                    rooms = (await session.request(handle, {"request": "list"})).get("list") or []
                    loads.append((sum(int(r.get("num_participants") or 0) for r in rooms), index))
                finally:
                    await session.destroy()
            except (JanusUnavailable, JanusError) as e:
                log.warning("Janus %s left out of placement: %s", client.url, e)
        if not loads:
            raise unavailable()
        return self.clients[min(loads)[1]]

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


class Peer:
    """One meeting socket in the room: its publisher handle (if it sends) and its subscriber handle."""

    def __init__(self, info: SessionInfo, send: Send) -> None:
        self.info, self.send = info, send
        self.pub: int | None = None
        self.feed: int | None = None
        self.mids: dict[str, str] = {}  # "audio" | camera | screen → the publisher's mid
        self.live = False  # Janus's PeerConnection with the publisher is up
        self.sub: int | None = None
        self.video: list[list[Any]] = []  # [sub mid, key | None, source]
        self.audio: list[list[Any]] = []
        self.wanted: list[int] = []
        self.last_layout = ""
        self.lost_up = self.lost_down = 0  # packets Janus reported lost since the last quality frame
        self.uplink = UplinkCap()  # the bitrate cap asked of this site's page (media/adaptation.py)
        self.downlink = DownlinkVideos(slots=0)  # how many of its video slots it is sent

    @property
    def site(self) -> int:
        return self.info.site


class JanusRoom:
    def __init__(self, server: JanusServer, meeting_id: int, main_site: int) -> None:
        self.server, self.settings = server, server.settings
        self.meeting_id, self.main_site = meeting_id, main_site
        self.room_id = ROOM_BASE + meeting_id
        self.session: JanusSession | None = None
        self.admin: int | None = None  # a handle for the room's synchronous requests
        self.dummy: int | None = None
        self.dummy_mids: dict[str, str] = {}
        self.peers: dict[str, Peer] = {}
        self.by_handle: dict[int, Peer] = {}
        self.publishers: dict[int, Peer] = {}
        self.order: list[int] = []
        self.names: dict[int, str] = {}
        self.muted: set[int] = set()
        self.spotlight: int | None = None
        self.spotlight_by_floor = False
        self.speaker: int | None = None
        self.recent: list[int] = []
        self.recording = False
        self.counted: set[int] = set()
        self.closed = False
        self._lock = asyncio.Lock()
        self._dirty = False
        self._relayout_task: asyncio.Task | None = None
        self._quality_task: asyncio.Task | None = None

    # Janus's room --------------------------------------------------------------------------------------

    async def open(self) -> None:
        client = await self.server.placement.place(self.room_id)
        try:
            self.session = await client.session(self._on_event)
        except (JanusUnavailable, JanusError) as e:
            log.warning("meeting %s: Janus %s: %s", self.meeting_id, client.url, e)
            raise unavailable() from e
        self.session.on_lost = self._lost
        try:
            self.admin = await self.session.attach()
            if (await self.request({"request": "exists", "room": self.room_id})).get("exists"):
                self.dummy = await self._find_dummy()
                if self.dummy is None:  # not one of ours after all (made by hand): ours replaces it
                    await self.request({"request": "destroy", "room": self.room_id})
            if self.dummy is None:
                await self.request(self._create_body())
                self.dummy = await self._find_dummy()
        except (JanusUnavailable, JanusError) as e:
            await self.session.destroy()
            log.warning("meeting %s: opening the Janus room failed: %s", self.meeting_id, e)
            raise unavailable() from e
        # The dummy publisher's streams: one per codec, audio first (VideoRoom numbers them 0, 1).
        self.dummy_mids = {"audio": "0", "video": "1"}
        self._quality_task = asyncio.get_running_loop().create_task(self._quality_loop())

    def _create_body(self) -> dict[str, Any]:
        codec = self.settings.video_codec.lower()
        video_stream: dict[str, Any] = {"codec": codec}
        body: dict[str, Any] = {
            "request": "create", "room": self.room_id, "description": f"phonghop {self.meeting_id}",
            "publishers": self.settings.max_publishers, "audiocodec": "opus", "videocodec": codec,
            "audiolevel_ext": True, "audiolevel_event": True, "audio_active_packets": 25,
            "notify_joining": False, "record": False, "lock_record": True,
            "rec_dir": str(self.rec_folder()),
            "dummy_publisher": True, "dummy_streams": [{"codec": "opus"}, video_stream],
        }
        if codec == "h264":
            body["h264_profile"] = "42e01f"
            video_stream["fmtp"] = H264_FMTP
        return body

    async def _find_dummy(self) -> int | None:
        data = await self.request({"request": "listparticipants", "room": self.room_id})
        return next((p["id"] for p in data.get("participants") or [] if p.get("dummy")), None)

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self.session is not None and self.admin is not None
        return await self.session.request(self.admin, body)

    async def close(self, destroy: bool = True) -> None:
        self.closed = True
        was_recording, self.recording = self.recording, False
        for task in (self._relayout_task, self._quality_task):
            if task is not None:
                task.cancel()
        if self.session is not None and not self.session.closed:
            if destroy:
                try:
                    await self.request({"request": "destroy", "room": self.room_id})
                except (JanusError, JanusUnavailable):
                    pass
            await self.session.destroy()  # every handle with it
        self.peers.clear()
        self.by_handle.clear()
        if was_recording:  # the room is gone, and Janus has closed its recording files with it
            self.server.make_playable(self)

    def _lost(self, error: Exception) -> None:
        """Our Janus session is gone (Janus down or restarted): every page starts over, and its new offer
        makes a new room (where a Janus answers)."""
        log.warning("meeting %s: lost the Janus session: %s", self.meeting_id, error)
        message = unavailable()
        for peer in list(self.peers.values()):
            peer.send({"type": "media", "event": "error", "action": "offer", "code": message.code,
                       "message": message.message})
        self.server.forget(self)
        asyncio.get_running_loop().create_task(self.close(destroy=False))

    # Sockets ---------------------------------------------------------------------------------------------

    def peer(self, info: SessionInfo, send: Send) -> Peer:
        peer = self.peers.get(info.id)
        if peer is None:
            peer = self.peers[info.id] = Peer(info, send)
        peer.send = send
        self.names[info.site] = info.site_name
        return peer

    async def publish(self, peer: Peer, sdp: str) -> str:
        assert self.session is not None
        if peer.pub is not None:
            await self._unpublish(peer)
        handle = await self.session.attach()
        peer.pub, peer.feed, peer.live, peer.mids = handle, secrets.randbits(48), False, {}
        peer.uplink = UplinkCap()  # a new peer connection starts uncapped (the page resets its own cap)
        self.by_handle[handle] = peer
        try:
            await self.session.message(handle, {"request": "join", "ptype": "publisher", "room": self.room_id,
                                                "id": peer.feed, "display": str(peer.site)})
            event = await self.session.message(handle, {"request": "publish"}, {"type": "offer", "sdp": sdp})
        except JanusError as e:
            await self._unpublish(peer)
            log.info("meeting %s: Janus refused the offer of %s: %s", self.meeting_id, peer.info.id, e)
            raise MediaError("codec", _("The offer must allow %(codec)s video and Opus audio.")
                             % {"codec": self.settings.video_codec}) from e
        data = (event.get("plugindata") or {}).get("data") or {}
        jsep = event.get("jsep") or {}
        videos = 0
        for stream in data.get("streams") or []:
            if stream.get("disabled"):
                continue
            if stream.get("type") == "audio" and "audio" not in peer.mids:
                peer.mids["audio"] = stream["mid"]
            elif stream.get("type") == "video" and videos < 2:
                peer.mids[CAMERA if videos == 0 else SCREEN] = stream["mid"]
                videos += 1
        if not jsep.get("sdp") or not peer.mids:
            await self._unpublish(peer)
            raise MediaError("codec", _("The offer must allow %(codec)s video and Opus audio.")
                             % {"codec": self.settings.video_codec})
        await self.session.trickle_done(handle)
        previous = self.publishers.get(peer.site)
        self.publishers[peer.site] = peer
        if peer.site not in self.order:
            self.order.append(peer.site)
        if previous is not None and previous is not peer:
            await self._unpublish(previous)
            previous.send({"type": "media", "event": "replaced"})
        if peer.site in self.muted:
            await self._moderate(peer, True)
        self.relayout_soon()
        return jsep["sdp"]

    async def subscribe(self, peer: Peer, view: list[int]) -> str:
        """A subscriber with every slot on the dummy publisher; the slots are filled by the relayout."""
        assert self.session is not None and self.dummy is not None
        peer.wanted = view[:64]
        if peer.sub is not None:  # the page made a new peer connection: the old subscription goes
            self.by_handle.pop(peer.sub, None)
            await self.session.detach(peer.sub)
            peer.sub = None
        handle = await self.session.attach()
        self.by_handle[handle] = peer
        peer.downlink = DownlinkVideos(slots=0)
        video = (self.dummy, self.dummy_mids["video"])
        audio = (self.dummy, self.dummy_mids["audio"])
        streams = [{"feed": video[0], "mid": video[1]}] * self.settings.max_videos + \
                  [{"feed": audio[0], "mid": audio[1]}] * self.settings.max_audio
        event = await self.session.message(handle, {"request": "join", "ptype": "subscriber", "room": self.room_id,
                                                    "streams": streams, "autoupdate": False})
        data = (event.get("plugindata") or {}).get("data") or {}
        peer.sub = handle
        peer.video = [[s["mid"], None, video] for s in data.get("streams") or [] if s.get("type") == "video"]
        peer.audio = [[s["mid"], None, audio] for s in data.get("streams") or [] if s.get("type") == "audio"]
        sdp = (event.get("jsep") or {}).get("sdp")
        if not sdp:
            raise unavailable()
        self.relayout_soon()
        return sdp

    async def answer(self, peer: Peer, sdp: str) -> None:
        assert self.session is not None
        if peer.sub is None:
            raise MediaError("no_session", _("Send an offer first."))
        await self.session.message(peer.sub, {"request": "start"}, {"type": "answer", "sdp": sdp})
        await self.session.trickle_done(peer.sub)

    async def leave(self, session_id: str) -> None:
        peer = self.peers.pop(session_id, None)
        if peer is None:
            return
        await self._unpublish(peer)
        if peer.sub is not None and self.session is not None:
            self.by_handle.pop(peer.sub, None)
            await self.session.detach(peer.sub)
            peer.sub = None
        if self.peers:
            self.relayout_soon()

    async def _unpublish(self, peer: Peer) -> None:
        """Switch every slot this publisher fills to the dummy first (so no subscriber's m-line goes inactive
        and needs renegotiating), then let its handle go."""
        if self.publishers.get(peer.site) is peer:
            del self.publishers[peer.site]
            self.order.remove(peer.site)
            if self.speaker == peer.site:
                self.speaker = None
            if self.spotlight == peer.site and self.spotlight_by_floor:
                self.spotlight = None
        if peer.pub is None or self.session is None:
            return
        handle, feed = peer.pub, peer.feed
        peer.pub = peer.feed = None
        peer.live = False
        await self._switch_away(feed)
        self.by_handle.pop(handle, None)
        await self.session.detach(handle)

    async def _switch_away(self, feed: int | None) -> None:
        async with self._lock:
            jobs = []
            for other in self.peers.values():
                changes = []
                for slots, kind in ((other.video, "video"), (other.audio, "audio")):
                    for slot in slots:
                        if slot[2][0] == feed:
                            slot[1], slot[2] = None, (self.dummy, self.dummy_mids[kind])
                            changes.append({"feed": slot[2][0], "mid": slot[2][1], "sub_mid": slot[0]})
                if changes and other.sub is not None:
                    jobs.append(self._switch(other, changes))
            await asyncio.gather(*jobs)

    async def _switch(self, peer: Peer, changes: list[dict[str, Any]]) -> None:
        try:
            await self.session.message(peer.sub, {"request": "switch", "streams": changes})
        except (JanusError, JanusUnavailable) as e:
            log.info("meeting %s: switching the slots of %s failed: %s", self.meeting_id, peer.info.id, e)

    # Chair controls ----------------------------------------------------------------------------------------

    async def mute(self, site: int, muted: bool) -> None:
        (self.muted.add if muted else self.muted.discard)(site)
        if muted and self.speaker == site:
            self.speaker = None
        peer = self.publishers.get(site)
        if peer is not None:
            await self._moderate(peer, muted)
        self.relayout_soon()

    async def _moderate(self, peer: Peer, muted: bool) -> None:
        if "audio" in peer.mids and peer.feed is not None:
            await self.request({"request": "moderate", "room": self.room_id, "id": peer.feed,
                                "mid": peer.mids["audio"], "mute": muted})

    def set_spotlight(self, site: int | None, by_floor: bool = False) -> None:
        if by_floor and self.spotlight is not None and not self.spotlight_by_floor and site is None:
            return  # the floor ended, but the chair's own spotlight stays
        self.spotlight, self.spotlight_by_floor = site, by_floor and site is not None
        self.relayout_soon()

    async def record(self, on: bool) -> None:
        await self.request({"request": "enable_recording", "room": self.room_id, "record": on})
        was, self.recording = self.recording, on
        self.relayout_soon()
        if was and not on:
            self.server.make_playable(self)

    def rec_folder(self) -> Path:
        """Where Janus writes this briefing's .mjr files (a path on the Janus machine)."""
        return Path(self.settings.rec_dir) / str(self.meeting_id) / "janus"

    def view(self, peer: Peer, sites: list[int]) -> None:
        peer.wanted = sites[:64]
        self.relayout_soon()

    # Who sees and hears whom -------------------------------------------------------------------------------

    def chair_site(self) -> int:
        for peer in self.peers.values():
            if "chair" in peer.info.roles:
                return peer.site
        return self.main_site

    def live(self, kind: str) -> dict[Key, Source]:
        feeds: dict[Key, Source] = {}
        for site in self.order:
            peer = self.publishers[site]
            if not peer.live or peer.feed is None:
                continue
            if kind == "audio":
                if "audio" in peer.mids and site not in self.muted:
                    feeds[(site, CAMERA)] = (peer.feed, peer.mids["audio"])
            else:
                for label in (CAMERA, SCREEN):
                    if label in peer.mids:
                        feeds[(site, label)] = (peer.feed, peer.mids[label])
        return feeds

    def video_for(self, peer: Peer, feeds: dict[Key, Source]) -> list[Key]:
        screens = [key for key in feeds if key[1] == SCREEN]
        preferred = [*screens, *((site, CAMERA) for site in (
            self.spotlight, self.chair_site(), self.speaker, *peer.wanted, *self.recent))]
        mine = [key for key in feeds if key[0] == peer.site]
        peer.downlink.slots = len(peer.video)
        return selection.choose(peer.downlink.limit, preferred, list(feeds), mine)

    def audio_for(self, peer: Peer, feeds: dict[Key, Source]) -> list[Key]:
        preferred = [(site, CAMERA) for site in (self.speaker, self.chair_site(), self.spotlight, *self.recent)]
        mine = [key for key in feeds if key[0] == peer.site]
        return selection.choose(len(peer.audio), preferred, list(feeds), mine)

    def relayout_soon(self) -> None:
        """One relayout at a time per room; whatever changes while one runs is done by the next."""
        self._dirty = True
        if self.closed or (self._relayout_task is not None and not self._relayout_task.done()):
            return
        self._relayout_task = asyncio.get_running_loop().create_task(self._relayouts())

    async def _relayouts(self) -> None:
        while self._dirty and not self.closed:
            self._dirty = False
            try:
                await self.relayout()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("meeting %s: Janus relayout failed", self.meeting_id)

    async def relayout(self) -> None:
        async with self._lock:
            videos, sounds = self.live("video"), self.live("audio")
            jobs = []
            for peer in list(self.peers.values()):
                if peer.sub is None:
                    continue
                changes = []
                for slots, feeds, chosen, kind in ((peer.video, videos, self.video_for(peer, videos), "video"),
                                                   (peer.audio, sounds, self.audio_for(peer, sounds), "audio")):
                    placed = selection.place([slot[1] for slot in slots], chosen)
                    for slot, key in zip(slots, placed, strict=True):
                        source = feeds[key] if key is not None else (self.dummy, self.dummy_mids[kind])
                        if slot[2] != source:
                            changes.append({"feed": source[0], "mid": source[1], "sub_mid": slot[0]})
                            slot[2] = source
                        slot[1] = key
                if changes:
                    jobs.append(self._switch(peer, changes))
            await asyncio.gather(*jobs)
        layouts = Layouts(self.state())
        for peer in list(self.peers.values()):
            self.send_layout(peer, layouts)

    def state(self) -> dict[str, Any]:
        sites = {p.site for p in self.peers.values()} | set(self.order)
        return {
            "main_site": self.main_site, "chair_site": self.chair_site(), "speaker": self.speaker,
            "spotlight": self.spotlight, "muted": sorted(self.muted), "recording": self.recording,
            "codec": self.settings.video_codec,
            "sites": [{"site": site, "name": self.names.get(site, ""),
                       "video": any(k in self.publishers[site].mids for k in (CAMERA, SCREEN)) if site in self.publishers else False,
                       "audio": "audio" in self.publishers[site].mids if site in self.publishers else False}
                      for site in sorted(sites, key=lambda s: (s != self.main_site, self.names.get(s, ""), s))],
        }

    def send_layout(self, peer: Peer, layouts: Layouts | None = None) -> None:
        if peer.sub is None and peer.pub is None:
            return

        def slots(rows: list[list[Any]]) -> list[dict[str, Any]]:
            return [{"mid": mid, "site": key[0] if key else None, "label": key[1] if key else None}
                    for mid, key, _source in rows]

        (layouts or Layouts(self.state())).send(peer, {
            "video": slots(peer.video), "audio": slots(peer.audio),
            "you": {"site": peer.site, "publishing": self.publishers.get(peer.site) is peer,
                    "muted": peer.site in self.muted, "reduced": peer.downlink.reduced,
                    "cap_kbps": peer.uplink.cap_kbps}})

    # Janus's events ----------------------------------------------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("janus")
        peer = self.by_handle.get(event.get("sender") or 0)
        if kind == "webrtcup" and peer is not None:
            if event.get("sender") == peer.pub:
                peer.live = True
                self.relayout_soon()
            self._site_connected(peer)
        elif kind == "hangup" and peer is not None and event.get("sender") == peer.pub:
            # The publisher's PeerConnection died (ICE failed, the browser went): the page offers again.
            asyncio.get_running_loop().create_task(self._unpublish(peer))
            self.relayout_soon()
        elif kind == "slowlink" and peer is not None:
            lost = int(event.get("lost") or 0)
            if event.get("uplink"):  # Janus's own sending: what the site receives
                peer.lost_down += lost
            else:
                peer.lost_up += lost
        elif kind == "event":
            data = (event.get("plugindata") or {}).get("data") or {}
            jsep = event.get("jsep")
            if data.get("videoroom") in ("talking", "stopped-talking"):
                self._talking(data)
            elif jsep and jsep.get("type") == "offer" and peer is not None and event.get("sender") == peer.sub:
                # Janus renegotiates a subscription (a slot it had deactivated was filled again).
                peer.send({"type": "media", "event": "subscribe_offer", "sdp": jsep["sdp"]})

    def _talking(self, data: dict[str, Any]) -> None:
        site = next((p.site for p in self.publishers.values() if p.feed == data.get("id")), None)
        if site is None or site in self.muted:
            return
        if data["videoroom"] == "talking" and self.speaker != site:
            self.speaker = site
            self.recent = [site, *(s for s in self.recent if s != site)][:8]
        elif data["videoroom"] == "stopped-talking" and self.speaker == site:
            self.speaker = None
        else:
            return
        for peer in self.peers.values():
            peer.send({"type": "media", "event": "speaker", "site": self.speaker})
        self.relayout_soon()

    def _site_connected(self, peer: Peer) -> None:
        if peer.site == self.main_site or peer.site in self.counted:
            return
        self.counted.add(peer.site)
        if self.server.on_site_connected is not None:
            self.server.on_site_connected(self.meeting_id, peer.site)

    async def _quality_loop(self) -> None:
        """Every 2 s: what Janus tells about each site's link, to the chair and the secretary, and the weak-link
        levers of the aiortc backend (media/adaptation.py) driven by it.

        Janus's client API reports packet loss only, as ``slowlink`` events when more than 4 packets a second
        were lost (``slowlink_threshold``, media/janus/config.py): about 4 % of a 1 Mbps camera, near
        adaptation's ``WEAK_LOSS``. So an interval with such an event on a site's way in counts as a lossy
        report for its uplink (its page is asked to cap its camera, ``bitrate``), one on its way out as a lossy
        report for its downlink (it is sent fewer videos), and an interval without as a clean one. Bitrate and
        round trip are in Janus's admin API, which stays closed, so they are ``null``."""
        while not self.closed:
            await asyncio.sleep(QUALITY_EVERY)
            watchers = [p for p in self.peers.values() if p.info.controls]
            sites: dict[str, dict[str, Any]] = {}
            relayout = False
            for peer in list(self.peers.values()):
                publishing = self.publishers.get(peer.site) is peer
                report = Report(loss_up=(WEAK_LOSS if peer.lost_up else 0.0) if publishing and peer.live else None,
                                loss_down=(WEAK_LOSS if peer.lost_down else 0.0) if peer.sub is not None else None)
                if publishing and peer.uplink.update(report):
                    peer.send({"type": "media", "event": "bitrate", "max_kbps": peer.uplink.cap_kbps})
                    relayout = True  # the page's layout says the cap
                peer.downlink.slots = len(peer.video)
                relayout |= peer.downlink.update(report)
                row = sites.setdefault(str(peer.site), {"kbps": None, "loss_up": None, "loss_down": None,
                                                        "rtt_ms": None, "lost_up": 0, "lost_down": 0,
                                                        "frames_lost": 0, "freezes": 0, "stall_ms": 0,
                                                        "cap_kbps": None, "videos": None})
                row["lost_up"] += peer.lost_up
                row["lost_down"] += peer.lost_down
                if publishing or row["videos"] is None:
                    row.update(cap_kbps=peer.uplink.cap_kbps, videos=peer.downlink.limit)
                peer.lost_up = peer.lost_down = 0
            for row in sites.values():
                row["weak"] = row["lost_up"] > 0 or row["lost_down"] > 0
            if relayout:
                self.relayout_soon()
            for peer in watchers:
                peer.send({"type": "media", "event": "quality", "sites": sites})


class JanusServer:
    """The Janus rooms of this process by meeting, and the socket requests that reach them (the same calls
    as media/server.py ``MediaServer``)."""

    def __init__(self, settings: JanusSettings, roll_call: bool = False) -> None:
        self.settings = settings
        self.placement = JanusPlacement(settings)
        self.rooms: dict[int, JanusRoom] = {}
        self.where: dict[str, int] = {}
        self._opening: dict[int, asyncio.Future] = {}
        self._closing: dict[int, asyncio.Task] = {}  # rooms being destroyed in Janus (their last socket left)
        self.on_site_connected: Callable[[int, int], None] | None = self._roll_call if roll_call else None
        self.postprocessing: set[asyncio.Task] = set()

    def make_playable(self, room: JanusRoom) -> None:
        """Convert the room's finished .mjr files for the recordings page (the meeting's recordings folder),
        in a thread (media/janus/postprocess.py); Janus closes them as it answers, the short wait lets its
        last writes land."""
        source = room.rec_folder()

        async def later() -> None:
            await asyncio.sleep(1)
            made = await asyncio.to_thread(postprocess.convert, source, source.parent)
            log.info("meeting %s: %s recordings made playable", room.meeting_id, len(made))

        task = asyncio.get_running_loop().create_task(later())
        self.postprocessing.add(task)
        task.add_done_callback(self.postprocessing.discard)

    def _roll_call(self, meeting_id: int, site_id: int) -> None:
        from media.attendance import count_site_soon  # Django models: imported once a site connects

        count_site_soon(meeting_id, site_id)

    async def room(self, meeting_id: int, main_site: int) -> JanusRoom:
        room = self.rooms.get(meeting_id)
        if room is not None:
            return room
        closing = self._closing.get(meeting_id)
        if closing is not None:  # a socket joins as the last one left: the old room goes first, then a new one
            await asyncio.shield(closing)
            room = self.rooms.get(meeting_id)
            if room is not None:
                return room
        opening = self._opening.get(meeting_id)
        if opening is not None:  # another socket of the meeting is opening it: wait for that one
            return await asyncio.shield(opening)
        future = self._opening[meeting_id] = asyncio.get_running_loop().create_future()
        try:
            room = JanusRoom(self, meeting_id, main_site)
            await room.open()
            self.rooms[meeting_id] = room
            future.set_result(room)
            return room
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._opening[meeting_id]

    def forget(self, room: JanusRoom) -> None:
        if self.rooms.get(room.meeting_id) is room:
            del self.rooms[room.meeting_id]
        for session_id in list(room.peers):
            self.where.pop(session_id, None)

    async def handle(self, info: SessionInfo, frame: dict[str, Any], send: Send) -> None:
        action = frame.get("action")
        try:
            await self._handle(info, frame, send, action)
        except MediaError as e:
            send({"type": "media", "event": "error", "action": action, "code": e.code, "message": e.message})
        except JanusUnavailable as e:
            log.warning("meeting %s: Janus did not answer (%s): %s", info.meeting_id, action, e)
            error = unavailable()
            send({"type": "media", "event": "error", "action": action, "code": error.code, "message": error.message})
        except JanusError as e:
            log.warning("meeting %s: Janus refused %s: %s", info.meeting_id, action, e)
            send({"type": "media", "event": "error", "action": action, "code": "internal",
                  "message": str(_("Something went wrong on the server. Please try again."))})

    async def _handle(self, info: SessionInfo, frame: dict[str, Any], send: Send, action: Any) -> None:
        if action in ("offer", "subscribe"):
            view = requests.view(frame)
            sdp = requests.sdp(frame) if action == "offer" else None
            room = await self.room(info.meeting_id, info.main_site)
            self.where[info.id] = info.meeting_id
            peer = room.peer(info, send)
            if action == "offer":
                send({"type": "media", "event": "answer", "sdp": await room.publish(peer, sdp)})
            else:
                send({"type": "media", "event": "subscribe_offer", "sdp": await room.subscribe(peer, view)})
            room.send_layout(peer)
            return
        room = self.rooms.get(self.where.get(info.id, -1))
        if action == "leave":
            return await self.close(info.id)
        if room is None or info.id not in room.peers:
            raise MediaError("no_session", _("Send an offer first."))
        peer = room.peers[info.id]
        if action == "subscribe_answer":
            await room.answer(peer, requests.sdp(frame, "answer"))
        elif action == "ice":
            pass  # the page sends its candidates inside its SDP (it waits for gathering)
        elif action == "view":
            room.view(peer, requests.sites(frame))
        elif action in ("mute", "spotlight", "record"):
            requests.check_controls(info)
            await self.control(info.meeting_id, action, frame)
        else:
            raise requests.unknown()

    async def control(self, meeting_id: int, action: str, args: dict[str, Any]) -> None:
        room = self.rooms.get(meeting_id)
        if room is None:
            if action in ("floor", "close"):
                return
            raise requests.no_briefing()
        site = requests.site(args, required=action == "mute")
        if action == "mute":
            await room.mute(site, bool(args.get("muted", True)))
        elif action == "spotlight":
            room.set_spotlight(site)
        elif action == "floor":
            room.set_spotlight(site, by_floor=True)
        elif action == "record":
            await room.record(bool(args.get("on", True)))
        elif action == "close":
            for peer in room.peers.values():
                peer.send({"type": "media", "event": "closed"})
            self.forget(room)
            await room.close()

    async def close(self, session_id: str) -> None:
        meeting_id = self.where.pop(session_id, None)
        room = self.rooms.get(meeting_id) if meeting_id is not None else None
        if room is None:
            return
        await room.leave(session_id)
        if not room.peers and self.rooms.get(room.meeting_id) is room:
            del self.rooms[room.meeting_id]
            closing = self._closing[room.meeting_id] = asyncio.get_running_loop().create_task(room.close())
            try:
                await closing  # the Janus room and our session with it
            finally:
                if self._closing.get(room.meeting_id) is closing:
                    del self._closing[room.meeting_id]

    async def shutdown(self) -> None:
        rooms = list(self.rooms.values())
        self.rooms.clear()
        try:  # bounded: a Janus that is down must not hold up the process's exit
            await asyncio.wait_for(asyncio.gather(*(room.close() for room in rooms), return_exceptions=True), 8)
        except TimeoutError:
            log.warning("Janus did not answer while closing %s briefing rooms", len(rooms))
        self.where.clear()
        await self.placement.close()
        if self.postprocessing:  # recordings being converted: let them finish, within reason
            await asyncio.wait(self.postprocessing, timeout=60)


class JanusBackend(InProcessBackend):
    """The in-process backend's loop thread, driving Janus instead of forwarding packets itself."""

    def __init__(self, settings: JanusSettings) -> None:
        super().__init__(settings, own_thread=True)  # type: ignore[arg-type]

    def make_server(self) -> Any:
        return JanusServer(self.settings, roll_call=True)  # type: ignore[arg-type]
