"""Codecs pinned end to end: a forwarder cannot translate, so every leg of a room speaks the same ones.

Video is VP8 or H.264 (constrained baseline, packetization mode 1: what browsers encode in
hardware and software alike), per room; audio is always Opus. Preferences are set on every
transceiver before the remote description is applied, so an offer without the room's codec
fails at once instead of connecting and decoding nothing.
"""

from __future__ import annotations

import functools

from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

VIDEO_CODECS = ("VP8", "H264")
H264_PROFILE = "42e01f"


def _wanted(kind: str, video_codec: str, codec: RTCRtpCodecCapability) -> bool:
    name = codec.mimeType.split("/", 1)[1].upper()
    if name == "RTX":
        return kind == "video"
    if kind == "audio":
        return name == "OPUS"
    if name != video_codec:
        return False
    return name != "H264" or (codec.parameters.get("profile-level-id") == H264_PROFILE
                              and str(codec.parameters.get("packetization-mode")) == "1")


def preferences(kind: str, video_codec: str) -> list[RTCRtpCodecCapability]:
    """The codec list for ``setCodecPreferences``: the room's video codec (with RTX for NACK), or Opus."""
    if video_codec not in VIDEO_CODECS:
        raise ValueError(f"video codec must be one of {VIDEO_CODECS}, not {video_codec!r}")
    return list(_preferences(kind, video_codec))


@functools.cache
def _preferences(kind: str, video_codec: str) -> tuple[RTCRtpCodecCapability, ...]:
    # aiortc builds its capability list anew on each call: ten times per joining site, for the same answer.
    return tuple(c for c in RTCRtpSender.getCapabilities(kind).codecs if _wanted(kind, video_codec, c))
