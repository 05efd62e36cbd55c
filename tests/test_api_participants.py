"""Participants through the API: who is invited, in what role, with what voting right."""

from api_helpers import fast_password_hashing, refused  # noqa: F401

from meetings.models import Participant


def rows(api_client, meeting_id):
    return {p["user_id"]: p for p in api_client.get(f"/meetings/{meeting_id}/participants").json()}


def test_the_chair_and_secretary_take_part_from_the_start(people, meeting, api):
    found = rows(api(people["lan"]), meeting.pk)

    assert found[people["minh"].pk]["role"] == "chair"
    assert found[people["minh"].pk]["can_vote"] is True
    assert found[people["lan"].pk]["role"] == "secretary"


def test_delegates_vote_and_guests_do_not(people, meeting, api):
    lan = api(people["lan"])

    hoa = lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["hoa"].pk}).json()
    guest = lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["khach"].pk, "role": "guest"}).json()

    assert (hoa["role"], hoa["can_vote"], hoa["rsvp"]) == ("delegate", True, "pending")
    assert (guest["role"], guest["can_vote"]) == ("guest", False)


def test_a_guest_with_a_voting_right_is_refused(people, meeting, api):
    r = api(people["lan"]).post(
        f"/meetings/{meeting.pk}/participants", {"user_id": people["khach"].pk, "role": "guest", "can_vote": True}
    )

    refused(r, 400, "invalid")


def test_nobody_is_invited_twice(people, meeting, api):
    lan = api(people["lan"])
    lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["hoa"].pk})

    refused(lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["hoa"].pk}), 409, "already_participant")
    assert Participant.objects.filter(meeting=meeting, user=people["hoa"]).count() == 1


def test_an_unknown_person_or_role_is_refused(people, meeting, api):
    lan = api(people["lan"])

    refused(lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": 999999}), 400, "invalid")
    refused(lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["hoa"].pk, "role": "vip"}), 400, "invalid")


def test_a_participant_joins_from_a_remote_site_and_loses_the_vote(people, units, meeting, api):
    lan = api(people["lan"])
    pid = lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["tuan"].pk}).json()["id"]

    r = lan.patch(f"/meetings/{meeting.pk}/participants/{pid}", {"site_id": units["district"].pk, "can_vote": False})

    assert r.status_code == 200
    assert (r.json()["site_id"], r.json()["can_vote"]) == (units["district"].pk, False)


def test_a_participant_is_removed(people, meeting, api):
    lan = api(people["lan"])
    pid = lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["hoa"].pk}).json()["id"]

    assert lan.delete(f"/meetings/{meeting.pk}/participants/{pid}").status_code == 204

    assert people["hoa"].pk not in rows(lan, meeting.pk)


def test_the_chair_cannot_be_removed_from_the_participants(people, meeting, api):
    lan = api(people["lan"])
    chair_row = rows(lan, meeting.pk)[people["minh"].pk]

    refused(lan.delete(f"/meetings/{meeting.pk}/participants/{chair_row['id']}"), 400, "role_participant")


def test_a_new_chair_joins_the_participants(people, meeting, api):
    lan = api(people["lan"])
    lan.post(f"/meetings/{meeting.pk}/participants", {"user_id": people["binh"].pk})

    lan.patch(f"/meetings/{meeting.pk}", {"chair_id": people["binh"].pk})

    assert rows(lan, meeting.pk)[people["binh"].pk]["role"] == "chair"


def test_a_delegate_cannot_invite_or_remove_anyone(people, published, api):
    hoa = api(people["hoa"])
    binh_row = rows(hoa, published.pk)[people["binh"].pk]

    refused(hoa.post(f"/meetings/{published.pk}/participants", {"user_id": people["tuan"].pk}), 403, "forbidden")
    refused(hoa.patch(f"/meetings/{published.pk}/participants/{binh_row['id']}", {"can_vote": False}), 403, "forbidden")
    refused(hoa.delete(f"/meetings/{published.pk}/participants/{binh_row['id']}"), 403, "forbidden")
