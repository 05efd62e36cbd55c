"""The briefing page: open to whoever may open the meeting socket, with what the page script needs."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_site(published, people, units):
    from meetings.services import meetings, participants

    meeting = meetings.update_meeting(people["lan"], published, remote_sites=[units["district"].pk])
    participants.add_participant(people["lan"], meeting, people["tuan"], site=units["district"])
    return meeting


def page_config(response):
    found = re.search(r'<script id="briefing-config" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(found.group(1))


@pytest.mark.parametrize("name, publish, controls, site", [
    ("minh", True, True, "office"),  # the chair, in the hall: the hall's camera by default
    ("lan", False, True, "office"),  # the secretary: controls, watches
    ("hoa", False, False, "office"),  # a delegate's tablet in the hall only watches
    ("tuan", True, False, "district"),  # a delegate at a remote site speaks for it
    ("operator", True, False, "district"),  # the site's operator, not a participant
])
def test_the_meetings_people_open_the_briefing(client, people, units, with_site, settings, name, publish, controls,
                                               site):
    settings.PHONGHOP_ICE_SERVERS = [{"urls": "turn:10.0.0.5:3478", "username": "u", "credential": "p"}]
    client.force_login(people[name])
    response = client.get(f"/briefing/{with_site.pk}/")
    assert response.status_code == 200
    config = page_config(response)
    assert (config["publish_default"], config["controls"], config["site"]) == (publish, controls, units[site].pk)
    assert config["ice_servers"] == settings.PHONGHOP_ICE_SERVERS
    assert config["codec"] == "VP8" and config["main_site"] == units["office"].pk


def test_others_do_not(client, people, with_site):
    from accounts.models import User

    url = f"/briefing/{with_site.pk}/"
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(people["khach"])  # cannot see the meeting
    assert client.get(url).status_code == 404
    nam = User.objects.create(username="nam", full_name="Vũ Văn Nam", unit=people["hoa"].unit, role="delegate")
    client.force_login(nam)  # sees it in his unit's calendar, but is not invited
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("backend, janus_url, mode", [
    ("thread", [], "sfu"),
    ("janus", ["http://10.0.0.5:8088/janus"], "janus"),
    ("workers", ["http://10.0.0.5:8088/janus"], "janus"),  # media workers driving Janus
    ("workers", [], "sfu"),
])
def test_the_page_knows_whether_janus_carries_the_media(client, people, with_site, settings, backend, janus_url, mode):
    settings.PHONGHOP_MEDIA_BACKEND, settings.PHONGHOP_JANUS_URL = backend, janus_url
    settings.PHONGHOP_JANUS_API_SECRET = "never-on-the-page"
    client.force_login(people["tuan"])
    response = client.get(f"/briefing/{with_site.pk}/")
    assert page_config(response)["backend"] == mode
    # The browser talks to the meeting socket only: neither Janus's address nor its secret reach the page.
    assert "never-on-the-page" not in response.content.decode() and "10.0.0.5" not in response.content.decode()
