"""The minutes: drafted from the record, edited by the secretary, reviewed and approved by the chair,
frozen once approved; who may do what, through the services and the REST API."""

from __future__ import annotations

import pytest
from api_helpers import refused

from meetings.errors import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def content_of(meeting, person):
    from meetings.minutes import services

    return services.current_for(person, meeting).content


# Drafting ----------------------------------------------------------------------------------------

def test_the_draft_already_holds_attendance_speakers_and_the_vote(held, people):
    from meetings.minutes import services

    version = services.start(people["lan"], held)
    assert version.number == 1 and version.status == "draft"
    c = version.content
    assert c["facts"]["chair"].startswith("Trần Văn Minh") and c["facts"]["secretary"].startswith("Nguyễn Thị Lan")
    a = c["attendance"]
    assert any(n.startswith("Phạm Thị Hoa") for n in a["hall"])
    assert a["online"] == [{"site": "Huyện An Phú", "people": [a["online"][0]["people"][0]]}]
    assert a["online"][0]["people"][0].startswith("Đỗ Minh Tuấn")
    assert [x["reason"] for x in a["absent"] if x["name"].startswith("Lê Văn Bình")] == ["Đi công tác"]
    assert any(n.startswith("Khách Mời") for n in a["guests"])
    first, second = c["items"]
    assert first["title"] == "Báo cáo kinh tế - xã hội" and second["presenter"].startswith("Lê Văn Bình")
    assert [s["name"].split(",")[0] for s in first["speakers"]] == ["Phạm Thị Hoa"]
    assert first["speakers"][0]["kind"] == "phát biểu" and first["speakers"][0]["start"]
    assert [s["kind"] for s in second["speakers"]] == ["chất vấn"]
    (vote,) = first["votes"]
    assert vote["sentence"].startswith("Thông qua: 3/")
    assert vote["rule"] == "quá nửa tổng số đại biểu"
    assert [o["label"] for o in vote["options"]][:2] == ["Tán thành", "Không tán thành"]
    assert c["header"]["parent_body"] == "UBND TỈNH" and c["header"]["issuing_body"] == "VĂN PHÒNG UBND TỈNH"


def test_starting_twice_returns_the_same_minutes(held, people):
    from meetings.minutes import services

    assert services.start(people["lan"], held).pk == services.start(people["minh"], held).pk


def test_minutes_need_a_held_meeting(meeting, people):
    from meetings.minutes import services

    with pytest.raises(Invalid) as e:
        services.start(people["lan"], meeting)
    assert e.value.code == "meeting_not_held"


def test_redrafting_keeps_what_the_secretary_wrote(minutes, held, people):
    from meetings.minutes import services

    services.edit(people["lan"], held, {"opening": "Chủ trì khai mạc."})
    version = services.redraft(people["lan"], held)
    assert version.content["opening"] == "<p>Chủ trì khai mạc.</p>"
    assert version.content["items"][1]["conclusion"] == "Thống nhất dự toán, trình HĐND tỉnh."
    assert version.content["items"][0]["votes"]


# Editing -----------------------------------------------------------------------------------------

def test_free_text_is_sanitised_before_it_is_stored(minutes, held, people):
    from meetings.minutes import services

    item = minutes.content["items"][0]["agenda_item_id"]
    version = services.edit(people["lan"], held, {
        "closing": '<p onclick="x()">Bế mạc <script>alert(1)</script><em>lúc 11 giờ</em></p><a href="http://x">link</a>',
        "items": [{"agenda_item_id": item, "discussion": "<img src=x onerror=alert(1)><ul><li>Ý kiến</li></ul>"}]})
    assert version.content["closing"] == "<p>Bế mạc <em>lúc 11 giờ</em></p>link"
    assert version.content["items"][0]["discussion"] == "<ul><li>Ý kiến</li></ul>"


def test_unknown_fields_and_items_are_refused(minutes, held, people):
    from meetings.minutes import services

    with pytest.raises(Invalid):
        services.edit(people["lan"], held, {"attendance": {}})
    with pytest.raises(Invalid):
        services.edit(people["lan"], held, {"items": [{"agenda_item_id": 999999, "conclusion": "x"}]})
    with pytest.raises(Invalid):
        services.edit(people["lan"], held, {"header": {"date": "05/12/2026"}})


