"""THE test of the live state (zulip's events test): for every kind of event, take a snapshot, act,
apply the events the socket sends to the old snapshot with the reducer, and compare with a fresh
snapshot. Both audiences: the organisers' (editors) and the delegates' (members)."""

from __future__ import annotations

import datetime as dt

import pytest
from rt_client import db

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def pid(client, name_part: str) -> int:
    return next(p["id"] for p in client.state["participants"] if name_part in p["name"])


async def busy_room(running, connect):
    """An item under way, the floor open, hoa speaking, binh waiting, some checked in, khach absent."""
    minh = await connect("minh", running)
    lan = await connect("lan", running)
    hoa = await connect("hoa", running)
    binh = await connect("binh", running)
    tuan = await connect("tuan", running)
    await minh.ok("agenda.goto", item_id=minh.state["agenda"][0]["id"])
    await minh.ok("floor.open")
    await hoa.ok("queue.request", kind="speak")
    await binh.ok("queue.request", kind="question")
    await minh.ok("floor.next")
    await tuan.ok("checkin", mode="online")
    await binh.ok("checkin", mode="in_person")
    await lan.ok("mark_absent", participant_id=pid(lan, "Khách"), reason="Ốm")
    return {"minh": minh, "lan": lan, "hoa": hoa, "binh": binh, "tuan": tuan}


async def meeting_updated(w, people, meeting):
    from meetings.services import meetings

    await db(meetings.update_meeting)(people["lan"], meeting, title="Họp thường kỳ tháng 12 (bổ sung)",
                                      end=meeting.end + dt.timedelta(hours=1))


async def meeting_new_chair(w, people, meeting):
    from meetings.services import meetings

    await db(meetings.update_meeting)(people["lan"], meeting, chair=people["hanh"])


async def meeting_ended(w, people, meeting):
    await w["minh"].ok("meeting.end")


async def agenda_added(w, people, meeting):
    from meetings.services import agenda

    await db(agenda.add_item)(people["lan"], meeting, title="Việc phát sinh", planned_minutes=10)


async def agenda_current_item_deleted(w, people, meeting):
    from meetings.services import agenda

    await db(agenda.delete_item)(people["lan"], meeting, w["minh"].state["live"]["current_item"]["item_id"])


async def agenda_goto(w, people, meeting):
    await w["lan"].ok("agenda.goto", item_id=w["lan"].state["agenda"][1]["id"])


async def agenda_stop(w, people, meeting):
    await w["lan"].ok("agenda.goto", item_id=None)


async def participant_added(w, people, meeting):
    from meetings.services import participants

    await db(participants.add_participant)(people["lan"], meeting, people["nam"])


async def participant_updated(w, people, meeting):
    from meetings.services import participants

    await db(participants.update_participant)(people["lan"], meeting, pid(w["lan"], "Bình"), can_vote=False)


async def participant_rsvp_declined(w, people, meeting):
    from meetings.services import participants

    await db(participants.respond)(people["hoa"], meeting, answer="declined", reason="Họp Thành ủy")


async def participant_rsvp_substitute(w, people, meeting):
    from meetings.services import participants

    await db(participants.respond)(people["binh"], meeting, answer="substituted", substitute=people["thu"])


async def participant_removed_while_speaking(w, people, meeting):
    from meetings.services import participants

    await db(participants.remove_participant)(people["lan"], meeting, pid(w["lan"], "Hoa"))


async def participant_removed_while_waiting(w, people, meeting):
    from meetings.services import participants

    await db(participants.remove_participant)(people["lan"], meeting, pid(w["lan"], "Bình"))


async def attendance_checkin(w, people, meeting):
    await w["hoa"].ok("checkin", mode="in_person")


async def attendance_checkout(w, people, meeting):
    await w["binh"].ok("checkout")


async def attendance_absent_with_reason(w, people, meeting):
    await w["lan"].ok("mark_absent", participant_id=pid(w["lan"], "Hoa"), reason="Đi công tác")


async def attendance_absent_reason_from_rsvp(w, people, meeting):
    from meetings.services import participants

    await db(participants.respond)(people["hoa"], meeting, answer="declined", reason="Nghỉ phép")
    await w["lan"].ok("mark_absent", participant_id=pid(w["lan"], "Hoa"))


async def attendance_absent_back_present(w, people, meeting):
    await w["lan"].ok("checkin", mode="in_person", participant_id=pid(w["lan"], "Khách"))


async def floor_paused(w, people, meeting):
    await w["minh"].ok("floor.pause")


async def floor_closed(w, people, meeting):
    await w["minh"].ok("floor.close")


async def floor_limit(w, people, meeting):
    await w["minh"].ok("floor.limit", seconds=300)


async def queue_request(w, people, meeting):
    await w["tuan"].ok("queue.request", kind="question")


async def queue_withdraw(w, people, meeting):
    await w["binh"].ok("queue.withdraw", request_id=w["binh"].state["queue"][0]["id"])


async def speaker_next(w, people, meeting):
    await w["minh"].ok("floor.next")


async def speaker_given(w, people, meeting):
    await w["minh"].ok("floor.give", participant_id=pid(w["minh"], "Tuấn"), kind="question")


