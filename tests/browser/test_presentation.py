"""The synchronized presentation in real browsers, over a real Daphne (docs/protocol.md, "present.*").

minh chairs and presents; hoa follows in her own browser, leaves to browse, rejoins; binh watches the
live room's documents card. The data is set up before the browsers open (see test_live_room.py: sync
Playwright runs an event loop in this thread).
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from live_server import launch_chromium, open_as
from personas import in_days

TABLET = {"width": 800, "height": 1280}
WAIT_MS = 20_000


@pytest.fixture
def no_eager_pages(settings):
    settings.PHONGHOP_PDF_EAGER_PAGES = 0  # the pages are rendered by the server process, on demand
    yield
    from meetings.pdf import render

    render.shutdown()


@pytest.fixture
def presented(people, units, no_eager_pages, tmp_path):
    """A meeting in progress with a 10-page report on its first agenda item; hoa and binh invited."""
    from meetings.documents import samples, services
    from meetings.services import agenda, meetings, participants

    lan = people["lan"]
    meeting = meetings.create_meeting(
        lan, title="Phiên họp UBND tỉnh tháng 12", host_unit=units["office"], chair=people["minh"],
        secretary=lan, start=in_days(21), end=in_days(21, 11), location="Phòng họp số 1",
    )
    item = agenda.add_item(lan, meeting, title="Báo cáo tình hình kinh tế - xã hội", planned_minutes=30)
    participants.add_participant(lan, meeting, people["hoa"])
    participants.add_participant(lan, meeting, people["binh"])
    meeting = meetings.publish_meeting(lan, meeting)
    meeting = meetings.change_status(lan, meeting, "in_progress")
    path = samples.document_pdf(tmp_path / "bao-cao.pdf", "Báo cáo tình hình kinh tế - xã hội năm 2026",
                                samples.numbered_pages(10, "Báo cáo kinh tế - xã hội"))
    document = services.upload(lan, meeting, path, "bao-cao.pdf", agenda_item_id=item.pk)
    return meeting, document


def screenshot(page, name):
    """With PHONGHOP_SCREENSHOTS=<dir>, save the page (to look at the layout)."""
    import os
    from pathlib import Path

    folder = os.environ.get("PHONGHOP_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def on_page(page, number: int):
    from playwright.sync_api import expect

    expect(page.get_by_test_id("page-frame")).to_have_attribute("data-page", str(number), timeout=WAIT_MS)


@pytest.mark.browser
@pytest.mark.timeout(240)
@pytest.mark.django_db(transaction=True)
def test_the_presenter_turns_pages_and_a_follower_leaves_and_rejoins(server, people, presented):
    from playwright.sync_api import expect

    meeting, document = presented
    viewer = reverse("document-viewer", args=[document.pk])
    with launch_chromium() as browser:
        minh = open_as(browser, server, people["minh"], viewer)
        expect(minh.locator("body")).to_have_attribute("data-connection", "online", timeout=WAIT_MS)
        on_page(minh, 1)
        minh.locator("#present-start").click()
        expect(minh.get_by_test_id("present-bar")).to_have_attribute("data-state", "driving", timeout=WAIT_MS)

        # The presenter goes to page 5.
        minh.get_by_test_id("page-input").fill("5")
        minh.get_by_test_id("page-input").press("Enter")
        on_page(minh, 5)
        expect(minh.get_by_test_id("present-status")).to_contain_text("5")

        # A second browser follows: it opens on the presented page, and sees it sharp.
        hoa = open_as(browser, server, people["hoa"], viewer, viewport=TABLET)
        on_page(hoa, 5)
        expect(hoa.get_by_test_id("present-bar")).to_have_attribute("data-state", "following")
        expect(hoa.get_by_test_id("page-frame")).to_have_attribute("data-sharp", "yes", timeout=WAIT_MS)
        minh.locator("#next").click()
        on_page(minh, 6)
        on_page(hoa, 6)

        # The live room's documents card shows what is presented.
        binh = open_as(browser, server, people["binh"], reverse("live-room", args=[meeting.pk]))
        expect(binh.get_by_test_id("room-presenting")).to_be_visible(timeout=WAIT_MS)
        expect(binh.get_by_test_id("room-presenting")).to_contain_text(document.title)

        screenshot(minh, "presentation-presenter")
        screenshot(hoa, "presentation-follower")
        screenshot(binh, "presentation-room")
        details = open_as(browser, server, people["lan"], reverse("meeting-detail", args=[meeting.pk]))
        expect(details.get_by_test_id("documents-panel")).to_contain_text(document.title)
        details.get_by_test_id("documents-panel").scroll_into_view_if_needed()
        screenshot(details, "documents-panel")

        # hoa leaves to browse freely and goes to page 2; the presenter carries on without her.
        hoa.locator("#present-leave").click()
        expect(hoa.get_by_test_id("present-bar")).to_have_attribute("data-state", "free")
        hoa.get_by_test_id("page-input").fill("2")
        hoa.get_by_test_id("page-input").press("Enter")
        on_page(hoa, 2)
        minh.locator("#next").click()
        on_page(minh, 7)
        expect(hoa.get_by_test_id("present-status")).to_contain_text("7")
        on_page(hoa, 2)
        expect(binh.get_by_test_id("room-presenting")).to_contain_text("7")

        # One tap to rejoin: she is on the presenter's page again, and follows from there.
        hoa.locator("#present-follow").click()
        on_page(hoa, 7)
        expect(hoa.get_by_test_id("present-bar")).to_have_attribute("data-state", "following")
        minh.locator("#prev").click()
        on_page(hoa, 6)

        # The presenter stops: the followers stay where they are, free to browse.
        minh.locator("#present-stop").click()
        expect(hoa.get_by_test_id("present-bar")).to_have_attribute("data-state", "idle", timeout=WAIT_MS)
        expect(binh.get_by_test_id("room-presenting")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_reducer_follows_the_presentation_events(server, people, presented):
    """The browser's mirror of the presentation reducer (frontend/static/documents/presentation.js,
    registered in live/state.js) turns an old snapshot into the new one."""
    from meetings.services import live
    from realtime import snapshot

    meeting, document = presented
    hoa_pid = meeting.participants.get(user=people["hoa"]).pk
    before = {audience: snapshot.build(meeting.pk, audience) for audience in ("editors", "members")}
    steps = [
        (people["lan"], "present.start", {"document_id": document.pk, "page": 2}),
        (people["minh"], "present.page", {"page": 5}),
        (people["minh"], "present.designate", {"participant_id": hoa_pid}),
        (people["hoa"], "present.page", {"page": 9}),
        (people["hoa"], "present.stop", {}),
    ]
    for n, (user, name, args) in enumerate(steps):
        reply = live.execute(user, meeting.pk, f"p-{n}", name, args)
        assert reply["ok"], (name, reply)
    cases = []
    for audience, (seq, old_state) in before.items():
        events = [json.loads(text) for _, text, *_ in snapshot.events_after(meeting.pk, seq, audience)]
        assert [e["event"] for e in events] == ["present.changed"] * len(steps)
        cases.append((old_state, events, snapshot.build(meeting.pk, audience)[1]))

    with launch_chromium() as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/static/live/state.js")
        for old_state, events, new_state in cases:
            result = page.evaluate(
                """async ({before, events, after}) => {
                    const S = await import("/static/live/state.js");
                    await import("/static/documents/presentation.js");
                    let state = S.normalize(before);
                    const seen = [];
                    for (const frame of events) {
                        state = S.apply(state, frame);
                        seen.push(state.presentation.page);
                    }
                    return {got: state, want: S.normalize(after), seen};
                }""",
                {"before": old_state, "events": events, "after": new_state},
            )
            assert result["seen"] == [2, 5, 5, 9, None]
            assert result["got"] == result["want"]
