"""A lossy link for aiortc peers, without touching the network: drop, delay or reorder chosen RTP packets,
or lose them at random, on a peer connection's way out (uplink) or in (downlink).

Like the lossy transports of aiortc's own tests, it sits inside the peer: between the RTP stack and the
DTLS transport (``RTCDtlsTransport._send_rtp`` before SRTP protection on the way out, ``_handle_rtp_data``
after SRTP on the way in), so every packet is seen in clear, retransmissions (RTX) included, and the
real ICE/UDP path underneath stays as it is. RTCP passes untouched.

    link = LossyLink(site.pc)                          # after the answer is applied
    lost = link.uplink.drop(video, times=1)            # the next video packet
    link.uplink.delay(retransmission_of(lost), 0.4)    # and each retransmission of it, 0.4 s late
    link.downlink.loss(0.03, seed=7)                   # 3 % of what comes in, at random

Used by tests/media and bench/sfu.py.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc.codecs import is_rtx
from aiortc.rtp import is_rtcp


@dataclass
class Packet:
    """What a rule sees of one RTP packet."""

    kind: str  # "audio" or "video" (a retransmission: the kind of what it carries)
    seq: int
    ssrc: int
    marker: bool
    rtx_of: int | None  # a retransmission: the sequence number of the packet it repeats


Match = Callable[[Packet], bool]


def video(p: Packet) -> bool:
    return p.kind == "video" and p.rtx_of is None


def audio(p: Packet) -> bool:
    return p.kind == "audio"


@dataclass
class Chosen:
    """The packets a ``drop`` (or ``delay``) rule took: their sequence numbers and when."""

    seqs: list[int] = field(default_factory=list)
    at: list[float] = field(default_factory=list)  # time.time() when each was taken
    delivered_at: list[float] = field(default_factory=list)  # delayed ones: when they went on


def retransmission_of(chosen: Chosen) -> Match:
    """A retransmission (RTX) of any packet ``chosen`` took."""
    return lambda p: p.rtx_of is not None and p.rtx_of in chosen.seqs


@dataclass
class _Rule:
    match: Match
    action: str  # "drop", "delay", "reorder", "loss"
    times: int | None
    seconds: float = 0.0
    rate: float = 0.0
    rng: random.Random | None = None
    chosen: Chosen = field(default_factory=Chosen)


class Direction:
    """The rules of one direction; the first rule that takes a packet decides its fate."""

    def __init__(self, link: LossyLink, forward: Callable[..., Awaitable[None]]) -> None:
        self.link, self.forward = link, forward
        self.rules: list[_Rule] = []
        self.held: list[tuple[Any, ...]] = []  # a packet held back for reordering
        self.passed = self.dropped = 0

    def drop(self, match: Match, times: int | None = None) -> Chosen:
        return self._add(_Rule(match, "drop", times))

    def delay(self, match: Match, seconds: float, times: int | None = None) -> Chosen:
        return self._add(_Rule(match, "delay", times, seconds=seconds))

    def reorder(self, match: Match, times: int | None = 1) -> Chosen:
        """Hold a matching packet back until the next packet has gone on."""
        return self._add(_Rule(match, "reorder", times))

    def loss(self, rate: float, match: Match = lambda p: True, seed: int = 0) -> Chosen:
        """Lose each matching packet with probability ``rate`` (retransmissions too, as a real link would)."""
        return self._add(_Rule(match, "loss", None, rate=rate, rng=random.Random(seed)))

    def clear(self) -> None:
        self.rules.clear()

    def _add(self, rule: _Rule) -> Chosen:
        self.rules.append(rule)
        return rule.chosen

    async def handle(self, data: bytes, *args: Any) -> None:
        if is_rtcp(data) or not self.rules:
            return await self._pass(data, *args)
        packet = self.link.describe(data)
        for rule in self.rules:
            if packet is None or (rule.times is not None and rule.times <= 0) or not rule.match(packet):
                continue
            if rule.action == "loss" and rule.rng is not None and rule.rng.random() >= rule.rate:
                continue
            if rule.times is not None:
                rule.times -= 1
            rule.chosen.seqs.append(packet.seq)
            rule.chosen.at.append(time.time())
            if rule.action in ("drop", "loss"):
                self.dropped += 1
                return
            if rule.action == "delay":
                asyncio.get_running_loop().call_later(rule.seconds, self._late, rule.chosen, data, args)
                return
            if rule.action == "reorder":
                self.held.append((data, *args))
                return
        await self._pass(data, *args)

    def _late(self, chosen: Chosen, data: bytes, args: tuple[Any, ...]) -> None:
        chosen.delivered_at.append(time.time())
        asyncio.ensure_future(self._pass(data, *args))

    async def _pass(self, data: bytes, *args: Any) -> None:
        self.passed += 1
        try:
            await self.forward(data, *args)
        except ConnectionError:
            return
        while self.held:
            await self.forward(*self.held.pop(0))


class LossyLink:
    """Rules on one peer connection's RTP, both ways. Install after the remote description is applied
    (the transport and the payload types are known then)."""

    def __init__(self, pc: Any) -> None:
        self.kinds: dict[int, tuple[str, bool]] = {}  # payload type → (kind, is a retransmission)
        transports = {}
        for transceiver in pc.getTransceivers():
            for codec in transceiver._codecs:
                self.kinds[codec.payloadType] = (transceiver.kind, is_rtx(codec))
            transport = transceiver.sender.transport
            transports[id(transport)] = transport
        if len(transports) != 1:
            raise RuntimeError(f"LossyLink expects one (bundled) transport, found {len(transports)}")
        self.transport = next(iter(transports.values()))
        receive = self.transport._handle_rtp_data

        async def forward_in(data: bytes, arrival_time_ms: int) -> None:
            await receive(data, arrival_time_ms=arrival_time_ms)

        async def handle_in(data: bytes, arrival_time_ms: int) -> None:
            await self.downlink.handle(data, arrival_time_ms)

        self.uplink = Direction(self, self.transport._send_rtp)
        self.downlink = Direction(self, forward_in)
        self.transport._send_rtp = self.uplink.handle
        self.transport._handle_rtp_data = handle_in

    def describe(self, data: bytes) -> Packet | None:
        if len(data) < 12:
            return None
        payload_type = data[1] & 0x7F
        kind, rtx = self.kinds.get(payload_type, ("", False))
        seq = int.from_bytes(data[2:4], "big")
        rtx_of = None
        if rtx:
            # The RTX payload starts with the original sequence number (RFC 4588 4), after the header.
            offset = 12 + 4 * (data[0] & 0x0F)
            if data[0] & 0x10:
                offset += 4 + 4 * int.from_bytes(data[offset + 2:offset + 4], "big")
            if len(data) < offset + 2:
                return None
            rtx_of = int.from_bytes(data[offset:offset + 2], "big")
        return Packet(kind, seq, int.from_bytes(data[8:12], "big"), bool(data[1] & 0x80), rtx_of)
