"""What other systems (the provincial integration platform, LGSP) pull: a unit's and a person's meetings."""

import datetime as dt

import pytest
from api_helpers import fast_password_hashing, refused  # noqa: F401

from meetings.models import Meeting
from meetings.services import meetings as meeting_services
from meetings.services import participants


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [m["id"] for m in response.json()]


@pytest.fixture
def held(people, units, published):
    """A second office meeting that took place last month (time has passed since it was published)."""
    past = meeting_services.create_meeting(
        people["lan"], title="Họp tháng trước", start=published.start, end=published.end,
    )
    participants.add_participant(people["lan"], past, people["hoa"])
    meeting_services.publish_meeting(people["lan"], past)
    Meeting.objects.filter(pk=past.pk).update(
        start=published.start - dt.timedelta(days=60), end=published.end - dt.timedelta(days=60)
    )
    return past


def test_a_units_upcoming_and_past_meetings(people, units, published, held, api):
    root = api(people["root"])
    office = units["office"].pk

    assert ids(root.get(f"/units/{office}/meetings", when="upcoming")) == [published.pk]
    assert ids(root.get(f"/units/{office}/meetings", when="past")) == [held.pk]
    assert ids(root.get(f"/units/{units['finance'].pk}/meetings")) == []


def test_the_summary_carries_what_a_calendar_needs(people, units, published, api):
    row = api(people["root"]).get(f"/units/{units['office'].pk}/meetings").json()[0]

    assert row["title"] == "Họp thường kỳ tháng 12"
    assert row["host_unit"] == "Văn phòng UBND tỉnh"
    assert row["place"] == "Phòng họp số 1"
    assert row["status"] == "published"
    assert row["url"] == f"/meetings/{published.pk}/"


def test_a_cancelled_meeting_is_not_upcoming(people, units, published, api):
    meeting_services.cancel_meeting(people["lan"], published, "Hoãn")

    assert ids(api(people["root"]).get(f"/units/{units['office'].pk}/meetings", when="upcoming")) == []


def test_a_units_list_shows_only_what_the_caller_may_see(people, units, meeting, published, api):
    office = units["office"].pk

    assert ids(api(people["tuan"]).get(f"/units/{office}/meetings")) == []  # another unit's delegate
    assert published.pk in ids(api(people["hoa"]).get(f"/units/{office}/meetings"))


def test_an_unknown_unit_or_window_is_refused(people, units, api):
    root = api(people["root"])

    refused(root.get("/units/999999/meetings"), 404, "not_found")
    refused(root.get(f"/units/{units['office'].pk}/meetings", when="tomorrow"), 400, "invalid")


def test_a_person_pulls_their_own_meetings(people, published, held, api):
    hoa = api(people["hoa"])
    me = people["hoa"].pk

    assert ids(hoa.get(f"/people/{me}/meetings")) == [published.pk]
    assert ids(hoa.get(f"/people/{me}/meetings", when="past")) == [held.pk]
    assert ids(api(people["tuan"]).get(f"/people/{people['tuan'].pk}/meetings")) == []


def test_a_page_never_breaks_on_odd_bounds(people, units, published, api):
    root = api(people["root"])

    assert ids(root.get(f"/units/{units['office'].pk}/meetings", offset=-5, limit=0)) == [published.pk]
    assert ids(root.get("/meetings", offset=-1)) == [published.pk]
