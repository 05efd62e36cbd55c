"""/healthz, /readyz, /metrics and the structured logs (operations/)."""

from __future__ import annotations

import json
import logging
import os

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from ports import free_port

from operations import metrics
from operations.logs import JsonFormatter, RequestIds, meeting_id, request_id

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_files_and_media(client, settings):
    settings.REDIS_URL = None
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "not used", "files": "ok", "media": "ok"}


def test_readyz_fails_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: Redis is "stopped"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "not_ready"
    assert body["error"]["message"] == "Chưa sẵn sàng: redis."
    assert body["checks"]["redis"].startswith("failed") and body["checks"]["database"] == "ok"


def test_readyz_fails_when_media_workers_have_no_redis(client, settings):
    settings.REDIS_URL = None
    settings.PHONGHOP_MEDIA_BACKEND = "workers"
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["media"].startswith("failed")


@pytest.mark.redis
def test_readyz_with_a_real_redis_then_with_it_gone(client, settings):
    settings.REDIS_URL = os.environ.get("PHONGHOP_TEST_REDIS", "redis://127.0.0.1:6379/15")
    assert client.get("/readyz").json()["checks"]["redis"] == "ok"
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    assert client.get("/readyz").status_code == 503


# Metrics: closed to the public ----------------------------------------------------------------------------

def test_metrics_from_this_machine(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("phonghop_sockets_open", "phonghop_fanout_messages_total", "phonghop_fanout_latency_seconds_bucket",
                 "phonghop_ballots_total", "phonghop_media_feeds", "phonghop_pdf_renders_total",
                 "phonghop_errors_total"):
        assert name in text


@pytest.mark.parametrize("where", [
    {"REMOTE_ADDR": "10.20.30.40"},  # anyone on the network
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},  # the public, through the local proxy
    {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"},
], ids=["network", "through-proxy", "through-proxy-real-ip"])
def test_metrics_are_not_for_the_public(client, where):
    response = client.get("/metrics", **where)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_signed_in_system_admin_from_the_network_gets_no_metrics(client, people):
    client.force_login(people["root"])  # a role does not open /metrics: only the machine or the token does
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 404


def test_with_a_token_only_the_token_opens_metrics(client, settings):
    settings.PHONGHOP_METRICS_TOKEN = "bi-mat-cua-prometheus"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.1.1", HTTP_AUTHORIZATION="Bearer sai").status_code == 404
    ok = client.get("/metrics", REMOTE_ADDR="10.1.1.1", HTTP_AUTHORIZATION="Bearer bi-mat-cua-prometheus")
    assert ok.status_code == 200


def test_errors_are_counted_as_they_are_logged():
    before = metrics.ERRORS.labels(logger="meetings")._value.get()
    logging.getLogger("meetings.something").error("it broke")
    assert metrics.ERRORS.labels(logger="meetings")._value.get() == before + 1


# Structured logs ------------------------------------------------------------------------------------------

def test_a_log_line_is_json_with_the_request_and_meeting_ids():
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(JsonFormatter().format(record))

    log = logging.getLogger("phonghop.test")
    handler = Capture()
    log.addHandler(handler)
    try:
        middleware: RequestIds

        def view(request):
            middleware.process_view(request, view, (), {"meeting_id": 42})  # what Django does before the view
            log.warning("điểm danh xong")
            return HttpResponse("ok")

        middleware = RequestIds(view)
        response = middleware(RequestFactory().get("/meetings/42/", HTTP_X_REQUEST_ID="abc-123"))
    finally:
        log.removeHandler(handler)
        request_id.set(None)
        meeting_id.set(None)
    entry = json.loads(lines[0])
    assert entry["message"] == "điểm danh xong" and entry["level"] == "WARNING"
    assert entry["request_id"] == "abc-123" and entry["meeting_id"] == 42
    assert response["X-Request-ID"] == "abc-123"


def test_a_request_id_that_could_forge_log_lines_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"level": "ERROR"}')
    assert response["X-Request-ID"] != 'x"\n{"level": "ERROR"}' and len(response["X-Request-ID"]) == 32


# The counts move where things happen ----------------------------------------------------------------------

async def test_a_fanned_out_message_is_counted_with_its_latency():
    import asyncio

    from realtime import fanout
    from realtime.publish import send_all

    got = asyncio.Event()

    class Receiver:
        async def deliver(self, message):
            got.set()

    hub, receiver = fanout.hub(), Receiver()
    await hub.join("meeting.metrics-test", receiver)
    messages, deliveries = metrics.FANOUT_MESSAGES._value.get(), metrics.FANOUT_DELIVERIES._value.get()
    observed = _histogram_count(metrics.FANOUT_LATENCY)
    try:
        await send_all([("meeting.metrics-test", {"type": "meeting.frame", "group": "meeting.metrics-test",
                                                  "seq": None, "text": "{}"})])
        # The hub counts right after handing the message to its sockets, before it next waits on the layer:
        # by the time this task runs again, the counts are in.
        await asyncio.wait_for(got.wait(), 30)
    finally:
        await hub.leave("meeting.metrics-test", receiver)
    assert metrics.FANOUT_MESSAGES._value.get() == messages + 1
    assert metrics.FANOUT_DELIVERIES._value.get() == deliveries + 1
    assert _histogram_count(metrics.FANOUT_LATENCY) == observed + 1


def _histogram_count(histogram) -> float:
    return next(s.value for m in histogram.collect() for s in m.samples if s.name.endswith("_count"))
