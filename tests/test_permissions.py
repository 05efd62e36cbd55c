"""Who sees and who changes a meeting. Every rule is shown with the person it lets in and one it keeps out."""

import pytest
from api_helpers import fast_password_hashing, meeting_payload, refused  # noqa: F401
from django.test import override_settings
from personas import make_user

from meetings.models import Notification
from meetings.services import meetings as meeting_services
from meetings.services import participants


def listed(api_client, **params) -> list[int]:
    return [m["id"] for m in api_client.get("/meetings", **params).json()]


@pytest.fixture
def thu(units):
    """Unit administrator of the finance department: another unit than the office that hosts the meeting."""
    return make_user("thu", units["finance"], "unit_admin", "Vũ Thị Thu")


# Seeing ------------------------------------------------------------------------------------------

def test_a_delegate_of_another_unit_cannot_list_read_or_edit_the_meeting(people, published, api):
    tuan = api(people["tuan"])

    assert published.pk not in listed(tuan)
    refused(tuan.get(f"/meetings/{published.pk}"), 404, "not_found")
    refused(tuan.get(f"/meetings/{published.pk}/agenda"), 404, "not_found")
    refused(tuan.get(f"/meetings/{published.pk}/participants"), 404, "not_found")
    refused(tuan.patch(f"/meetings/{published.pk}", {"title": "Sửa"}), 404, "not_found")
    refused(tuan.post(f"/meetings/{published.pk}/cancel", {"reason": "Phá"}), 404, "not_found")


def test_a_delegate_of_the_host_unit_sees_a_published_meeting_but_cannot_edit_it(people, meeting, api):
    participants.add_participant(people["lan"], meeting, people["binh"])
    meeting_services.publish_meeting(people["lan"], meeting)
    hoa = api(people["hoa"])  # of the office, not invited

    assert meeting.pk in listed(hoa)
    r = hoa.get(f"/meetings/{meeting.pk}")
    assert r.status_code == 200
    assert r.json()["can_edit"] is False
    refused(hoa.patch(f"/meetings/{meeting.pk}", {"title": "Sửa"}), 403, "forbidden")
    refused(hoa.post(f"/meetings/{meeting.pk}/cancel", {"reason": "Tôi bận"}), 403, "forbidden")
    refused(hoa.post(f"/meetings/{meeting.pk}/status", {"status": "in_progress"}), 403, "forbidden")


def test_a_guest_sees_only_the_meetings_they_take_part_in(people, units, published, api):
    khach = api(people["khach"])
    finance_meeting = meeting_services.create_meeting(
        people["root"], title="Họp Sở Tài chính", host_unit=units["finance"], start=published.start, end=published.end,
    )
    participants.add_participant(people["root"], finance_meeting, people["binh"])
    meeting_services.publish_meeting(people["root"], finance_meeting)

    assert listed(khach) == []
    refused(khach.get(f"/meetings/{finance_meeting.pk}"), 404, "not_found")  # their own unit's meeting
    assert finance_meeting.pk in listed(api(people["binh"]))  # a delegate of the same unit does see it

    participants.add_participant(people["lan"], published, people["khach"], role="guest")
    assert listed(khach) == [published.pk]
    assert khach.get(f"/meetings/{published.pk}").status_code == 200


def test_a_draft_is_invisible_to_participants_until_it_is_published(people, meeting, api):
    participants.add_participant(people["lan"], meeting, people["binh"])
    binh = api(people["binh"])

    assert listed(binh) == []
    refused(binh.get(f"/meetings/{meeting.pk}"), 404, "not_found")
    refused(api(people["hoa"]).get(f"/meetings/{meeting.pk}"), 404, "not_found")  # host unit, not yet
    assert api(people["minh"]).get(f"/meetings/{meeting.pk}").status_code == 200  # its chair prepares it

    meeting_services.publish_meeting(people["lan"], meeting)
    assert listed(binh) == [meeting.pk]


def test_a_draft_cancelled_before_publishing_stays_with_its_editors(people, meeting, api):
    participants.add_participant(people["lan"], meeting, people["binh"])
    meeting_services.cancel_meeting(people["lan"], meeting, "Không họp nữa")

    refused(api(people["binh"]).get(f"/meetings/{meeting.pk}"), 404, "not_found")
    refused(api(people["hoa"]).get(f"/meetings/{meeting.pk}"), 404, "not_found")
    assert api(people["lan"]).get(f"/meetings/{meeting.pk}").status_code == 200


def test_a_remote_site_operator_sees_the_briefing_their_site_joins(people, units, api):
    lan = api(people["lan"])
    mid = lan.post("/meetings", meeting_payload("Giao ban trực tuyến", format="online",
                                                 remote_site_ids=[units["district"].pk])).json()["id"]
    lan.post(f"/meetings/{mid}/participants", {"user_id": people["hoa"].pk})
    lan.post(f"/meetings/{mid}/publish")

    assert mid in listed(api(people["operator"]))
    assert mid not in listed(api(people["tuan"]))  # a delegate of that district is not the site


def test_the_system_administrator_sees_everything_including_drafts(people, meeting, api):
    assert listed(api(people["root"])) == [meeting.pk]


