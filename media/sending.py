"""The send path: a slot's frames leave as RTP from the receiving side, with no task or queue per subscriber.

aiortc's sender runs a task per track: it awaits the track's next frame, re-packetizes it, builds an
``RtpPacket`` per packet with its header extensions and a clock reading, serializes it, keeps the object
for retransmission and sends it through three coroutines. In a 100-site briefing (bench/briefing.py, 600
forwarded streams of small packets) that, the queue and the task hand-off were about 40 % of a media
worker's time (py-spy). Here a frame is packetized once for every slot that forwards it (``packetize``),
and each slot writes its own sequence number, timestamp and marker into a header made once per connection
(``RtpOut``), protects it with SRTP and hands it to the socket, all in the call that received the frame.

``take_over`` keeps the rest of aiortc's sender: its RTCP task (sender reports read the counters written
here), its NACK handling (retransmits from this history, as RTX when negotiated), its PLI hook. VP8's
picture id stays per slot, continuous across a change of source, as aiortc's encoder kept it.

The attribute names below are aiortc 1.16's private ones; ``take_over`` checks them and fails loudly if a
new aiortc renamed them (tests/media catch it).
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections.abc import Callable

from aiortc.clock import current_ntp_time
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcdtlstransport import State
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket, wrap_rtx

Payloads = list[tuple[bytes, bytes]]  # per RTP packet: the bytes before the VP8 picture id, the bytes after

_SENDER_NAMES = ("_RTCRtpSender__rtp_started", "_RTCRtpSender__rtp_exited", "_RTCRtpSender__mid",
                 "_RTCRtpSender__rtp_header_extensions_map", "_RTCRtpSender__rtx_payload_type",
                 "_RTCRtpSender__ntp_timestamp", "_RTCRtpSender__rtp_timestamp", "_RTCRtpSender__octet_count",
                 "_RTCRtpSender__packet_count", "_run_rtp", "_retransmit", "_ssrc", "_rtx_ssrc")
_DTLS_NAMES = ("_state", "_tx_srtp", "_RTCDtlsTransport__tx_bytes", "_RTCDtlsTransport__tx_packets", "transport")


# One frame, packetized once ------------------------------------------------------------------------------

class _Last:
    """The frame last packetized: every slot forwarding a feed is handed the same ``bytes`` object in turn."""

    data: bytes | None = None
    codec = ""
    payloads: Payloads = []
    ntp = 0


def packetize(codec: str, data: bytes) -> tuple[Payloads, int]:
    """The RTP payloads of one encoded frame (as aiortc's encoders cut them) and the NTP time it leaves."""
    last = _Last
    if data is last.data and codec == last.codec:
        return last.payloads, last.ntp
    if codec == "VP8":
        payloads = [(p[:2], p[4:]) for p in Vp8Encoder._packetize(data, 0)]
    elif codec == "H264":
        payloads = [(b"", p) for p in H264Encoder._packetize(H264Encoder._split_bitstream(data))]
    else:  # Opus: one packet is one frame
        payloads = [(b"", data)]
    last.data, last.codec, last.payloads, last.ntp = data, codec, payloads, current_ntp_time()
    return payloads, last.ntp


# One sender's packets ------------------------------------------------------------------------------------

class RtpOut:
    """What a slot's sender puts on the wire: its header made once, then sequence, timestamp, marker per packet."""

    def __init__(self, sender: RTCRtpSender, codec: RTCRtpCodecParameters) -> None:
        for name in _DTLS_NAMES:  # the connection is up by now: its transport has all of them
            if not hasattr(sender.transport, name):
                raise RuntimeError(f"aiortc changed: RTCDtlsTransport has no {name}; media/sending.py needs updating")
        if not hasattr(sender.transport.transport, "_connection"):
            raise RuntimeError("aiortc changed: RTCIceTransport has no _connection; media/sending.py needs updating")
        self.sender = sender
        self.codec = codec.name
        self.payload_type = codec.payloadType
        self.extensions = sender._RTCRtpSender__rtp_header_extensions_map  # type: ignore[attr-defined]
        self.rtx_payload_type: int | None = sender._RTCRtpSender__rtx_payload_type  # type: ignore[attr-defined]
        self.rtx_sequence = random.randrange(32768)  # as aiortc: far from a wrap, which would break SRTP
        self.sequence = random.randrange(32768)
        self.origin = random.getrandbits(32)
        self.picture_id = random.randrange(1 << 15)
        self.history: list[bytes | None] = [None] * RTP_HISTORY_SIZE  # unprotected, for NACKs
        self.packets = self.octets = 0
        self.header, self.abs_time = self._header(sender._ssrc, sender._RTCRtpSender__mid)  # type: ignore[attr-defined]

    def _header(self, ssrc: int, mid: str | None) -> tuple[bytearray, int | None]:
        """The header aiortc would write (its extensions: the mid, the send time), and where the send time is:
        the bytes that differ between two send times."""
        def serialize(abs_send_time: int) -> bytes:
            packet = RtpPacket(payload_type=self.payload_type, ssrc=ssrc)
            packet.extensions.mid = mid
            packet.extensions.abs_send_time = abs_send_time
            return packet.serialize(self.extensions)

        low, high = serialize(0), serialize(0xFFFFFF)
        changed = [i for i, (a, b) in enumerate(zip(low, high, strict=True)) if a != b]
        return bytearray(low), (changed[0] if len(changed) == 3 else None)

    def send(self, payloads: Payloads, timestamp: int, ntp: int) -> bool:
        """Send one frame's packets; False when the connection is not (or no longer) up."""
        dtls = self.sender.transport
        if dtls._state != State.CONNECTED:
            return False
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None or pair.protocol.transport is None:
            return False
        sendto, address, protect = pair.protocol.transport.sendto, pair.remote_addr, dtls._tx_srtp.protect
        header, history = self.header, self.history
        timestamp = (self.origin + timestamp) & 0xFFFFFFFF
        struct.pack_into("!L", header, 4, timestamp)
        if self.abs_time is not None:
            abs_time = (ntp >> 14) & 0xFFFFFF
            header[self.abs_time:self.abs_time + 3] = abs_time.to_bytes(3, "big")
        picture_id = (0x8000 | self.picture_id).to_bytes(2, "big") if self.codec == "VP8" else b""
        sequence, last, sent = self.sequence, len(payloads) - 1, 0
        for i, (head, tail) in enumerate(payloads):
            header[1] = self.payload_type | (0x80 if i == last else 0)
            header[2], header[3] = sequence >> 8, sequence & 0xFF
            packet = b"".join((header, head, picture_id, tail))
            history[sequence % RTP_HISTORY_SIZE] = packet
            protected = protect(packet)
            sendto(protected, address)
            sent += len(protected)
            self.octets += len(packet) - len(header)
            sequence = (sequence + 1) & 0xFFFF
        self.sequence = sequence
        self.packets += len(payloads)
        if self.codec == "VP8":
            self.picture_id = (self.picture_id + 1) & 0x7FFF
        # What the sender's RTCP task reports (sender reports) and its transport's statistics read.
        sender = self.sender
        sender._RTCRtpSender__ntp_timestamp = ntp  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_timestamp = timestamp  # type: ignore[attr-defined]
        sender._RTCRtpSender__octet_count = self.octets  # type: ignore[attr-defined]
        sender._RTCRtpSender__packet_count = self.packets  # type: ignore[attr-defined]
        dtls._RTCDtlsTransport__tx_bytes += sent
        dtls._RTCDtlsTransport__tx_packets += len(payloads)
        return True

    async def retransmit(self, sequence: int) -> None:
        """A packet the subscriber reported lost (NACK), again: as RTX when negotiated, as aiortc does."""
        packet = self.history[sequence % RTP_HISTORY_SIZE]
        if packet is None or int.from_bytes(packet[2:4], "big") != sequence:
            return
        if self.rtx_payload_type is not None:
            rtx = wrap_rtx(RtpPacket.parse(packet, self.extensions), payload_type=self.rtx_payload_type,
                           sequence_number=self.rtx_sequence, ssrc=self.sender._rtx_ssrc)
            self.rtx_sequence = (self.rtx_sequence + 1) & 0xFFFF
            packet = rtx.serialize(self.extensions)
        try:
            await self.sender.transport._send_rtp(packet)
        except ConnectionError:
            pass


def take_over(sender: RTCRtpSender, started: Callable[[RtpOut], None],
              stopped: Callable[[], None]) -> None:
    """Run ``sender`` without its RTP task: ``started(out)`` once the connection is up and the codec known
    (from then on the caller sends with ``out``), ``stopped()`` when the sender stops."""
    for name in _SENDER_NAMES:
        if not hasattr(sender, name):
            raise RuntimeError(f"aiortc changed: RTCRtpSender has no {name}; media/sending.py needs updating")
    outs: list[RtpOut] = []

    async def run_rtp(codec: RTCRtpCodecParameters) -> None:
        # aiortc's stop() waits for these two events: set them as its own task would.
        sender._RTCRtpSender__rtp_started.set()  # type: ignore[attr-defined]
        try:
            outs.append(RtpOut(sender, codec))
            started(outs[0])
            await asyncio.Event().wait()  # until stop() cancels this task
        except asyncio.CancelledError:
            pass
        finally:
            stopped()
            sender._RTCRtpSender__rtp_exited.set()  # type: ignore[attr-defined]

    async def retransmit(sequence: int) -> None:
        if outs:
            await outs[0].retransmit(sequence)

    sender._run_rtp = run_rtp  # type: ignore[method-assign]
    sender._retransmit = retransmit  # type: ignore[method-assign,assignment]
