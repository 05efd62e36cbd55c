"""The demo's province-wide briefing (about a hundred communes and wards) in Chromium: the chair's page lists
every site with its state, searches it without diacritics and pages the grid through all of them.

A few sites are real (a commune operator's Chromium page sending its fake camera); the rest are simulated:
forty communes with a meeting socket open (presence rows, as a server process writes them) and the others
not connected at all.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import wave
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from live_server import CHROMIUM, CHROMIUM_ARGS, DaphneServer, session_cookie
from test_briefing_browser import MEDIA_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

SIMULATED_ONLINE = 40


@pytest.fixture
def province_briefing():
    from django.utils import timezone

    from accounts.models import Unit, User
    from meetings.models import LiveConnection, Meeting
    from meetings.services import meetings
    from meetings.textsearch import sort_key

    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 (closed with the process)
    briefing = Meeting.objects.get(title__startswith="Giao ban trực tuyến")
    briefing = meetings.change_status(briefing.secretary, briefing, "in_progress")
    sites = sorted(briefing.remote_sites.all(), key=lambda s: sort_key(s.name))  # the list's order
    operator = User.objects.get(username="diemcau.xa-dong-hy")
    real = operator.unit
    simulated = [s for s in sites if s.pk != real.pk][:SIMULATED_ONLINE]
    # A socket open for an hour from a server process that keeps it fresh: what presence reads.
    later = timezone.now() + dt.timedelta(hours=1)
    LiveConnection.objects.bulk_create([
        LiveConnection(channel_name=f"simulated.{s.pk}", meeting=briefing, user=User.objects.get(unit=s, role="site_operator"),
                       site=s, server="simulated", last_seen=later)
        for s in simulated
    ])
    offline = [s for s in sites if s.pk != real.pk and s not in simulated]
    return {"meeting": briefing, "sites": sites, "real": real, "operator": operator, "simulated": simulated,
            "offline": offline, "main": Unit.objects.get(pk=briefing.host_unit_id)}


@contextmanager
def quiet_chromium(folder: Path):
    """Chromium with the fake camera and a silent fake microphone: the fake device's beeps would make the
    commune the active speaker and move its tile between the stage and the grid while the test pages."""
    from playwright.sync_api import sync_playwright

    silence = folder / "silence.wav"
    with wave.open(str(silence), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48_000)
        w.writeframes(b"\0\0" * 48_000 * 2)
    args = [*CHROMIUM_ARGS, *MEDIA_ARGS, f"--use-file-for-fake-audio-capture={silence}"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield browser
        finally:
            browser.close()


def grid_sites(page) -> list[int]:
    return [int(n) for n in page.eval_on_selector_all(
        "#site-grid figure[data-testid^=tile-]", "nodes => nodes.map(n => n.dataset.site)")]


def test_the_chair_sees_every_site_searches_them_and_pages_through_them(province_briefing, tmp_path):
    from playwright.sync_api import expect

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    b = province_briefing
    meeting, real, chair = b["meeting"], b["real"], b["meeting"].chair
    total = len(b["sites"]) + 1  # the communes and wards, and the main hall
    # Sessions are written before the server starts (the child's SQLite reads them as committed).
    chair_cookie = session_cookie(chair, "http://127.0.0.1")
    operator_cookie = session_cookie(b["operator"], "http://127.0.0.1")
    server = DaphneServer().start()
    try:
        with quiet_chromium(tmp_path) as browser:
            def open_page(cookie):
                context = browser.new_context(viewport={"width": 1366, "height": 900})
                context.add_cookies([{**cookie, "url": server.url}])
                page = context.new_page()
                page.goto(f"{server.url}/briefing/{meeting.pk}/")
                return page

            chair_page = open_page(chair_cookie)
            # Before anyone joins the video the chair already sees who is missing.
            roster = chair_page.locator("[data-testid=roster-list] li[data-site]")
            expect(roster).to_have_count(total)
            simulated = b["simulated"][0]
            expect(chair_page.locator(f"[data-testid=roster-{simulated.pk}]")).to_have_attribute("data-state", "online")
            expect(chair_page.locator(f"[data-testid=roster-{b['offline'][0].pk}]")).to_have_attribute("data-state", "offline")

            # A real commune joins the video with its camera; the chair joins too.
            commune_page = open_page(operator_cookie)
            commune_page.click("[data-testid=join]")
            chair_page.click("[data-testid=join]")
            expect(chair_page.locator(f"[data-testid=roster-{real.pk}]")).to_have_attribute("data-state", "video")
            expect(chair_page.locator(f"[data-testid=roster-{meeting.host_unit_id}]")).to_have_attribute("data-state", "video")
            expect(chair_page.locator("[data-testid=roster-summary]")).to_contain_text(str(total))
            assert commune_page.locator("[data-testid=roster]").count() == 0, "a commune gets no list of the others"

            # The "not connected" filter lists exactly the sites nobody opened.
            chair_page.select_option("[data-testid=roster-filter]", "offline")
            offline_ids = {s.pk for s in b["offline"]}
            expect(roster).to_have_count(len(offline_ids))
            listed = {int(x) for x in roster.evaluate_all("nodes => nodes.map(n => n.dataset.site)")}
            assert listed == offline_ids
            chair_page.select_option("[data-testid=roster-filter]", "all")

            # Search without diacritics finds "Xã Đồng Hỷ", in the list and in the grid.
            chair_page.fill("[data-testid=roster-search]", "dong hy")
            expect(roster).to_have_count(1)
            expect(roster.first).to_contain_text("Xã Đồng Hỷ")
            expect(chair_page.locator(f"[data-testid=tile-{real.pk}]")).to_have_attribute("data-state", "video")
            # Its tile carries its picture once the server fills the slot the chair's page asked for.
            expect(chair_page.locator(f"[data-testid=tile-{real.pk}] video")).to_have_count(1)
            chair_page.fill("[data-testid=roster-search]", "")
            expect(roster).to_have_count(total)

            # Paging: every site the grid can show appears on exactly one page.
            label = chair_page.locator("#page-label")
            expect(label).to_have_attribute("data-page", "1")
            pages = int(label.get_attribute("data-pages"))
            assert pages > 10, "a hundred sites do not fit one page"
            seen: list[int] = []
            for number in range(1, pages + 1):
                expect(label).to_have_attribute("data-page", str(number))
                seen += grid_sites(chair_page)
                if number < pages:
                    chair_page.click("#page-next")
            stage = {int(x) for x in chair_page.eval_on_selector_all("#stage figure[data-site]", "ns => ns.map(n => n.dataset.site)")}
            expected = {s.pk for s in b["sites"]} | {b["main"].pk}
            assert len(seen) == len(set(seen)), "no site on two pages"
            assert set(seen) | stage | {meeting.host_unit_id} >= expected - {None}

            # The list reads in dictionary order (Đ after D, not after Y).
            names = roster.evaluate_all("nodes => nodes.map(n => n.querySelector('.roster__name').textContent)")
            assert names == [b["main"].name, *[s.name for s in b["sites"]]]
            # Picking the alphabetically last commune in the list turns the grid to its page and marks it.
            last = b["sites"][-1]
            chair_page.click("#page-prev")
            chair_page.click(f"[data-testid=roster-{last.pk}] button")
            expect(chair_page.locator(f"#site-grid [data-testid=tile-{last.pk}]")).to_have_class(re.compile(r"\bis-found\b"))
            expect(label).to_have_attribute("data-page", str(pages))
    finally:
        server.stop()
