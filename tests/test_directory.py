"""The people directory is private (accounts/directory.py): each person finds their own unit tree, the people
of the meetings they take part in, and what their role allows; phone and e-mail go to organisers only.

The cast (tests/conftest.py): root (system admin, province), minh (chair, province), lan (secretary, office),
hanh (unit admin, office), hoa (delegate, office), binh (delegate, finance), khach (guest, finance),
tuan (delegate, district), operator (site operator, district); here also xuan (delegate, a commune of the
district)."""

from __future__ import annotations

import pytest
from personas import make_user

pytestmark = pytest.mark.django_db

EVERYONE = {"root", "minh", "lan", "hanh", "hoa", "binh", "khach", "tuan", "diemcau", "xuan"}


@pytest.fixture
def cast(people, units):
    from accounts.models import User

    people["xuan"] = make_user("xuan", units["commune"], "delegate", "Nguyễn Văn Xuân")
    User.objects.update(phone="0912 345 678")
    return people


def found(api, person, **params) -> dict[str, dict]:
    response = api(person).get("/people", limit=500, **params)
    assert response.status_code == 200, response.content
    return {p["username"]: p for p in response.json()}


@pytest.mark.parametrize("organiser", ["root", "minh", "lan", "hanh"])
def test_organisers_find_everyone_with_phone_and_email(api, cast, organiser):
    seen = found(api, cast[organiser])
    assert set(seen) == EVERYONE
    assert seen["tuan"]["phone"] == "0912 345 678" and seen["tuan"]["email"] == "tuan@example.vn"


def test_a_delegate_finds_their_own_unit_and_below_without_contacts(api, cast):
    seen = found(api, cast["hoa"])
    assert set(seen) == {"lan", "hanh", "hoa"}  # the office; not the province above it, not other departments
    assert all(p["phone"] is None and p["email"] is None for p in seen.values())


def test_a_district_delegate_finds_the_district_and_its_communes(api, cast):
    assert set(found(api, cast["tuan"])) == {"tuan", "diemcau", "xuan"}
    assert set(found(api, cast["xuan"])) == {"xuan"}  # a commune has nothing below it


def test_a_site_operator_finds_the_site_and_below(api, cast):
    assert set(found(api, cast["operator"])) == {"tuan", "diemcau", "xuan"}


def test_a_guest_has_no_unit_tree(api, cast):
    assert set(found(api, cast["khach"])) == {"khach"}  # not binh, who works in the same department


def test_the_people_of_a_shared_meeting_become_visible(api, cast, published):
    from meetings.services import participants

    participants.add_participant(cast["lan"], published, cast["khach"], role="guest")
    # hoa and binh are invited; minh chairs; lan is the secretary.
    assert set(found(api, cast["hoa"])) == {"lan", "hanh", "hoa", "binh", "minh", "khach"}
    assert set(found(api, cast["khach"])) == {"khach", "hoa", "binh", "minh", "lan"}
    assert "tuan" not in found(api, cast["binh"])  # tuan shares no meeting with binh


def test_a_draft_does_not_show_its_participants_to_each_other(api, cast, meeting):
    from meetings.services import participants

    participants.add_participant(cast["lan"], meeting, cast["hoa"])
    participants.add_participant(cast["lan"], meeting, cast["tuan"])
    assert "tuan" not in found(api, cast["hoa"])


def test_a_delegate_cannot_search_or_filter_their_way_past_the_rule(api, cast):
    assert found(api, cast["hoa"], q="tuan") == {}
    assert found(api, cast["hoa"], unit_id=cast["tuan"].unit_id) == {}
    assert set(found(api, cast["hoa"], q="Lan")) == {"lan"}


def test_signed_out_gets_no_directory(api, cast):
    response = api(None).get("/people")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_me_shows_my_own_contacts(api, cast):
    me = api(cast["hoa"]).get("/me").json()
    assert me["phone"] == "0912 345 678" and me["email"] == "hoa@example.vn"


def test_the_substitute_list_on_the_answer_form_follows_the_directory(cast, published):
    from frontend.forms import RsvpForm

    me = published.participants.get(user=cast["hoa"])
    choices = RsvpForm(meeting=published, me=me).fields["substitute"].choices
    offered = {value for _group, options in choices[1:] for value, _label in options}
    assert cast["hanh"].pk in offered  # a colleague of the office
    assert cast["tuan"].pk not in offered and cast["xuan"].pk not in offered