# Changing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("editor", ["lan", "minh", "hanh", "root"])
def test_the_secretary_chair_host_unit_admin_and_system_admin_edit(people, published, api, editor):
    r = api(people[editor]).patch(f"/meetings/{published.pk}", {"preparation": f"Chuẩn bị bởi {editor}"})

    assert r.status_code == 200
    assert r.json()["preparation"] == f"Chuẩn bị bởi {editor}"


def test_an_invited_delegate_cannot_edit(people, published, api):
    refused(api(people["binh"]).patch(f"/meetings/{published.pk}", {"title": "Sửa"}), 403, "forbidden")


def test_a_unit_administrator_of_another_unit_cannot_edit(people, published, api, thu):
    refused(api(thu).patch(f"/meetings/{published.pk}", {"title": "Sửa"}), 404, "not_found")

    participants.add_participant(people["lan"], published, thu)
    refused(api(thu).patch(f"/meetings/{published.pk}", {"title": "Sửa"}), 403, "forbidden")


def test_the_administrator_of_a_parent_unit_edits_meetings_below_it(people, units, published, api):
    province_admin = make_user("quantri", units["province"], "unit_admin", "Quản trị tỉnh")

    assert api(province_admin).patch(f"/meetings/{published.pk}", {"contact": "Văn phòng"}).status_code == 200


def test_a_delegate_cannot_create_a_meeting(people, api):
    refused(api(people["hoa"]).post("/meetings", meeting_payload()), 403, "forbidden")


def test_a_guest_cannot_create_a_meeting(people, api):
    refused(api(people["khach"]).post("/meetings", meeting_payload()), 403, "forbidden")


def test_a_secretary_cannot_create_a_meeting_hosted_by_another_unit(people, units, api):
    r = api(people["lan"]).post("/meetings", meeting_payload(host_unit_id=units["finance"].pk))

    refused(r, 403, "forbidden")


def test_a_secretary_cannot_move_her_meeting_to_another_unit(people, units, meeting, api):
    r = api(people["lan"]).patch(f"/meetings/{meeting.pk}", {"host_unit_id": units["finance"].pk})

    refused(r, 403, "forbidden")


def test_a_unit_administrator_creates_meetings_for_units_below_only(people, units, api, thu):
    assert api(thu).post("/meetings", meeting_payload(host_unit_id=units["finance"].pk)).status_code == 201
    refused(api(thu).post("/meetings", meeting_payload(host_unit_id=units["office"].pk)), 403, "forbidden")


def test_classified_meetings_are_refused_on_a_system_not_approved_for_them(people, api):
    r = api(people["lan"]).post("/meetings", meeting_payload("Họp nội dung mật", classification="mat"))

    error = refused(r, 400, "classified_not_allowed")
    assert error["field"] == "classification"


@override_settings(PHONGHOP_ALLOW_CLASSIFIED=True)
def test_classified_meetings_are_accepted_where_the_deployment_is_approved(people, api):
    r = api(people["lan"]).post("/meetings", meeting_payload("Họp nội dung mật", classification="toi_mat"))

    assert r.status_code == 201
    assert r.json()["classification"] == "toi_mat"


def test_an_existing_meeting_cannot_be_marked_classified_either(people, meeting, api):
    refused(api(people["lan"]).patch(f"/meetings/{meeting.pk}", {"classification": "mat"}), 400, "classified_not_allowed")


# Answering and personal lists -----------------------------------------------------------------

def test_nobody_answers_an_invitation_they_did_not_get(people, published, api):
    # hanh (unit admin) and hoa (delegate of the host unit) can see the meeting but are not invited ...
    participants.remove_participant(people["lan"], published, published.participants.get(user=people["hoa"]).pk)
    refused(api(people["hanh"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "confirmed"}), 403, "forbidden")
    refused(api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "confirmed"}), 403, "forbidden")
    # ... and tuan cannot even see it.
    refused(api(people["tuan"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "confirmed"}), 404, "not_found")


def test_a_delegate_cannot_list_another_persons_meetings(people, published, api):
    hoa = api(people["hoa"])

    refused(hoa.get(f"/people/{people['binh'].pk}/meetings"), 403, "forbidden")
    assert [m["id"] for m in hoa.get(f"/people/{people['hoa'].pk}/meetings").json()] == [published.pk]


def test_a_unit_administrator_lists_the_meetings_of_people_in_their_unit_only(people, published, api):
    hanh = api(people["hanh"])

    assert [m["id"] for m in hanh.get(f"/people/{people['hoa'].pk}/meetings").json()] == [published.pk]
    refused(hanh.get(f"/people/{people['binh'].pk}/meetings"), 403, "forbidden")
    assert api(people["root"]).get(f"/people/{people['binh'].pk}/meetings").status_code == 200


def test_nobody_reads_or_marks_another_persons_notifications(people, published, api):
    note = Notification.objects.filter(user=people["hoa"]).first()

    assert note.pk not in [n["id"] for n in api(people["binh"]).get("/notifications").json()]
    refused(api(people["binh"]).post(f"/notifications/{note.pk}/read"), 404, "not_found")
    note.refresh_from_db()
    assert note.read_at is None
