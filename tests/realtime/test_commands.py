"""Every socket command: what it does when the right person sends it, and the refusal otherwise."""

import datetime as dt

import pytest
from django.utils import timezone
from rt_client import db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def row(client, name_part):
    return next(p for p in client.state["participants"] if name_part in p["name"])


async def other_meeting(people, units):
    from meetings.services import agenda, meetings

    def make():
        start = timezone.now() + dt.timedelta(days=30)
        m = meetings.create_meeting(people["lan"], title="Họp khác", host_unit=units["office"], chair=people["minh"],
                                    secretary=people["lan"], start=start, end=start + dt.timedelta(hours=2))
        item = agenda.add_item(people["lan"], m, title="Mục khác")
        return m, item

    return await db(make)()


# Roll call -------------------------------------------------------------------------------------

async def test_roll_call_by_delegates_themselves_and_by_the_secretary(room, connect, units):
    lan = await connect("lan", room)
    hoa = await connect("hoa", room)
    tuan = await connect("tuan", room)
    # Before the meeting starts, people check in at the door.
    await hoa.ok("checkin", mode="in_person")
    await tuan.ok("checkin", mode="online")  # from his remote site by default
    reply = await lan.ok("checkin", mode="in_person", participant_id=row(lan, "Bình")["id"])
    await lan.until_seq(reply["seq"])
    assert row(lan, "Hoa")["attendance"] == "in_person"
    assert row(lan, "Tuấn")["attendance"] == "online"
    assert row(lan, "Tuấn")["attendance_site_id"] == units["district"].pk
    assert row(lan, "Bình")["attendance"] == "in_person"
    assert lan.state["roll_call"]["in_person"] == 2 and lan.state["roll_call"]["online"] == 1

    await hoa.ok("checkout")
    assert await hoa.refused("checkout") == "not_checked_in"
    reply = await lan.ok("mark_absent", participant_id=row(lan, "Khách")["id"], reason="Đi công tác")
    await lan.until_seq(reply["seq"])
    assert row(lan, "Hoa")["attendance"] == "left"
    assert row(lan, "Khách")["absence_reason"] == "Đi công tác"


async def test_roll_call_refusals(room, connect, units):
    hoa = await connect("hoa", room)
    operator = await connect("operator", room)
    binh_id = row(hoa, "Bình")["id"]
    assert await hoa.refused("checkin", mode="in_person", participant_id=binh_id) == "forbidden"
    assert await hoa.refused("checkout", participant_id=binh_id) == "forbidden"
    assert await hoa.refused("mark_absent", participant_id=binh_id) == "forbidden"
    assert await operator.refused("checkin", mode="online") == "forbidden"  # watches, is not a participant
    assert await hoa.refused("checkin", mode="by_carrier_pigeon") == "bad_args"
    assert await hoa.refused("checkin", mode="online", site_id=units["finance"].pk) == "bad_site"
    lan = await connect("lan", room)
    assert await lan.refused("mark_absent", participant_id=999999) == "not_found"
    assert await lan.refused("mark_absent", participant_id="Bình") == "bad_args"


async def test_no_roll_call_once_the_meeting_has_ended(running, connect, people):
    from meetings.services import meetings

    await db(meetings.change_status)(people["lan"], running, "ended")
    hoa = await connect("hoa", running)
    assert await hoa.refused("checkin", mode="in_person") == "bad_status"


async def test_checking_in_twice_the_same_way_changes_nothing(room, connect):
    hoa = await connect("hoa", room)
    first = await hoa.ok("checkin", mode="in_person")
    again = await hoa.ok("checkin", mode="in_person")
    assert first["seq"] is not None and again["seq"] is None


# Meeting, agenda, quorum -----------------------------------------------------------------------

async def test_the_chair_starts_moves_through_the_agenda_and_ends(room, connect):
    minh = await connect("minh", room)
    hoa = await connect("hoa", room)
    assert await hoa.refused("meeting.start") == "forbidden"
    assert await minh.refused("agenda.goto", item_id=minh.state["agenda"][0]["id"]) == "not_in_progress"
    await minh.ok("meeting.start")
    assert await minh.refused("meeting.start") == "bad_transition"
    first, second = (item["id"] for item in minh.state["agenda"])
    assert await hoa.refused("agenda.goto", item_id=first) == "forbidden"
    await minh.ok("agenda.goto", item_id=first)
    assert (await minh.ok("agenda.goto", item_id=first))["seq"] is None  # already there
    reply = await minh.ok("agenda.goto", item_id=second)
    await hoa.until_seq(reply["seq"])
    assert hoa.state["live"]["current_item"]["item_id"] == second
    assert str(first) in hoa.state["live"]["item_elapsed"]
    assert hoa.state["live"]["current_item"]["started_at"]

    await minh.ok("floor.open")
    await hoa.ok("queue.request", kind="speak")
    reply = await minh.ok("meeting.end")
    await hoa.until_seq(reply["seq"])
    live = hoa.state["live"]
    assert hoa.state["meeting"]["status"] == "ended"
    assert live["current_item"] is None and live["floor"] == "closed" and hoa.state["queue"] == []
    assert str(second) in live["item_elapsed"]
    assert await hoa.refused("meeting.end") == "forbidden"
    assert await minh.refused("meeting.end") == "not_in_progress"


