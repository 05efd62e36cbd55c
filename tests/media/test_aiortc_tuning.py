"""media.aiortc_tuning: aiortc's receive-bitrate window made lazily (the same rates, nothing built for a
receiver that never receives: every subscriber slot of the server is send-only), a certificate's
fingerprints computed once (the same values)."""

from __future__ import annotations

import random

from aiortc import rate

import media.room  # noqa: F401  (applies the tuning, as the server does)
from media.aiortc_tuning import LazyRateCounter

EagerRateCounter = LazyRateCounter.__bases__[0]  # aiortc's own, before media.aiortc_tuning replaced it


def test_the_lazy_window_gives_aiortcs_rates_and_builds_nothing_before_the_first_packet():
    assert rate.RateCounter is LazyRateCounter  # what RemoteBitrateEstimator builds now
    lazy, eager = LazyRateCounter(1000, 8000), EagerRateCounter(1000, 8000)
    assert lazy._buckets is None and lazy.rate(5) is None
    clock = 1_000_000
    pick = random.Random(7)
    for _ in range(5000):
        clock += pick.choice([0, 1, 3, 40, 1500])
        size = pick.randint(60, 1200)
        lazy.add(size, clock)
        eager.add(size, clock)
        assert lazy.rate(clock) == eager.rate(clock)
    lazy.reset()
    assert lazy._buckets is None and lazy.rate(clock) is None
    lazy.add(500, clock)
    assert lazy.rate(clock + 10) is not None


def test_a_send_only_transceiver_builds_no_window():
    import asyncio

    from aiortc import RTCConfiguration, RTCPeerConnection

    async def slots():
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceivers = [pc.addTransceiver("video", direction="sendonly") for _ in range(6)]
        windows = [t.receiver._RTCRtpReceiver__remote_bitrate_estimator.incoming_bitrate for t in transceivers]
        await pc.close()
        return windows

    assert all(w._buckets is None for w in asyncio.run(slots()))


def test_a_certificates_fingerprints_are_aiortcs_own_computed_once():
    from aiortc.rtcdtlstransport import RTCCertificate, certificate_digest

    from media import aiortc_tuning

    certificate = RTCCertificate.generateCertificate()
    first = certificate.getFingerprints()
    assert [f.value for f in first] == [certificate_digest(certificate._cert, f.algorithm) for f in first]
    assert {f.algorithm for f in first} == {"sha-256", "sha-384", "sha-512"}
    calls = []
    original = aiortc_tuning._compute_fingerprints
    aiortc_tuning._compute_fingerprints = lambda cert: calls.append(cert) or original(cert)
    try:
        assert certificate.getFingerprints() == first and not calls, "not computed again"
        other = RTCCertificate.generateCertificate()
        assert other.getFingerprints() != first and calls == [other], "each certificate has its own"
    finally:
        aiortc_tuning._compute_fingerprints = original
