"""Two costs aiortc pays for every peer connection or transceiver that a forwarding server need not pay.

Both are patched into aiortc by ``apply()`` (``media.room`` calls it on import), before any peer
connection of ours is made; each checks the names it relies on and fails loudly if a new aiortc renamed
them (tests/media/test_aiortc_tuning.py).
"""

from __future__ import annotations

from aiortc import rate as aiortc_rate
from aiortc.rtcdtlstransport import RTCCertificate, RTCDtlsFingerprint


class LazyRateCounter(aiortc_rate.RateCounter):
    """aiortc's bitrate window, its 1,000 one-millisecond buckets made on the first packet counted.

    aiortc gives every video receiver a bitrate estimator (for REMB) whose window is 1,000 objects, built
    when the transceiver is created, even for a send-only one. The server's subscriber slots are all
    send-only: a 100-site briefing built 600 such windows while the sites joined (about 1 ms each, a
    seventh of a media worker's time in bench/briefing.py's profile, and some 60 MB it never used)."""

    def reset(self) -> None:
        self._buckets: list[aiortc_rate.RateBucket] | None = None  # type: ignore[assignment]
        self._origin_index = 0
        self._origin_ms = None
        self._total = aiortc_rate.RateBucket()

    def add(self, value: int, now_ms: int) -> None:
        if self._buckets is None:
            self._buckets = [aiortc_rate.RateBucket() for _ in range(self._window_size)]
        super().add(value, now_ms)


_compute_fingerprints = RTCCertificate.getFingerprints


def _fingerprints(self: RTCCertificate) -> list[RTCDtlsFingerprint]:
    """A certificate's fingerprints, computed once: aiortc computes three digests of the certificate for
    every m-line of every description it writes (ten m-lines per site in a briefing, twice), about 3.5 ms
    of a media worker's time per joining site."""
    cached = getattr(self, "_phonghop_fingerprints", None)
    if cached is None:
        cached = self._phonghop_fingerprints = _compute_fingerprints(self)
    return list(cached)


def apply() -> None:
    if not hasattr(aiortc_rate, "RateCounter") or not hasattr(aiortc_rate.RateCounter, "_erase_old"):
        raise RuntimeError("aiortc changed: aiortc.rate.RateCounter; media/aiortc_tuning.py needs updating")
    if not hasattr(RTCCertificate, "getFingerprints"):
        raise RuntimeError("aiortc changed: RTCCertificate; media/aiortc_tuning.py needs updating")
    aiortc_rate.RateCounter = LazyRateCounter  # type: ignore[misc]  # read by RemoteBitrateEstimator.__init__
    RTCCertificate.getFingerprints = _fingerprints  # type: ignore[method-assign]