async def test_the_secretary_may_go_to_an_item_but_not_one_of_another_meeting(running, connect, people, units):
    _other, foreign_item = await other_meeting(people, units)
    lan = await connect("lan", running)
    await lan.ok("agenda.goto", item_id=lan.state["agenda"][1]["id"])
    assert await lan.refused("agenda.goto", item_id=foreign_item.pk) == "not_found"
    await lan.ok("agenda.goto", item_id=None)  # nothing under way: the timer stops
    assert await lan.refused("agenda.goto", item_id="2") == "bad_args"


async def test_quorum_rule(running, connect):
    lan = await connect("lan", running)
    hoa = await connect("hoa", running)
    assert await hoa.refused("quorum.rule", rule="two_thirds") == "forbidden"
    assert await lan.refused("quorum.rule", rule="most") == "bad_args"
    reply = await lan.ok("quorum.rule", rule="two_thirds")
    await hoa.until_seq(reply["seq"])
    rc = hoa.state["roll_call"]
    # minh (chair), hoa, binh, tuan have a voting right; lan and the guest do not.
    assert rc["members"] == 4 and rc["quorum_required"] == 3 and not rc["quorum_reached"]


async def test_quorum_reached_when_more_than_half_the_members_are_in(running, connect):
    lan = await connect("lan", running)
    for name in ("hoa", "binh"):
        client = await connect(name, running)
        await client.ok("checkin", mode="in_person")
    reply = await lan.ok("checkin", mode="online", participant_id=row(lan, "Tuấn")["id"])
    await lan.until_seq(reply["seq"])
    rc = lan.state["roll_call"]
    assert (rc["members"], rc["members_present"], rc["quorum_required"], rc["quorum_reached"]) == (4, 3, 3, True)


# Requests to speak and the floor ---------------------------------------------------------------

async def test_requests_to_speak_and_the_floor(running, connect):
    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    binh = await connect("binh", running)
    assert await hoa.refused("queue.request", kind="speak") == "floor_not_open"
    assert await binh.refused("floor.open") == "forbidden"
    await minh.ok("floor.open")
    await hoa.ok("queue.request", kind="speak")
    assert await hoa.refused("queue.request", kind="speak") == "already_queued"
    await hoa.ok("queue.request", kind="question")
    reply = await binh.ok("queue.request")  # speak by default
    await minh.until_seq(reply["seq"])
    assert [(r["participant_id"], r["kind"]) for r in minh.state["queue"]] == [
        (hoa.you["participant_id"], "speak"), (hoa.you["participant_id"], "question"),
        (binh.you["participant_id"], "speak")]

    hoa_question = minh.state["queue"][1]["id"]
    assert await binh.refused("queue.withdraw", request_id=hoa_question) == "forbidden"
    await hoa.ok("queue.withdraw", request_id=hoa_question)
    assert await hoa.refused("queue.withdraw", request_id=hoa_question) == "not_found"

    assert await hoa.refused("floor.next") == "forbidden"
    reply = await minh.ok("floor.next")
    await minh.until_seq(reply["seq"])
    speaker = minh.state["live"]["speaker"]
    assert speaker["participant_id"] == hoa.you["participant_id"] and speaker["limit"] == 180
    assert [r["participant_id"] for r in minh.state["queue"]] == [binh.you["participant_id"]]

    assert await binh.refused("floor.end_speaker") == "forbidden"  # only the chair or the speaker
    await hoa.ok("floor.end_speaker")
    assert await minh.refused("floor.end_speaker") == "no_speaker"
    await minh.ok("floor.next")  # binh
    await minh.ok("floor.next")  # ends binh's turn: nobody waits
    assert await minh.refused("floor.next") == "queue_empty"


