"""media.forwarding makes aiortc's receive-bitrate window lazily: the same rates, nothing built for a
receiver that never receives (every subscriber slot of the server is send-only)."""

from __future__ import annotations

import random

from aiortc import rate

from media.forwarding import LazyRateCounter

EagerRateCounter = LazyRateCounter.__bases__[0]  # aiortc's own, before media.forwarding replaced it


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