@pytest.mark.parametrize("who", ["hoa", "hanh", "root"])
def test_only_the_secretary_or_chair_write_the_minutes(held, people, who):
    """A delegate, the host unit's administrator and a system administrator may see the meeting, not write it."""
    from meetings.minutes import services

    with pytest.raises(Forbidden):
        services.start(people[who], held)
    services.start(people["lan"], held)
    for call in (lambda: services.edit(people[who], held, {"opening": "x"}),
                 lambda: services.redraft(people[who], held), lambda: services.submit(people[who], held)):
        with pytest.raises(Forbidden):
            call()


def test_someone_who_cannot_see_the_meeting_gets_not_found(held, people, units):
    from personas import make_user

    from meetings.minutes import services

    outsider = make_user("ngoai", units["finance"], "delegate", "Người Ngoài")
    with pytest.raises(NotFound):
        services.start(outsider, held)


# Review and approval -----------------------------------------------------------------------------

def test_review_return_with_reason_then_approve_and_freeze(minutes, held, people):
    from meetings.minutes import services

    lan, minh = people["lan"], people["minh"]
    assert services.submit(lan, held).status == "in_review"
    with pytest.raises(Conflict):
        services.edit(lan, held, {"opening": "x"})
    with pytest.raises(Invalid) as e:
        services.return_for_changes(minh, held, "  ")
    assert e.value.code == "reason_required"
    returned = services.return_for_changes(minh, held, "Bổ sung ý kiến của Sở Y tế")
    assert returned.status == "returned" and returned.return_reason == "Bổ sung ý kiến của Sở Y tế"
    services.edit(lan, held, {"opening": "Bổ sung"})
    services.submit(lan, held)
    approved = services.approve(minh, held)
    assert approved.status == "approved" and approved.decided_by == minh
    with pytest.raises(Conflict) as e:
        services.edit(lan, held, {"opening": "sửa sau khi duyệt"})
    assert e.value.code == "minutes_frozen"
    with pytest.raises(Conflict):
        services.redraft(lan, held)


@pytest.mark.parametrize("who", ["lan", "hoa", "root"])
def test_only_the_chair_approves_or_returns(minutes, held, people, who):
    from meetings.minutes import services

    services.submit(people["lan"], held)
    with pytest.raises(Forbidden):
        services.approve(people[who], held)
    with pytest.raises(Forbidden):
        services.return_for_changes(people[who], held, "Lý do")


def test_approval_needs_a_review_first(minutes, held, people):
    from meetings.minutes import services

    with pytest.raises(Conflict) as e:
        services.approve(people["minh"], held)
    assert e.value.code == "minutes_not_in_review"


def test_a_change_after_approval_is_a_new_version_with_its_reason(minutes, held, people):
    from meetings.minutes import services
    from meetings.minutes.models import MinutesVersion

    lan, minh = people["lan"], people["minh"]
    services.submit(lan, held)
    services.approve(minh, held)
    with pytest.raises(Invalid):
        services.new_version(lan, held, "")
    with pytest.raises(Forbidden):
        services.new_version(people["hoa"], held, "Sửa lỗi chính tả")
    fresh = services.new_version(lan, held, "Sửa lỗi chính tả")
    assert (fresh.number, fresh.status, fresh.reason) == (2, "draft", "Sửa lỗi chính tả")
    services.edit(lan, held, {"opening": "Đã sửa"})
    first = MinutesVersion.objects.get(minutes__meeting=held, number=1)
    assert first.status == "approved" and first.content["opening"] == ""
    # A delegate still reads the approved version 1 while version 2 is drafted.
    assert services.current_for(people["hoa"], held).number == 1
    with pytest.raises(Conflict):
        services.new_version(lan, held, "again")


def test_every_change_is_in_the_event_log_and_the_audit_trail(minutes, held, people):
    from meetings.minutes import services
    from meetings.models import AuditEntry, MeetingEvent

    services.submit(people["lan"], held)
    services.approve(people["minh"], held)
    events = list(MeetingEvent.objects.filter(meeting=held, type="minutes.changed").order_by("seq")
                  .values_list("data", flat=True))
    assert [e["action"] for e in events] == ["started", "edited", "submitted", "approved"]
    assert "content" not in events[-1]  # the text is not shared state
    actions = set(AuditEntry.objects.filter(meeting=held, action__startswith="minutes.").values_list("action", flat=True))
    assert actions == {"minutes.started", "minutes.edited", "minutes.submitted", "minutes.approved"}