async def test_the_chair_gives_the_floor_and_sets_the_time_limit(running, connect, people, units):
    minh = await connect("minh", running)
    lan = await connect("lan", running)
    tuan_id = row(minh, "Tuấn")["id"]
    assert await lan.refused("floor.give", participant_id=tuan_id) == "forbidden"
    assert await lan.refused("floor.limit", seconds=120) == "forbidden"
    assert await minh.refused("floor.limit", seconds=-1) == "bad_args"
    assert await minh.refused("floor.limit", seconds=99999) == "bad_args"
    assert await minh.refused("floor.limit", seconds="120") == "bad_args"
    await minh.ok("floor.give", participant_id=tuan_id, kind="question")  # the floor need not be open
    reply = await minh.ok("floor.limit", seconds=120)
    await minh.until_seq(reply["seq"])
    assert minh.state["live"]["speaking_limit"] == 120
    assert minh.state["live"]["speaker"]["limit"] == 120
    assert minh.state["live"]["speaker"]["kind"] == "question"
    other, _ = await other_meeting(people, units)
    foreign = await db(lambda: other.participants.first().pk)()
    assert await minh.refused("floor.give", participant_id=foreign) == "not_found"


async def test_pausing_keeps_the_queue_and_closing_clears_it(running, connect):
    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    binh = await connect("binh", running)
    await minh.ok("floor.open")
    await hoa.ok("queue.request")
    await binh.ok("queue.request")
    await minh.ok("floor.next")
    reply = await minh.ok("floor.pause")
    await minh.until_seq(reply["seq"])
    assert minh.state["live"]["floor"] == "paused" and len(minh.state["queue"]) == 1
    assert await binh.refused("queue.request", kind="question") == "floor_not_open"
    reply = await minh.ok("floor.close")
    await minh.until_seq(reply["seq"])
    assert minh.state["live"]["floor"] == "closed"
    assert minh.state["queue"] == [] and minh.state["live"]["speaker"] is None


async def test_unknown_commands_and_bad_shapes(running, connect):
    hoa = await connect("hoa", running)
    assert await hoa.refused("floor.dance") == "unknown_command"
    await hoa.send({"type": "command", "id": "c-x", "name": "checkin", "args": ["in_person"]})
    reply = await hoa.until(lambda f: f["type"] == "reply")
    assert reply["error"]["code"] == "bad_message"


WRONG_ROLE = [
    ("hoa", "checkin", lambda s: {"mode": "in_person", "participant_id": s["binh"]}),
    ("hoa", "checkout", lambda s: {"participant_id": s["binh"]}),
    ("hoa", "mark_absent", lambda s: {"participant_id": s["binh"]}),
    ("hanh", "mark_absent", lambda s: {"participant_id": s["binh"]}),  # host-unit admin: watches, does not run it
    ("hoa", "quorum.rule", lambda s: {"rule": "none"}),
    ("hoa", "meeting.start", lambda s: {}),
    ("root", "meeting.end", lambda s: {}),
    ("hoa", "agenda.goto", lambda s: {"item_id": s["item"]}),
    ("operator", "queue.request", lambda s: {"kind": "speak"}),
    ("binh", "queue.withdraw", lambda s: {"request_id": s["request"]}),
    ("lan", "floor.open", lambda s: {}),
    ("lan", "floor.pause", lambda s: {}),
    ("lan", "floor.close", lambda s: {}),
    ("lan", "floor.next", lambda s: {}),
    ("lan", "floor.give", lambda s: {"participant_id": s["hoa"]}),
    ("hoa", "floor.end_speaker", lambda s: {}),
    ("lan", "floor.limit", lambda s: {"seconds": 60}),
]


@pytest.mark.parametrize("who, name, args", WRONG_ROLE, ids=[f"{n}-by-{w}" for w, n, _ in WRONG_ROLE])
async def test_every_command_refuses_the_wrong_role(running, connect, who, name, args):
    """With the room busy (floor open, hoa waiting, binh speaking), nobody changes what is not theirs."""
    from realtime.snapshot import build

    minh = await connect("minh", running)
    hoa = await connect("hoa", running)
    await minh.ok("floor.open")
    await hoa.ok("queue.request", kind="speak")
    reply = await minh.ok("floor.give", participant_id=row(minh, "Bình")["id"])
    await minh.until_seq(reply["seq"])
    known = {"binh": row(minh, "Bình")["id"], "hoa": row(minh, "Hoa")["id"], "item": minh.state["agenda"][0]["id"],
             "request": minh.state["queue"][0]["id"]}
    before = await db(build)(running.pk)
    client = await connect(who, running)
    assert await client.refused(name, **args(known)) == "forbidden"
    assert await db(build)(running.pk) == before
