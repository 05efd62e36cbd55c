"""A meeting held end to end, as the record the minutes are drafted from.

minh chairs, lan is the secretary; hoa is present in the hall and speaks on the first item; tuan attends
online from the An Phú remote site and asks a question on the second item; binh is absent with a reason;
khach is a guest in the hall. The first item has a named vote: 3 for, 1 against, announced."""

from __future__ import annotations

import itertools

import pytest

_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _quick(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setenv("PHONGHOP_BALLOT_SECRET", "11" * 32)


def run(person, meeting, name, **args):
    from meetings.services import live

    reply = live.execute(person, meeting.pk, f"m-{next(_ids)}", name, args)
    assert reply["ok"], reply
    return reply


@pytest.fixture
def held(published, people, units):
    from meetings.services import agenda, meetings, participants
    from meetings.voting import services as votes

    lan, minh = people["lan"], people["minh"]
    meeting = meetings.update_meeting(lan, published, remote_sites=[units["district"].pk])
    agenda.add_item(lan, meeting, title="Dự toán ngân sách năm 2027", presenter=people["binh"])
    participants.add_participant(lan, meeting, people["khach"], role="guest")
    participants.add_participant(lan, meeting, people["tuan"], site=units["district"])
    meeting = meetings.change_status(lan, meeting, "in_progress")
    pid = {p.user.username: p.pk for p in meeting.participants.select_related("user")}
    for name in ("minh", "lan", "hoa", "khach"):
        run(lan, meeting, "checkin", mode="in_person", participant_id=pid[name])
    run(lan, meeting, "checkin", mode="online", participant_id=pid["tuan"])
    run(lan, meeting, "mark_absent", participant_id=pid["binh"], reason="Đi công tác")
    first, second = meeting.agenda_items.order_by("order")
    run(minh, meeting, "agenda.goto", item_id=first.pk)
    run(minh, meeting, "floor.give", participant_id=pid["hoa"])
    run(minh, meeting, "floor.end_speaker")
    vote = votes.prepare(lan, meeting, {"question": "Thông qua báo cáo kinh tế - xã hội năm 2026",
                                        "agenda_item_id": first.pk})
    run(minh, meeting, "vote.open", item_id=vote.pk)
    for name, choice in (("minh", "for"), ("hoa", "for"), ("tuan", "for")):
        run(people[name], meeting, "vote.cast", item_id=vote.pk, choices=[choice])
    run(minh, meeting, "vote.close", item_id=vote.pk)
    run(minh, meeting, "vote.publish", item_id=vote.pk)
    run(minh, meeting, "agenda.goto", item_id=second.pk)
    run(minh, meeting, "floor.give", participant_id=pid["tuan"], kind="question")
    run(minh, meeting, "floor.end_speaker")
    meeting = meetings.change_status(lan, meeting, "ended")
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def minutes(held, people):
    """The minutes of the held meeting, drafted by lan, with a conclusion on each item."""
    from meetings.minutes import services

    services.start(people["lan"], held)
    items = services.current_for(people["lan"], held).content["items"]
    return services.edit(people["lan"], held, {"items": [
        {"agenda_item_id": items[0]["agenda_item_id"], "discussion": "<p>Các đại biểu <b>thống nhất</b> cao.</p>",
         "conclusion": "Giao Sở Tài chính hoàn thiện báo cáo trước ngày 20/12."},
        {"agenda_item_id": items[1]["agenda_item_id"], "conclusion": "Thống nhất dự toán, trình HĐND tỉnh."},
    ]})
