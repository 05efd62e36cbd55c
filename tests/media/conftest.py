"""The media tests' cast: sites are aiortc peer connections (tests/media/sfu_clients.py). Tests of the
forwarder alone signal straight into a MediaServer on the test's loop; tests of the socket path use the
live room's people: minh chairs from the province hall, tuan and the An Phú operator are at the
district site, hoa and binh are delegates in the hall, nam works in the host unit but is not invited."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

for helpers in ("realtime", "browser"):  # rt_client (the socket test client), live_server (Daphne for browsers)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / helpers))

from rt_fixtures import app, socket_clients, tokens  # noqa: E402, F401  (app, tokens: fixtures)


@pytest.fixture
def media_settings():
    from media.room import MediaSettings

    return MediaSettings(max_videos=2, max_audio=2)


@pytest.fixture
async def server(media_settings):
    from media.server import MediaServer

    server = MediaServer(media_settings)
    yield server
    await server.shutdown()


@pytest.fixture
async def sites():
    """sites(Site(...), ...) keeps them for closing at the end."""
    opened = []

    def keep(*new):
        opened.extend(new)
        return new[0] if len(new) == 1 else new

    yield keep
    for site in opened:
        await site.close()
    await asyncio.sleep(0.05)  # let the cancelled ICE consent checks finish before the loop closes


# The socket path ---------------------------------------------------------------------------------

@pytest.fixture
def briefing(published, people, units):
    """The meeting in progress, with the An Phú district as a remote site where tuan sits."""
    from accounts.models import User
    from meetings.services import meetings, participants

    lan = people["lan"]
    meeting = meetings.update_meeting(lan, published, remote_sites=[units["district"].pk])
    participants.add_participant(lan, meeting, people["tuan"], site=units["district"])
    people["nam"] = User.objects.create(username="nam", full_name="Vũ Văn Nam", unit=units["office"], role="delegate")
    return meetings.change_status(lan, meeting, "in_progress")


@pytest.fixture
async def backend(settings):
    """A fresh in-process media backend (its own thread) for the test, stopped afterwards."""
    from media.backend import get_backend, reset_backend

    settings.PHONGHOP_MEDIA_MAX_VIDEOS = 2
    settings.PHONGHOP_MEDIA_MAX_AUDIO = 2
    reset_backend()
    yield get_backend()
    reset_backend()


@pytest.fixture
async def connect(app, tokens, backend):  # noqa: F811  (the fixtures imported above)
    """connect(name, meeting) → an open, resumed Client, with the media backend up (rt_fixtures.socket_clients)."""
    async with socket_clients(app, tokens) as connect:
        yield connect


# Janus ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def janus_server(tmp_path_factory):
    """Debian's Janus on a configuration of ours (media/janus/config.py): HTTP API on 127.0.0.1 with an API
    secret, admin API off, only VideoRoom. The tests marked ``janus`` are skipped loudly without it (CI fails)."""
    import secrets

    from ports import free_port

    from media.janus.config import JanusConfig, JanusProcess

    config = JanusConfig(api_secret=secrets.token_urlsafe(16), port=free_port(), rtp_ports="42000-42999")
    server = JanusProcess(config, tmp_path_factory.mktemp("janus")).start()
    yield server
    server.stop()


@pytest.fixture
def janus_env(janus_server, monkeypatch, settings):
    """This process and the Daphne children it starts use the Janus backend on ``janus_server``."""
    from media.backend import reset_backend

    for name, value in (("PHONGHOP_MEDIA_BACKEND", "janus"), ("PHONGHOP_JANUS_URL", janus_server.url),
                        ("PHONGHOP_JANUS_API_SECRET", janus_server.config.api_secret)):
        monkeypatch.setenv(name, value)
    settings.PHONGHOP_MEDIA_BACKEND = "janus"
    settings.PHONGHOP_JANUS_URL = [janus_server.url]
    settings.PHONGHOP_JANUS_API_SECRET = janus_server.config.api_secret
    reset_backend()
    yield janus_server
    reset_backend()