def test_the_chair_is_told_of_a_review_and_the_secretary_of_a_return(minutes, held, people):
    from meetings.minutes import services
    from meetings.models import Notification

    services.submit(people["lan"], held)
    assert Notification.objects.filter(user=people["minh"], kind="minutes").count() == 1
    services.return_for_changes(people["minh"], held, "Thiếu ý kiến")
    assert Notification.objects.get(user=people["lan"], kind="minutes").body == "Thiếu ý kiến"


# Who reads what ----------------------------------------------------------------------------------

def test_participants_read_only_approved_minutes(minutes, held, people):
    from meetings.minutes import services

    assert services.current_for(people["hoa"], held) is None
    assert services.current_for(people["root"], held).number == 1  # an editor of the meeting sees drafts
    services.submit(people["lan"], held)
    services.approve(people["minh"], held)
    assert services.current_for(people["hoa"], held).status == "approved"


def test_a_classified_meetings_minutes_are_for_its_participants_only(minutes, held, people, settings):
    from meetings.minutes import services
    from meetings.models import Meeting

    settings.PHONGHOP_ALLOW_CLASSIFIED = True
    Meeting.objects.filter(pk=held.pk).update(classification="mat")
    held.refresh_from_db()
    services.submit(people["lan"], held)
    services.approve(people["minh"], held)
    # The office's unit administrator sees the meeting (host unit) but is not a participant.
    from meetings.minutes import access
    from meetings.permissions import can_view

    nam = people["hanh"]
    assert can_view(nam, held)
    assert access.may_read_record(people["hoa"], held)
    from personas import make_user

    clerk = make_user("clerk", people["lan"].unit, "delegate", "Văn Thư")
    assert can_view(clerk, held)  # the office sees its meetings...
    assert services.current_for(clerk, held) is None  # ...not the record of a classified one
    assert not access.may_read_record(clerk, held)


# REST API ----------------------------------------------------------------------------------------

def test_the_api_drafts_edits_reviews_and_approves(held, people, api):
    lan, minh, hoa = api(people["lan"]), api(people["minh"]), api(people["hoa"])
    base = f"/meetings/{held.pk}/minutes"
    refused(lan.get(base), 404, "no_minutes")
    r = lan.post(base)
    assert r.status_code == 201 and r.json()["status"] == "draft"
    item = r.json()["content"]["items"][0]["agenda_item_id"]
    r = lan.patch(base, {"items": [{"agenda_item_id": item, "conclusion": "Đồng ý"}], "header": {"number": "15"}})
    assert r.status_code == 200, r.content
    assert r.json()["content"]["items"][0]["conclusion"] == "Đồng ý"
    assert r.json()["content"]["header"]["number"] == "15"
    refused(hoa.patch(base, {"opening": "x"}), 403, "not_minutes_writer")
    refused(hoa.get(base), 404, "no_minutes")
    assert lan.post(f"{base}/submit").json()["status"] == "in_review"
    refused(lan.post(f"{base}/approve"), 403, "not_chair")
    refused(minh.post(f"{base}/return", {"reason": ""}), 400, "reason_required")
    assert minh.post(f"{base}/approve").json()["status"] == "approved"
    refused(lan.patch(base, {"opening": "x"}), 409, "minutes_frozen")
    assert hoa.get(base).json()["version"] == 1
    r = lan.post(f"{base}/versions", {"reason": "Bổ sung"})
    assert r.status_code == 201 and r.json()["version"] == 2
    assert [v["version"] for v in hoa.get(f"{base}/versions").json()] == [1]
    assert [v["status"] for v in lan.get(f"{base}/versions").json()] == ["approved", "draft"]
    from personas import make_user

    outsider = make_user("ngoai", people["binh"].unit, "delegate", "Người Ngoài")
    refused(api(outsider).get(base), 404, "not_found")


def test_the_api_refuses_a_wrong_shape_in_our_error_format(minutes, held, people, api):
    r = api(people["lan"]).patch(f"/meetings/{held.pk}/minutes", {"recipients": "not a list"})
    refused(r, 422, "validation_error")
