"""The meeting's status machine: draft → published → in progress → ended → archived; cancel before it starts."""

import pytest
from api_helpers import fast_password_hashing  # noqa: F401

from meetings.errors import Forbidden, Invalid
from meetings.models import Meeting
from meetings.services import meetings as meeting_services
from meetings.services import participants

STATUSES = ["draft", "published", "in_progress", "ended", "archived", "cancelled"]
ALLOWED = {
    ("draft", "published"), ("draft", "cancelled"),
    ("published", "in_progress"), ("published", "cancelled"),
    ("in_progress", "ended"),
    ("ended", "archived"),
}
PATH = {  # how a meeting reaches each status, one step after another
    "draft": [], "published": ["published"], "in_progress": ["published", "in_progress"],
    "ended": ["published", "in_progress", "ended"], "archived": ["published", "in_progress", "ended", "archived"],
    "cancelled": ["cancelled"],
}


def move(actor, meeting: Meeting, target: str) -> Meeting:
    if target == "published":
        return meeting_services.publish_meeting(actor, meeting)
    if target == "cancelled":
        return meeting_services.cancel_meeting(actor, meeting, "Thay đổi kế hoạch")
    return meeting_services.change_status(actor, meeting, target)


@pytest.fixture
def invited(meeting, people):
    participants.add_participant(people["lan"], meeting, people["hoa"])
    return meeting


@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_only_the_allowed_status_changes_happen(people, invited, source, target):
    for step in PATH[source]:
        move(people["lan"], invited, step)

    if (source, target) in ALLOWED:
        assert move(people["lan"], invited, target).status == target
    else:
        with pytest.raises(Invalid) as refusal:
            move(people["lan"], invited, target)
        assert refusal.value.code == "bad_transition"
        assert Meeting.objects.get(pk=invited.pk).status == source


def test_publishing_records_when_it_happened(people, invited):
    meeting = meeting_services.publish_meeting(people["lan"], invited)

    assert meeting.published_at is not None


def test_a_meeting_without_participants_cannot_be_published(people, units):
    from api_helpers import at, working_days_ahead

    day = working_days_ahead(6)
    lonely = meeting_services.create_meeting(people["root"], title="Họp không ai dự", host_unit=units["office"],
                                             start=at(day, 8), end=at(day, 9))

    with pytest.raises(Invalid) as refusal:
        meeting_services.publish_meeting(people["root"], lonely)
    assert refusal.value.code == "no_participants"


def test_a_delegate_cannot_start_or_end_the_meeting(people, published):
    with pytest.raises(Forbidden):
        meeting_services.change_status(people["hoa"], published, "in_progress")

    assert Meeting.objects.get(pk=published.pk).status == "published"


def test_the_chair_starts_and_ends_the_meeting(people, published):
    meeting_services.change_status(people["minh"], published, "in_progress")
    meeting = meeting_services.change_status(people["minh"], published, "ended")

    assert meeting.status == "ended"


def test_an_ended_meeting_can_no_longer_be_edited(people, published):
    meeting_services.change_status(people["lan"], published, "in_progress")
    meeting_services.change_status(people["lan"], published, "ended")

    with pytest.raises(Invalid) as refusal:
        meeting_services.update_meeting(people["lan"], published, title="Sửa sau khi họp")
    assert refusal.value.code == "not_editable"


def test_the_secretary_who_creates_a_meeting_becomes_its_secretary(people, units):
    from api_helpers import at, working_days_ahead

    day = working_days_ahead(6)
    meeting = meeting_services.create_meeting(people["lan"], title="Họp", start=at(day, 8), end=at(day, 9))

    assert (meeting.secretary, meeting.host_unit) == (people["lan"], units["office"])
    assert meeting.participants.get(user=people["lan"]).role == "secretary"


def test_an_inactive_person_cannot_be_made_chair(people, meeting):
    people["binh"].is_active = False
    people["binh"].save()

    with pytest.raises(Invalid) as refusal:
        meeting_services.update_meeting(people["lan"], meeting, chair=people["binh"].pk)
    assert refusal.value.field == "chair"
