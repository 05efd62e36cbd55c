"""The council votes: minh chairs, lan is the secretary, hoa, binh and tuan are delegates (tuan at the
An Phú remote site), khach is a guest without a voting right, nam works in the host unit but is not
invited. Members with a voting right: minh, hoa, binh, tuan (4)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "realtime"))  # rt_client, rt_fixtures

from rt_fixtures import app, socket_clients, tokens  # noqa: E402, F401  (app, tokens: fixtures)


@pytest.fixture(autouse=True)
def quick(settings):
    settings.PHONGHOP_PRESENCE_INTERVAL = 0.05
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def ballot_secret(monkeypatch):
    monkeypatch.setenv("PHONGHOP_BALLOT_SECRET", "11" * 32)


@pytest.fixture
def council(published, people, units):
    """The published meeting in progress, with a guest and a remote site; minh, hoa, binh and tuan present."""
    from accounts.models import User
    from meetings.services import live, meetings, participants

    lan = people["lan"]
    meeting = meetings.update_meeting(lan, published, remote_sites=[units["district"].pk])
    participants.add_participant(lan, meeting, people["khach"], role="guest")
    participants.add_participant(lan, meeting, people["tuan"], site=units["district"])
    people["nam"] = User.objects.create(username="nam", full_name="Vũ Văn Nam", unit=units["office"], role="delegate")
    meeting = meetings.change_status(lan, meeting, "in_progress")
    for p in meeting.participants.exclude(user=people["khach"]):
        reply = live.execute(lan, meeting.pk, f"in-{p.pk}", "checkin", {"mode": "in_person", "participant_id": p.pk})
        assert reply["ok"], reply
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
async def connect(app, tokens):  # noqa: F811  (the fixtures imported above)
    """connect(name, meeting) → an open, resumed socket Client (rt_fixtures.socket_clients); at the end, the
    pending tally frames and audit seals are awaited too."""
    from meetings.voting import batch, tally

    async with socket_clients(app, tokens) as connect:
        yield connect
        await tally.hub().drain()
        await batch.sealer().drain()
