"""Delivery over an at-most-once channel layer: lost and reordered messages are repaired from the
event log; a client that cannot keep up is closed (4408) and resyncs."""

import asyncio

import pytest
from channels.routing import URLRouter
from django.urls import path
from rt_client import db

from realtime.auth import TokenOrSessionAuthMiddleware
from realtime.consumers import MeetingConsumer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


async def test_a_message_the_layer_lost_is_filled_in_from_the_log(running, connect, monkeypatch):
    import realtime.publish

    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    real = realtime.publish.publish_event
    monkeypatch.setattr(realtime.publish, "publish_event", lambda event: None)  # the layer drops it
    lost = await minh.ok("floor.open")
    monkeypatch.setattr(realtime.publish, "publish_event", real)
    reply = await minh.ok("floor.limit", seconds=60)
    await hoa.until_seq(reply["seq"])  # the client helper asserts: no gap, no duplicate
    assert [e["seq"] for e in hoa.events][-2:] == [lost["seq"], reply["seq"]]
    assert hoa.state["live"]["floor"] == "open"


async def test_the_last_lost_message_is_repaired_by_the_next_presence_frame(running, connect, monkeypatch):
    import realtime.publish

    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    monkeypatch.setattr(realtime.publish, "publish_event", lambda event: None)
    lost = await minh.ok("floor.open")
    await connect("binh", running)  # someone joins: a presence frame, carrying the current seq
    await hoa.until_seq(lost["seq"])
    assert hoa.state["live"]["floor"] == "open"


async def test_messages_out_of_order_are_delivered_in_order_once(running, connect, monkeypatch):
    import realtime.publish
    from meetings.models import MeetingEvent
    from realtime import snapshot

    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    held = []
    monkeypatch.setattr(realtime.publish, "publish_event", held.append)
    await minh.ok("floor.open")
    await minh.ok("floor.limit", seconds=60)
    reply = await minh.ok("floor.pause")
    # The layer delivers them newest first.
    reads = []
    real_read = snapshot.events_after
    monkeypatch.setattr(snapshot, "events_after", lambda *a, **kw: reads.append(a) or real_read(*a, **kw))
    events = await db(lambda: list(MeetingEvent.objects.filter(pk__in=[e.pk for e in held])))()
    for event in sorted(events, key=lambda e: -e.seq):
        await realtime.publish.send_all(realtime.publish.event_messages(event))
    await hoa.until_seq(reply["seq"])
    assert [e["event"] for e in hoa.events[-3:]] == ["floor.changed"] * 3
    assert not [a for a in reads if a[2] == "members"]  # held and put in order: no database read


class StalledNetwork(MeetingConsumer):
    """A client whose network has stopped taking data: writes never finish."""

    send_queue_size = 8

    async def _write(self, text):
        await asyncio.Event().wait()


async def test_a_client_that_cannot_keep_up_is_closed_with_4408_and_resyncs(running, connect):
    stalled = TokenOrSessionAuthMiddleware(URLRouter([path("ws/meetings/<int:meeting_id>/", StalledNetwork.as_asgi())]))
    slow = await connect("hoa", running, application=stalled, hello=False)
    await slow.send({"type": "hello", "last_seq": 0})
    minh = await connect("minh", running)
    rules = ["none", "majority"] * 10
    for rule in rules:
        await minh.ok("quorum.rule", rule=rule)
    assert await slow.close_code() == 4408
    # Back with its last seq (it had none): a snapshot, complete.
    back = await connect("hoa", running)
    assert back.seq == minh.seq and back.state["live"]["quorum_rule"] == "majority"
