"""The agenda (chương trình họp) through the API: add, edit, delete, reorder."""

from api_helpers import fast_password_hashing, refused  # noqa: F401


def titles(api_client, meeting_id):
    return [(i["order"], i["title"]) for i in api_client.get(f"/meetings/{meeting_id}/agenda").json()]


def test_items_are_numbered_in_the_order_they_are_added(people, meeting, api):
    lan = api(people["lan"])
    for title in ("Khai mạc", "Báo cáo tình hình", "Thảo luận"):
        r = lan.post(f"/meetings/{meeting.pk}/agenda", {"title": title, "presenter_id": people["hoa"].pk})
        assert r.status_code == 201

    assert titles(lan, meeting.pk) == [(1, "Khai mạc"), (2, "Báo cáo tình hình"), (3, "Thảo luận")]
    assert lan.get(f"/meetings/{meeting.pk}/agenda").json()[0]["presenter_name"] == "Phạm Thị Hoa"


def test_an_item_is_edited(people, meeting, api):
    lan = api(people["lan"])
    item = lan.post(f"/meetings/{meeting.pk}/agenda", {"title": "Bao cao"}).json()

    r = lan.patch(f"/meetings/{meeting.pk}/agenda/{item['id']}", {"title": "Báo cáo", "planned_minutes": 45})

    assert r.status_code == 200
    assert r.json()["title"] == "Báo cáo"
    assert r.json()["planned_minutes"] == 45


def test_an_item_without_a_sensible_planned_time_is_refused(people, meeting, api):
    lan = api(people["lan"])
    item = lan.post(f"/meetings/{meeting.pk}/agenda", {"title": "Báo cáo"}).json()

    refused(lan.patch(f"/meetings/{meeting.pk}/agenda/{item['id']}", {"planned_minutes": 0}), 400, "invalid")
    refused(lan.post(f"/meetings/{meeting.pk}/agenda", {"title": "Dài", "planned_minutes": 3000}), 400, "invalid")


def test_deleting_an_item_closes_the_gap_in_the_numbering(people, meeting, api):
    lan = api(people["lan"])
    ids = [lan.post(f"/meetings/{meeting.pk}/agenda", {"title": t}).json()["id"] for t in ("Một", "Hai", "Ba")]

    assert lan.delete(f"/meetings/{meeting.pk}/agenda/{ids[0]}").status_code == 204

    assert titles(lan, meeting.pk) == [(1, "Hai"), (2, "Ba")]


def test_the_secretary_reorders_the_agenda(people, meeting, api):
    lan = api(people["lan"])
    ids = [lan.post(f"/meetings/{meeting.pk}/agenda", {"title": t}).json()["id"] for t in ("Một", "Hai", "Ba")]

    r = lan.post(f"/meetings/{meeting.pk}/agenda/reorder", {"ids": [ids[2], ids[0], ids[1]]})

    assert r.status_code == 200
    assert titles(lan, meeting.pk) == [(1, "Ba"), (2, "Một"), (3, "Hai")]


def test_a_reorder_that_loses_repeats_or_invents_items_is_refused(people, meeting, api):
    lan = api(people["lan"])
    ids = [lan.post(f"/meetings/{meeting.pk}/agenda", {"title": t}).json()["id"] for t in ("Một", "Hai", "Ba")]

    for bad in ([ids[0], ids[1]], [ids[0], ids[0], ids[1]], [ids[0], ids[1], ids[2], 999999]):
        refused(lan.post(f"/meetings/{meeting.pk}/agenda/reorder", {"ids": bad}), 400, "bad_order")
    assert titles(lan, meeting.pk) == [(1, "Một"), (2, "Hai"), (3, "Ba")]


def test_an_item_of_another_meeting_cannot_be_edited_through_this_one(people, units, meeting, api):
    from meetings.services import agenda, meetings

    other = meetings.create_meeting(people["lan"], title="Họp khác", start=meeting.start, end=meeting.end)
    foreign = agenda.add_item(people["lan"], other, title="Mục của cuộc họp khác")

    r = api(people["lan"]).patch(f"/meetings/{meeting.pk}/agenda/{foreign.pk}", {"title": "Sửa trộm"})

    refused(r, 404, "not_found")
    foreign.refresh_from_db()
    assert foreign.title == "Mục của cuộc họp khác"


def test_a_delegate_reads_the_agenda_but_cannot_change_it(people, published, api):
    hoa = api(people["hoa"])
    item_id = hoa.get(f"/meetings/{published.pk}/agenda").json()[0]["id"]

    refused(hoa.post(f"/meetings/{published.pk}/agenda", {"title": "Đề xuất của tôi"}), 403, "forbidden")
    refused(hoa.patch(f"/meetings/{published.pk}/agenda/{item_id}", {"title": "Sửa"}), 403, "forbidden")
    refused(hoa.delete(f"/meetings/{published.pk}/agenda/{item_id}"), 403, "forbidden")
    refused(hoa.post(f"/meetings/{published.pk}/agenda/reorder", {"ids": [item_id]}), 403, "forbidden")


def test_a_supplementary_item_can_be_added_while_the_meeting_runs(people, published, api):
    lan = api(people["lan"])
    lan.post(f"/meetings/{published.pk}/status", {"status": "in_progress"})

    assert lan.post(f"/meetings/{published.pk}/agenda", {"title": "Nội dung phát sinh"}).status_code == 201
