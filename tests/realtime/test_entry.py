"""Who may open the socket, decided from the facts kept per meeting and seq (realtime/entry.py), is
exactly what ``live.socket_access`` decides from the database: for the whole cast, in every status."""

import copy

import pytest

pytestmark = pytest.mark.django_db


def decided(decide, user, meeting_id):
    from meetings.errors import ServiceError

    try:
        return decide(user, meeting_id)
    except ServiceError as e:
        return type(e).__name__, e.status


def cached(user, meeting_id):
    from realtime import entry

    answer = entry.access_many([(user, meeting_id)])[0]
    if isinstance(answer, Exception):
        raise answer
    return answer


def assert_same_for_everyone(meeting, people) -> None:
    from meetings.services import live

    cast = dict(people)
    for name in ("hoa", "operator", "minh"):
        gone = copy.copy(people[name])
        gone.is_active = False
        cast[f"{name} (deactivated)"] = gone
    for name, user in cast.items():
        # Twice: once reading the facts, once from memory.
        for _ in range(2):
            assert decided(cached, user, meeting.pk) == decided(live.socket_access, user, meeting.pk), name


def test_the_same_answers_through_a_meetings_life(room, people, units):
    from accounts.models import User
    from meetings.services import meetings

    people = {**people, "nam": User.objects.get(username="nam"), "thu": User.objects.get(username="thu")}
    assert_same_for_everyone(room, people)
    meeting = meetings.change_status(people["lan"], room, "in_progress")
    assert_same_for_everyone(meeting, people)
    meeting = meetings.update_meeting(people["lan"], meeting, chair=people["binh"], remote_sites=[])
    assert_same_for_everyone(meeting, people)
    meeting = meetings.change_status(people["lan"], meeting, "ended")
    assert_same_for_everyone(meeting, people)


def test_the_same_answers_for_a_draft_and_a_draft_cancelled(meeting, people, units):
    from meetings.services import meetings, participants

    participants.add_participant(people["lan"], meeting, people["hoa"])
    meeting = meetings.update_meeting(people["lan"], meeting, remote_sites=[units["district"].pk])
    assert_same_for_everyone(meeting, people)
    meeting = meetings.cancel_meeting(people["lan"], meeting, "Trùng lịch")
    assert_same_for_everyone(meeting, people)


def test_no_such_meeting(people):
    from meetings.errors import NotFound
    from realtime import entry

    assert isinstance(entry.access_many([(people["root"], 999_999)])[0], NotFound)