async def speaker_ends_own_turn(w, people, meeting):
    await w["hoa"].ok("floor.end_speaker")


async def quorum_rule(w, people, meeting):
    await w["lan"].ok("quorum.rule", rule="two_thirds")


# Votes (meetings/voting): prepared votes and results before they are announced are the organisers' only.

def _prepare_vote(people, meeting, **spec):
    from meetings.voting import services

    spec = {"question": "Thông qua Nghị quyết", "rule": {"quorum": "none"}, **spec}
    return services.prepare(people["lan"], meeting, spec)


async def _open_vote(w, people, meeting, **spec):
    item = await db(_prepare_vote)(people, meeting, **spec)
    await w["minh"].ok("vote.open", item_id=item.pk)
    return item


async def _voted_and_closed(w, people, meeting, **spec):
    item = await _open_vote(w, people, meeting, **spec)
    await w["hoa"].ok("vote.cast", item_id=item.pk, choices=["for"])
    await w["tuan"].ok("vote.cast", item_id=item.pk, choices=["against"])
    await w["lan"].ok("vote.close", item_id=item.pk)
    return item


async def vote_prepared(w, people, meeting):
    await db(_prepare_vote)(people, meeting, secret=True)


async def vote_updated(w, people, meeting):
    from meetings.voting import services

    item = await db(_prepare_vote)(people, meeting)
    await db(services.edit)(people["lan"], meeting, item.pk, {"question": "Thông qua Nghị quyết (sửa)",
                                                              "preset": "consultation"})


async def vote_deleted(w, people, meeting):
    from meetings.voting import services

    item = await db(_prepare_vote)(people, meeting)
    await db(services.delete)(people["lan"], meeting, item.pk)


async def vote_opened(w, people, meeting):
    await _open_vote(w, people, meeting, duration=120)


async def vote_extended(w, people, meeting):
    item = await _open_vote(w, people, meeting, duration=120)
    await w["lan"].ok("vote.extend", item_id=item.pk, seconds=60)


async def vote_closed_named(w, people, meeting):
    await _voted_and_closed(w, people, meeting)


async def vote_closed_secret(w, people, meeting):
    await _voted_and_closed(w, people, meeting, secret=True)


async def vote_published(w, people, meeting):
    item = await _voted_and_closed(w, people, meeting, secret=True)
    await w["minh"].ok("vote.publish", item_id=item.pk)


def _upload(people, meeting, title="Báo cáo tình hình kinh tế - xã hội", pages=6, **fields):
    """A document (meetings.documents), made with reportlab; no pages rendered ahead (no render pool here)."""
    import tempfile
    from pathlib import Path

    from django.test import override_settings

    from meetings.documents import samples, services

    with tempfile.TemporaryDirectory() as folder, override_settings(PHONGHOP_PDF_EAGER_PAGES=0):
        path = samples.document_pdf(Path(folder) / "tai-lieu.pdf", title, samples.numbered_pages(pages, title))
        return services.upload(people["lan"], meeting, path, "tai-lieu.pdf", **fields)


async def documents_uploaded(w, people, meeting):
    await db(_upload)(people, meeting)


async def documents_access_changed(w, people, meeting):
    from meetings.documents import services

    document = await db(_upload)(people, meeting)
    await db(services.change_document)(people["lan"], document, access="named",
                                       allowed_participant_ids=[pid(w["lan"], "Hoa")])


async def present_started_and_turned(w, people, meeting):
    document = await db(_upload)(people, meeting)
    await w["lan"].ok("present.start", document_id=document.pk, page=1)
    await w["minh"].ok("present.page", page=5)


async def present_designated_presenter_turns(w, people, meeting):
    document = await db(_upload)(people, meeting)
    await w["minh"].ok("present.start", document_id=document.pk, page=2)
    await w["minh"].ok("present.designate", participant_id=pid(w["minh"], "Hoa"))
    await w["hoa"].ok("present.page", page=3)


async def present_stopped(w, people, meeting):
    document = await db(_upload)(people, meeting)
    await w["lan"].ok("present.start", document_id=document.pk, page=4)
    await w["lan"].ok("present.stop")


async def present_document_recalled(w, people, meeting):
    from meetings.documents import services

    document = await db(_upload)(people, meeting)
    await w["lan"].ok("present.start", document_id=document.pk, page=2)
    await db(services.recall)(people["lan"], document)


