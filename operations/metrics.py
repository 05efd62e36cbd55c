"""The process's Prometheus metrics (prometheus-client), served by ``views.metrics``.

One registry per server process: with several Daphne processes, Prometheus scrapes each one on its own
port (docs/operations.md, "Metrics"). The names say what is counted; the code that counts calls these
objects directly, so the path of a ballot or a frame stays readable.
"""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

SOCKETS_OPEN = Gauge("phonghop_sockets_open", "Meeting sockets open in this process", registry=REGISTRY)
FANOUT_MESSAGES = Counter(
    "phonghop_fanout_messages_total", "Messages (events and frames) this process fanned out to its sockets",
    registry=REGISTRY)
FANOUT_DELIVERIES = Counter(
    "phonghop_fanout_deliveries_total", "Messages handed to sockets (one per socket per message)", registry=REGISTRY)
FANOUT_LATENCY = Histogram(
    "phonghop_fanout_latency_seconds",
    "From publishing a message to the channel layer until this process handed it to all its sockets",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0), registry=REGISTRY)
BALLOTS = Counter("phonghop_ballots_total", "Ballots committed", registry=REGISTRY)
MEDIA_FEEDS = Gauge(
    "phonghop_media_feeds", "Media streams (cameras, microphones, screens) the media server forwards",
    registry=REGISTRY)
PDF_RENDERS = Counter(
    "phonghop_pdf_renders_total", "Page renders asked of the sandboxed render pool, by outcome",
    ["outcome"], registry=REGISTRY)
ERRORS = Counter("phonghop_errors_total", "Log records at ERROR or above, by logger", ["logger"], registry=REGISTRY)


def exposition() -> bytes:
    return generate_latest(REGISTRY)


class ErrorCounter(logging.Handler):
    """Counts errors as they are logged: every failure path already logs, so none is missed."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        ERRORS.labels(logger=record.name.split(".", 1)[0]).inc()
