"""Answering the invitation: confirm, decline with a reason, send a substitute, give a proxy."""

from api_helpers import fast_password_hashing, mail_to, refused  # noqa: F401

from meetings.models import Notification, Participant


def row(meeting, user) -> Participant:
    return Participant.objects.get(meeting=meeting, user=user)


def test_a_delegate_confirms_and_the_organisers_are_told(people, published, api):
    r = api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "confirmed"})

    assert r.json()["rsvp"] == "confirmed"
    told = Notification.objects.filter(kind="answer", meeting=published)
    assert {n.user for n in told} == {people["lan"], people["minh"]}
    assert "Phạm Thị Hoa" in told.first().title


def test_declining_without_a_reason_is_refused(people, published, api):
    error = refused(api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "declined"}), 400,
                    "reason_required")

    assert error["field"] == "reason"
    assert row(published, people["hoa"]).rsvp == "pending"


def test_the_secretary_is_told_the_reason_for_absence(people, published, api):
    api(people["binh"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "declined", "reason": "Trùng lịch tiếp dân"})

    note = Notification.objects.get(kind="answer", user=people["lan"])
    assert "Trùng lịch tiếp dân" in note.body


def test_a_substitute_becomes_a_participant_and_is_invited(
    people, published, api, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = api(people["binh"]).post(
            f"/meetings/{published.pk}/rsvp", {"answer": "substituted", "substitute_id": people["tuan"].pk}
        )

    assert r.json()["rsvp"] == "substituted"
    substitute = row(published, people["tuan"])
    assert substitute.substitute_for == row(published, people["binh"])
    assert substitute.invited_at is not None
    assert Notification.objects.filter(user=people["tuan"], kind="invitation", meeting=published).exists()
    assert "Họp thường kỳ tháng 12" in mail_to(mailoutbox, "tuan@example.vn").subject
    # and the substitute can now open the meeting
    assert api(people["tuan"]).get(f"/meetings/{published.pk}").status_code == 200


def test_a_substitute_must_be_named_and_not_already_invited(people, published, api):
    binh = api(people["binh"])

    refused(binh.post(f"/meetings/{published.pk}/rsvp", {"answer": "substituted"}), 400, "substitute_required")
    refused(binh.post(f"/meetings/{published.pk}/rsvp", {"answer": "substituted", "substitute_id": people["hoa"].pk}),
            409, "already_participant")
    refused(binh.post(f"/meetings/{published.pk}/rsvp", {"answer": "substituted", "substitute_id": people["binh"].pk}),
            409, "already_participant")


def test_a_delegate_gives_a_proxy_to_another_voting_participant(people, published, api):
    binh_row = row(published, people["binh"])

    r = api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "proxy", "proxy_to": binh_row.pk})

    assert r.json()["rsvp"] == "proxy"
    assert row(published, people["hoa"]).proxy_to == binh_row


def test_a_proxy_cannot_go_to_oneself(people, published, api):
    own = row(published, people["hoa"])

    refused(api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "proxy", "proxy_to": own.pk}),
            400, "bad_proxy")


def test_a_proxy_cannot_go_to_someone_outside_the_meeting(people, published, api):
    refused(api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "proxy", "proxy_to": 999999}),
            400, "bad_proxy")


def test_a_proxy_cannot_go_to_a_participant_without_a_voting_right(people, published, api):
    from meetings.services import participants

    guest = participants.add_participant(people["lan"], published, people["khach"], role="guest")

    r = api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "proxy", "proxy_to": guest.pk})

    refused(r, 400, "proxy_not_voter")
    assert row(published, people["hoa"]).rsvp == "pending"


def test_a_guest_cannot_give_a_proxy(people, published, api):
    from meetings.services import participants

    participants.add_participant(people["lan"], published, people["khach"], role="guest")

    r = api(people["khach"]).post(
        f"/meetings/{published.pk}/rsvp", {"answer": "proxy", "proxy_to": row(published, people["hoa"]).pk}
    )

    refused(r, 400, "no_voting_right")


def test_a_proxy_cannot_go_to_someone_who_will_not_attend(people, published, api):
    api(people["binh"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "declined", "reason": "Nghỉ phép"})

    r = api(people["hoa"]).post(
        f"/meetings/{published.pk}/rsvp", {"answer": "proxy", "proxy_to": row(published, people["binh"]).pk}
    )

    refused(r, 400, "proxy_target_absent")


def test_confirming_after_a_proxy_takes_the_proxy_back(people, published, api):
    hoa = api(people["hoa"])
    hoa.post(f"/meetings/{published.pk}/rsvp", {"answer": "proxy", "proxy_to": row(published, people["binh"]).pk})

    hoa.post(f"/meetings/{published.pk}/rsvp", {"answer": "confirmed"})

    assert row(published, people["hoa"]).proxy_to is None


def test_an_unknown_answer_is_refused(people, published, api):
    hoa = api(people["hoa"])

    refused(hoa.post(f"/meetings/{published.pk}/rsvp", {"answer": "maybe"}), 400, "invalid")
    refused(hoa.post(f"/meetings/{published.pk}/rsvp", {"answer": "pending"}), 400, "invalid")


def test_answers_are_closed_once_the_meeting_is_cancelled(people, published, api):
    api(people["lan"]).post(f"/meetings/{published.pk}/cancel", {"reason": "Hoãn họp"})

    refused(api(people["hoa"]).post(f"/meetings/{published.pk}/rsvp", {"answer": "confirmed"}), 400, "not_open")
