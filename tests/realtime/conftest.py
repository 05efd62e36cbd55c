"""The live room's cast: minh chairs, lan is the secretary, hoa and binh are delegates, khach is a
guest, tuan joins from the An Phú remote site whose screen "operator" runs; nam works in the host
unit but is not invited; thu works in another department."""

from __future__ import annotations

import pytest
from rt_fixtures import app, socket_clients, tokens  # noqa: F401  (app, tokens: fixtures)


@pytest.fixture(autouse=True)
def quick(settings):
    settings.PHONGHOP_PRESENCE_INTERVAL = 0.05
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # the cast is made per test


@pytest.fixture
def room(published, people, units):
    """The published meeting with two agenda items, guests and a remote site; not started yet."""
    from accounts.models import User
    from meetings.services import agenda, meetings, participants

    lan = people["lan"]
    meeting = meetings.update_meeting(lan, published, remote_sites=[units["district"].pk])
    agenda.add_item(lan, meeting, title="Kế hoạch đầu tư công năm 2027", planned_minutes=30)
    participants.add_participant(lan, meeting, people["khach"], role="guest")
    participants.add_participant(lan, meeting, people["tuan"], site=units["district"])
    people["nam"] = User.objects.create(username="nam", full_name="Vũ Văn Nam", unit=units["office"], role="delegate")
    people["thu"] = User.objects.create(username="thu", full_name="Hồ Thị Thu", unit=units["finance"], role="delegate")
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def running(room, people):
    from meetings.services import meetings

    return meetings.change_status(people["lan"], room, "in_progress")


@pytest.fixture
async def connect(app, tokens):  # noqa: F811  (the fixtures imported above)
    """connect(name, meeting) → an open, resumed Client for that person (see rt_fixtures.socket_clients)."""
    async with socket_clients(app, tokens) as connect:
        yield connect
