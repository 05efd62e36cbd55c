"""Resuming: replay of a missed range, a snapshot when too far behind, reconnects after a server
restart, and command ids that never take effect twice."""

import pytest
from rt_client import db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


async def test_a_client_that_missed_a_range_gets_exactly_those_events(running, connect):
    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    seen = hoa.seq
    state_then = hoa.state
    await hoa.disconnect()
    await minh.ok("floor.open")
    await minh.ok("agenda.goto", item_id=minh.state["agenda"][0]["id"])
    reply = await minh.ok("floor.limit", seconds=90)

    back = await connect("hoa", running, last_seq=seen)
    replayed = [f for f in back.frames if f["type"] == "event"]
    assert [f["seq"] for f in replayed] == list(range(seen + 1, reply["seq"] + 1))
    assert not any(f["type"] == "snapshot" for f in back.frames)
    assert back.frames[len(replayed)]["type"] == "ready"
    # The client's old state plus the replay is today's state.
    from realtime import reducer
    from realtime.snapshot import build

    for f in replayed:
        state_then = reducer.apply(state_then, f["event"], f["data"])
    assert state_then == (await db(build)(running.pk, "members"))[1]


async def test_an_up_to_date_client_gets_ready_at_once(running, connect):
    hoa = await connect("hoa", running)
    again = await connect("hoa", running, last_seq=hoa.seq)
    assert [f["type"] for f in again.frames[:1]] == ["ready"]


async def test_a_client_too_far_behind_or_from_the_future_gets_a_snapshot(running, connect):
    from meetings.models import Meeting, MeetingEvent

    def pad_the_log(n):
        m = Meeting.objects.get(pk=running.pk)
        MeetingEvent.objects.bulk_create(
            MeetingEvent(meeting=m, seq=m.last_seq + i, type="test.padding", data={}) for i in range(1, n + 1))
        Meeting.objects.filter(pk=m.pk).update(last_seq=m.last_seq + n)
        return m.last_seq

    old = await db(pad_the_log)(501)  # one more than the replay bound
    far = await connect("hoa", running, last_seq=old)
    assert far.frames[0]["type"] == "snapshot" and far.seq == old + 501
    assert far.frames[0]["server_time"]  # the clock offset for the timers
    near = await connect("hoa", running, last_seq=old + 1)  # exactly 500 behind: replayed
    assert near.frames[0]["type"] == "event" and near.seq == old + 501
    future = await connect("hoa", running, last_seq=old + 10_000)  # e.g. the database was restored
    assert future.frames[0]["type"] == "snapshot"


async def test_reconnect_after_a_server_restart(running, connect):
    """A new application instance and a new channel layer, same database: the client resumes by seq."""
    from channels.layers import channel_layers

    from config.asgi import application

    hoa = await connect("hoa", running)
    minh = await connect("minh", running)
    await minh.ok("floor.open")
    await hoa.until_seq(minh.seq)
    seen, state = hoa.seq, hoa.state
    await hoa.disconnect()
    await minh.disconnect()

    channel_layers.backends.clear()  # the old process's layer is gone
    from channels.routing import URLRouter

    from realtime.auth import TokenOrSessionAuthMiddleware
    from realtime.routing import websocket_urlpatterns

    restarted = TokenOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns))
    assert restarted is not application
    minh2 = await connect("minh", running, application=restarted)
    await minh2.ok("floor.pause")
    back = await connect("hoa", running, last_seq=seen, application=restarted)
    assert [f["event"] for f in back.events] == ["floor.changed"]
    from realtime import reducer

    for f in back.events:
        state = reducer.apply(state, f["event"], f["data"])
    assert state["live"]["floor"] == "paused"


