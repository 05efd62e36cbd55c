def test_secretary_creates_and_publishes_through_the_api(api, people, units, mailoutbox, django_capture_on_commit_callbacks):
    lan = api(people["lan"])
    r = lan.post("/meetings", {"title": "Họp giao ban", "start": "2027-03-01T08:00:00", "end": "2027-03-01T10:00:00"})
    assert r.status_code == 201, r.content
    mid = r.json()["id"]
    assert lan.post(f"/meetings/{mid}/participants", {"user_id": people["hoa"].pk}).status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        r = lan.post(f"/meetings/{mid}/publish")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "published"
    assert any(m.to == ["hoa@example.vn"] for m in mailoutbox)
