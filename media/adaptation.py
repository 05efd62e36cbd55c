"""Weak links: what the server asks of a site whose link is poor, from the loss and round trip it measures.

The forwarder neither decodes nor encodes, and it gets one layer from each site (no simulcast: aiortc
receives one encoding per m-line). So it adapts with the two levers it has, per site, every quality
report (2 s):

- **Uplink cap.** A site losing its own packets on the way in (``loss_up``) sends more than its link
  carries, and every loss costs all its viewers a repair or a keyframe. The server asks that site's page
  to cap its camera's bitrate (``bitrate`` frame → ``RTCRtpSender.setParameters``): down by 30 % on each
  lossy report, to no less than a floor that still shows a face; up by 25 % after three clean reports in a
  row, and uncapped once it reaches the ceiling again.
- **Fewer videos down.** A site losing what the server sends it (``loss_down``) or with a long round trip
  receives fewer videos: the chair and the speaker only (two), or one when the loss is heavy. Audio is
  never reduced: it is what a briefing cannot lose. Back one video at a time after three clean reports.

Pure: the room (media/room.py) feeds it reports and applies what it returns. Thresholds are documented in
docs/architecture.md ("Weak links").
"""

from __future__ import annotations

from dataclasses import dataclass

WEAK_LOSS = 0.05  # a report with this share of packets lost is lossy
HEAVY_LOSS = 0.15
CLEAN_LOSS = 0.02  # below this (and a short round trip) a report is clean
WEAK_RTT_MS = 400
SLOW_REPORTS = 2  # a long round trip acts on the second report in a row: one is often the server's own burst
GRACE_REPORTS = 1  # a site's first loss figure covers its connection and first keyframes: not judged
CLEAN_REPORTS = 3  # clean reports in a row before stepping back up
CAP_DOWN = 0.7
CAP_UP = 1.25
FLOOR_KBPS = 150  # a 320x180 face at a low frame rate
CEILING_KBPS = 1500  # above this no cap: a 640x360 camera never needs more
STAGE_VIDEOS = 2  # the chair and the speaker


@dataclass
class Report:
    """What the server measured of one site's link over the last interval (None: not known yet)."""

    kbps: int | None = None
    loss_up: float | None = None
    loss_down: float | None = None
    rtt_ms: int | None = None


@dataclass
class UplinkCap:
    """The bitrate cap asked of one publishing site (None: uncapped)."""

    cap_kbps: int | None = None
    clean: int = 0

    def update(self, report: Report) -> bool:
        """Take one report; True when the cap changed (the page must be told)."""
        if report.loss_up is None:
            return False
        before = self.cap_kbps
        if report.loss_up >= WEAK_LOSS:
            self.clean = 0
            start = self.cap_kbps or report.kbps or CEILING_KBPS
            self.cap_kbps = max(FLOOR_KBPS, int(min(start, CEILING_KBPS) * CAP_DOWN))
        elif report.loss_up < CLEAN_LOSS and self.cap_kbps is not None:
            self.clean += 1
            if self.clean >= CLEAN_REPORTS:
                self.clean = 0
                raised = int(self.cap_kbps * CAP_UP)
                self.cap_kbps = None if raised >= CEILING_KBPS else raised
        return self.cap_kbps != before


@dataclass
class DownlinkVideos:
    """How many videos one site receives, out of the slots its page offered."""

    slots: int
    videos: int = -1  # -1: as many as the slots
    clean: int = 0
    slow: int = 0  # long round trips in a row
    reports: int = 0  # taken so far with a loss figure

    @property
    def limit(self) -> int:
        return self.slots if self.videos < 0 else min(self.videos, self.slots)

    def update(self, report: Report) -> bool:
        """Take one report; True when the number of videos changed (the room must lay out again)."""
        before = self.limit
        if report.loss_down is not None:
            self.reports += 1
            if self.reports <= GRACE_REPORTS:
                # The first with a loss figure spans the handshakes and a keyframe from every video at once,
                # the burst a weak link drops first (bench/briefing.py: sites cut to the stage for 24 s by
                # their first report while 100 joined).
                return False
        loss = report.loss_down
        # The round trip is measured from RTCP, answered by this server's loop: while a hundred sites join at
        # once, that loop is late for a few seconds and every site's round trip looks long (bench/briefing.py
        # saw sites cut to two videos for 6-18 s by one such report). A link that is really slow stays slow.
        slow_now = report.rtt_ms is not None and report.rtt_ms >= WEAK_RTT_MS
        self.slow = self.slow + 1 if slow_now else 0
        long_trip = self.slow >= SLOW_REPORTS
        if loss is not None and loss >= HEAVY_LOSS:
            self.clean, self.videos = 0, min(self.limit, 1)
        elif (loss is not None and loss >= WEAK_LOSS) or long_trip:
            self.clean, self.videos = 0, min(self.limit, STAGE_VIDEOS)
        elif loss is not None and loss < CLEAN_LOSS and not slow_now and self.videos >= 0:
            self.clean += 1
            if self.clean >= CLEAN_REPORTS:
                self.clean = 0
                self.videos = -1 if self.videos + 1 >= self.slots else self.videos + 1
        return self.limit != before

    @property
    def reduced(self) -> bool:
        return self.limit < self.slots