ACTIONS = {
    "meeting.updated": meeting_updated,
    "meeting.updated+participant.added (new chair)": meeting_new_chair,
    "meeting.status (ended, the room closes)": meeting_ended,
    "agenda.changed (item added)": agenda_added,
    "agenda.changed (current item deleted)": agenda_current_item_deleted,
    "agenda.current": agenda_goto,
    "agenda.current (stopped)": agenda_stop,
    "participant.added": participant_added,
    "participant.updated": participant_updated,
    "participant.rsvp": participant_rsvp_declined,
    "participant.rsvp+participant.added (substitute)": participant_rsvp_substitute,
    "participant.removed (speaking)": participant_removed_while_speaking,
    "participant.removed (waiting)": participant_removed_while_waiting,
    "attendance.changed (check in)": attendance_checkin,
    "attendance.changed (check out)": attendance_checkout,
    "attendance.changed (absent, reason)": attendance_absent_with_reason,
    "attendance.changed (absent, reason from the answer)": attendance_absent_reason_from_rsvp,
    "attendance.changed (absent, then present)": attendance_absent_back_present,
    "floor.changed (paused)": floor_paused,
    "floor.changed (closed)": floor_closed,
    "floor.changed+speaker.changed (limit)": floor_limit,
    "queue.changed (request)": queue_request,
    "queue.changed (withdraw)": queue_withdraw,
    "speaker.changed (next)": speaker_next,
    "speaker.changed (given)": speaker_given,
    "speaker.changed (own turn ended)": speaker_ends_own_turn,
    "quorum.changed": quorum_rule,
    "vote.prepared": vote_prepared,
    "vote.updated": vote_updated,
    "vote.deleted": vote_deleted,
    "vote.opened": vote_opened,
    "vote.extended": vote_extended,
    "vote.closed (named)": vote_closed_named,
    "vote.closed (secret)": vote_closed_secret,
    "vote.published": vote_published,
    "documents.changed (uploaded)": documents_uploaded,
    "documents.changed (access)": documents_access_changed,
    "documents.changed+present.changed (start, page)": present_started_and_turned,
    "present.changed (designated presenter turns)": present_designated_presenter_turns,
    "present.changed (stop)": present_stopped,
    "documents.changed+present.changed (recalled while shown)": present_document_recalled,
}


@pytest.mark.parametrize("action, act", list(ACTIONS.items()), ids=list(ACTIONS))
async def test_events_applied_to_an_old_snapshot_give_the_fresh_snapshot(action, act, running, people, connect):
    from realtime.snapshot import build, current_seq

    world = await busy_room(running, connect)
    # The old snapshots, one per audience, taken by sockets that connect now.
    editors = await connect("root", running)
    members = await connect("khach", running)
    before = editors.seq
    assert members.seq == before

    await act(world, people, running)

    seq = await db(current_seq)(running.pk)
    assert seq > before, "the action emitted no event"
    for client, audience in ((editors, "editors"), (members, "members")):
        await client.until_seq(seq)  # applies each event to the old snapshot with the reducer
        fresh_seq, fresh = await db(build)(running.pk, audience)
        assert fresh_seq == client.seq
        assert client.state == fresh, audience
    kinds = {e["event"] for e in editors.events if e["seq"] > before}
    assert set(action.split(" ")[0].split("+")) <= kinds, kinds


async def test_members_never_see_reasons_for_absence(running, people, connect):
    world = await busy_room(running, connect)
    members = await connect("hoa", running)
    reply = await world["lan"].ok("mark_absent", participant_id=pid(world["lan"], "Bình"), reason="Bận việc riêng")
    await members.until_seq(reply["seq"])
    assert all("absence_reason" not in p for p in members.state["participants"])
    assert all("absence_reason" not in e["data"] for e in members.events)
    await world["lan"].until_seq(reply["seq"])
    assert {p["absence_reason"] for p in world["lan"].state["participants"] if "absence_reason" in p} == {
        "Ốm", "Bận việc riêng"}


async def test_a_late_snapshot_equals_the_state_built_from_the_first_event(room, people, connect):
    """The whole log, from seq 1, through the reducer, gives today's snapshot."""
    import copy

    from meetings.models import MeetingEvent
    from realtime import reducer
    from realtime.snapshot import build

    minh = await connect("minh", room)
    await minh.ok("meeting.start")
    world = await busy_room(room, connect)
    await world["minh"].ok("meeting.end")

    def replay():
        state = {"meeting": None, "agenda": [], "participants": [], "queue": [], "live": {
            "current_item": None, "item_elapsed": {}, "floor": "closed", "speaking_limit": 180, "speaker": None,
            "quorum_rule": "majority"}, **copy.deepcopy(reducer.INITIAL)}
        for e in MeetingEvent.objects.filter(meeting=room).order_by("seq"):
            state = reducer.apply(state, e.type, e.data)
        return state

    assert await db(replay)() == (await db(build)(room.pk, "editors"))[1]



def test_a_snapshot_holds_no_clock(running):
    """Timers are start times and limits: the same database gives the same snapshot, later too."""
    from realtime.snapshot import build

    assert build(running.pk) == build(running.pk)


async def test_ballots_change_no_shared_state(running, people, connect):
    """A ballot appends no event: the snapshot before a burst of ballots is the snapshot after it."""
    from realtime.snapshot import build

    world = await busy_room(running, connect)
    item = await _open_vote(world, people, running, secret=True)
    before = {a: await db(build)(running.pk, a) for a in ("editors", "members")}
    for name, choice in (("hoa", "for"), ("binh", "against"), ("tuan", "for"), ("minh", "abstain")):
        reply = await world[name].ok("vote.cast", item_id=item.pk, choices=[choice])
        assert reply["seq"] is None
    assert {a: await db(build)(running.pk, a) for a in ("editors", "members")} == before
