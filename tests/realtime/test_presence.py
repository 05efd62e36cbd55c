"""Presence: who is connected, from which site, across processes (the rows are in the database)."""

import datetime as dt

import pytest
from django.utils import timezone
from rt_client import db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def online(frame):
    return {(o["user_id"], o["site_id"]): o["connections"] for o in frame["online"]}


async def until_online(client, expected):
    return await client.until(lambda f: f["type"] == "presence" and online(f) == expected)


async def test_presence_shows_who_is_connected_and_from_where(running, connect, people, units):
    lan = await connect("lan", running)
    await until_online(lan, {(people["lan"].pk, None): 1})
    tuan = await connect("tuan", running)
    hoa_tablet = await connect("hoa", running)
    await connect("hoa", running)  # and her laptop
    expected = {(people["lan"].pk, None): 1, (people["tuan"].pk, units["district"].pk): 1, (people["hoa"].pk, None): 2}
    frame = await until_online(lan, expected)
    assert frame["seq"] == lan.seq  # presence carries the seq but does not advance it
    await tuan.disconnect()
    await hoa_tablet.disconnect()
    await until_online(lan, {(people["lan"].pk, None): 1, (people["hoa"].pk, None): 1})


async def test_a_new_socket_gets_the_presence_right_after_ready(running, connect, people):
    await connect("hoa", running)
    lan = await connect("lan", running)
    assert lan.frames[-1]["type"] == "ready"
    frame = await lan.recv()
    assert frame["type"] == "presence"
    assert (people["hoa"].pk, None) in online(frame) and frame["connected"] == 2


async def test_a_delegate_sees_how_many_are_connected_but_not_who(running, connect, people):
    """The list is the organisers' (roll call); a delegate's tablet gets a count, not 1,000 names a second."""
    await connect("lan", running)
    hoa = await connect("hoa", running)
    frame = await hoa.recv()
    assert frame["type"] == "presence" and frame["connected"] == 2
    assert "online" not in frame
    await connect("binh", running)
    frame = await hoa.until(lambda f: f["type"] == "presence" and f["connected"] == 3)
    assert "online" not in frame


def test_connections_of_a_dead_process_stop_counting(running, people):
    from meetings.models import LiveConnection
    from realtime import presence

    presence.register("crashed-1", running.pk, people["hoa"].pk, None)
    LiveConnection.objects.filter(channel_name="crashed-1").update(server="dead:1", last_seen=timezone.now()
                                                                    - presence.STALE - dt.timedelta(seconds=1))
    presence.register("alive-1", running.pk, people["binh"].pk, None)
    assert [o["user_id"] for o in presence.online(running.pk)] == [people["binh"].pk]
    LiveConnection.objects.filter(channel_name="crashed-1").update(last_seen=timezone.now() - presence.FORGET * 2)
    presence.heartbeat()
    assert not LiveConnection.objects.filter(channel_name="crashed-1").exists()


def test_processes_share_one_presence_slot_per_interval(running):
    """At most one presence frame per interval per meeting, whichever process asks."""
    from realtime import presence

    assert presence.claim_broadcast(running.pk, 3600) == 0  # process A broadcasts
    wait = presence.claim_broadcast(running.pk, 3600)  # process B must wait for the slot
    assert 3500 < wait <= 3600
    assert presence.claim_broadcast(running.pk, 0) == 0


async def test_many_changes_make_few_presence_frames(running, connect, settings, people):
    """Joins that come while a broadcast is pending are coalesced into it."""
    from meetings.models import LiveState
    from realtime import presence

    settings.PHONGHOP_PRESENCE_INTERVAL = 3600  # one frame per hour: only the first goes out now
    lan = await connect("lan", running)
    for name in ("hoa", "binh", "tuan"):
        await connect(name, running)
    hub = presence.hub()
    assert set(hub.pending) <= {running.pk}
    frames = [f for f in lan.frames if f["type"] == "presence"]
    assert len(frames) <= 2  # the one after ready, and at most one broadcast
    # Stop waiting for the hour.
    settings.PHONGHOP_PRESENCE_INTERVAL = 0.05
    await db(LiveState.objects.filter(meeting=running).update)(presence_sent_at=None)
    for task in list(hub.pending.values()):
        task.cancel()
    await hub.drain()