async def test_a_repeated_command_id_has_no_second_effect(running, connect):
    from meetings.models import MeetingEvent

    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    await minh.ok("floor.open")
    first = await hoa.command("queue.request", _id="hoa-1", kind="speak")
    again = await hoa.command("queue.request", _id="hoa-1", kind="speak")
    assert first["ok"] and again == first
    # After a reconnect (the reply was lost), the retry still has no second effect.
    await hoa.disconnect()
    hoa2 = await connect("hoa", running)
    retry = await hoa2.command("queue.request", _id="hoa-1", kind="speak")
    assert retry == first
    assert len(hoa2.state["queue"]) == 1
    count = await db(lambda: MeetingEvent.objects.filter(meeting=running, type="queue.changed").count())()
    assert count == 1


async def test_a_refused_command_id_keeps_its_answer(running, connect):
    hoa = await connect("hoa", running)
    first = await hoa.command("queue.request", _id="hoa-2", kind="speak")
    assert first["error"]["code"] == "floor_not_open"
    minh = await connect("minh", running)
    await minh.ok("floor.open")
    again = await hoa.command("queue.request", _id="hoa-2", kind="speak")
    assert again == first  # the same id is the same question: ask again with a new id
    assert (await hoa.command("queue.request", _id="hoa-3", kind="speak"))["ok"]


async def test_command_ids_are_per_person(running, connect):
    minh = await connect("minh", running)
    await minh.ok("floor.open")
    hoa = await connect("hoa", running)
    binh = await connect("binh", running)
    assert (await hoa.command("queue.request", _id="x", kind="speak"))["ok"]
    assert (await binh.command("queue.request", _id="x", kind="speak"))["ok"]
    await binh.until_seq(hoa.seq + 1)
    assert len(binh.state["queue"]) == 2


async def test_the_events_of_a_command_arrive_before_its_reply(running, connect):
    minh = await connect("minh", running)
    reply = await minh.ok("floor.open")
    assert minh.seq == reply["seq"]  # the event was applied before the reply was read


@pytest.mark.parametrize("when", ["before the read", "after the read"])
@pytest.mark.parametrize("last_seq", ["snapshot", "replay"])
async def test_no_gap_and_no_duplicate_across_the_replay_live_boundary(running, connect, people, monkeypatch,
                                                                        when, last_seq):
    """An event committed while hello is answered reaches the client once: in the snapshot or replay if
    the read saw it, live after ready if not (the layer's copy of an event already sent is dropped)."""
    from meetings.services import live
    from realtime import snapshot

    minh = await connect("minh", running)
    await minh.ok("floor.open")
    real = snapshot.resume

    def resume_with_a_change_alongside(*args, **kwargs):
        act = lambda: live.execute(people["minh"], running.pk, f"boundary-{when}", "floor.limit", {"seconds": 42})  # noqa: E731
        if when == "before the read":
            act()
            return real(*args, **kwargs)
        found = real(*args, **kwargs)
        act()
        return found

    monkeypatch.setattr(snapshot, "resume", resume_with_a_change_alongside)
    hoa = await connect("hoa", running, last_seq=0 if last_seq == "snapshot" else minh.seq)
    monkeypatch.setattr(snapshot, "resume", real)
    reply = await minh.ok("floor.pause")  # a later event, to read up to
    await hoa.until_seq(reply["seq"])  # the client helper fails on any gap or duplicate
    assert hoa.state is None or hoa.state["live"]["speaking_limit"] == 42
    limits = [e for e in hoa.events if e["event"] == "floor.changed" and e["data"] == {"floor": "open",
                                                                                       "speaking_limit": 42}]
    in_snapshot = last_seq == "snapshot" and when == "before the read"
    assert len(limits) == (0 if in_snapshot else 1)


async def test_hello_again_on_the_same_socket_resyncs(running, connect):
    minh = await connect("minh", running)
    await minh.ok("floor.open")
    reply = await minh.ok("floor.pause")
    minh.seq -= 2  # as if the client had lost its last two events
    minh.events = minh.events[:-2]
    await minh.hello(minh.seq)
    assert [e["seq"] for e in minh.events][-2:] == [reply["seq"] - 1, reply["seq"]]
