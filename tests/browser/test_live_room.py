"""The live room in real browsers: a chair and two delegates, each in their own browser context,
talking to a real Daphne over the meeting socket (docs/protocol.md).

minh chairs the meeting, lan is its secretary, hoa and binh are delegates.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from live_server import DESKTOP, launch_chromium, open_as
from personas import in_days

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1280}
RECONNECT_MS = 20_000


@pytest.fixture
def live_meeting(people, units):
    """A published meeting with two agenda items, hoa and binh invited."""
    from meetings.services import agenda, meetings, participants

    lan = people["lan"]
    meeting = meetings.create_meeting(
        lan, title="Phiên họp UBND tỉnh tháng 12", host_unit=units["office"], chair=people["minh"],
        secretary=lan, start=in_days(21), end=in_days(21, 11), location="Phòng họp số 1",
    )
    agenda.add_item(lan, meeting, title="Báo cáo tình hình kinh tế - xã hội", planned_minutes=30)
    agenda.add_item(lan, meeting, title="Kế hoạch đầu tư công năm 2027", planned_minutes=20)
    participants.add_participant(lan, meeting, people["hoa"])
    participants.add_participant(lan, meeting, people["binh"])
    return meetings.publish_meeting(lan, meeting)


# Access, as the socket checks it -----------------------------------------------------------------

def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_participants_open_the_room_and_only_editors_the_console(client, people, live_meeting):
    room = reverse("live-room", args=[live_meeting.pk])
    console = reverse("live-console", args=[live_meeting.pk])

    assert _login(client, people["hoa"]).get(room).status_code == 200
    assert client.get(console).status_code == 403

    for editor in ("minh", "lan", "hanh", "root"):
        _login(client, people[editor])
        assert client.get(room).status_code == 200, editor
        assert client.get(console).status_code == 200, editor


@pytest.mark.django_db
def test_others_are_refused(client, people, live_meeting):
    room = reverse("live-room", args=[live_meeting.pk])

    response = client.get(room)
    assert response.status_code == 302 and "next=" in response["Location"]

    # tuan's unit does not host the meeting and he is not invited.
    assert _login(client, people["tuan"]).get(room).status_code == 404
    assert client.get(reverse("live-room", args=[live_meeting.pk + 1000])).status_code == 404


@pytest.mark.django_db
def test_the_room_hands_its_strings_and_settings_to_the_script(client, people, live_meeting):
    response = _login(client, people["hoa"]).get(reverse("live-room", args=[live_meeting.pk]))
    config = response.context["config"]
    assert config["meeting_id"] == live_meeting.pk
    assert config["participant_id"] == live_meeting.participants.get(user=people["hoa"]).pk
    assert config["is_editor"] is False
    assert b'id="live-strings"' in response.content and b'id="live-config"' in response.content


@pytest.mark.django_db
def test_the_console_links_the_attendance_exports(client, people, live_meeting):
    from django.urls import NoReverseMatch

    try:
        exports = [reverse(name, args=[live_meeting.pk]) for name in ("attendance-csv", "attendance-xlsx")]
    except NoReverseMatch:
        pytest.skip("the attendance exports are not routed (config/urls.py) yet")
    page = _login(client, people["lan"]).get(reverse("live-console", args=[live_meeting.pk])).content.decode()
    assert all(f'href="{url}"' in page for url in exports)


# The story in three browsers --------------------------------------------------------------------

@pytest.fixture
def browser(live_meeting):
    with launch_chromium() as browser:
        yield browser


def screenshots(page, name):
    """With PHONGHOP_SCREENSHOTS=<dir>, save the page at desktop and phone sizes (to look at the layout)."""
    folder = os.environ.get("PHONGHOP_SCREENSHOTS")
    if not folder:
        return
    size = page.viewport_size
    for label, viewport in (("1280x800", DESKTOP), ("390x844", PHONE), ("800x1280", TABLET)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(size)


def too_wide(page, viewport=PHONE) -> list[str]:
    """The elements that stick out sideways at ``viewport`` (the page must not scroll sideways)."""
    size = page.viewport_size
    page.set_viewport_size(viewport)
    try:
        return page.evaluate("""() => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`)""")
    finally:
        page.set_viewport_size(size)


def connected(page):
    """The page's socket is up (after a restart the back-off may wait up to ~10 s before trying)."""
    from playwright.sync_api import expect

    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=RECONNECT_MS)
    expect(page.get_by_test_id("connection-banner")).to_be_hidden()


@pytest.mark.browser
@pytest.mark.timeout(240)
@pytest.mark.django_db(transaction=True)
def test_chair_and_two_delegates_run_the_meeting(server, browser, people, live_meeting):
    from playwright.sync_api import expect

    meeting = live_meeting
    items = list(meeting.agenda_items.order_by("order"))
    room = reverse("live-room", args=[meeting.pk])
    chair = open_as(browser, server, people["minh"], reverse("live-console", args=[meeting.pk]))
    hoa = open_as(browser, server, people["hoa"], room, viewport=TABLET)
    binh = open_as(browser, server, people["binh"], room, viewport=PHONE)
    for page in (chair, hoa, binh):
        connected(page)
        expect(page.locator("#meeting-status")).to_have_text("Chưa bắt đầu")

    # The chair opens the meeting; everyone sees it start.
    chair.get_by_role("button", name="Bắt đầu cuộc họp").click()
    for page in (chair, hoa, binh):
        expect(page.locator("#meeting-status")).to_have_text("Đang họp")

    # Roll call: hoa checks in, the chair's count and table follow.
    expect(chair.get_by_test_id("count-in_person")).to_have_text("0")
    hoa.get_by_role("button", name="Có mặt trực tiếp").click()
    expect(hoa.get_by_test_id("my-attendance")).to_have_text("Có mặt trực tiếp")
    expect(chair.get_by_test_id("count-in_person")).to_have_text("1")
    hoa_row = chair.get_by_test_id("rollcall").locator("tr", has_text="Phạm Thị Hoa")
    expect(hoa_row.locator(".attendance")).to_have_text("Có mặt trực tiếp")
    expect(hoa_row.locator(".presence")).to_have_text("đang mở phòng họp")  # her page is connected

    # The chair moves to the first item.
    chair.get_by_test_id("agenda").locator("li", has_text=items[0].title).get_by_role("button").click()
    for page in (chair, hoa, binh):
        expect(page.get_by_test_id("current-item")).to_have_text(items[0].title)
        expect(page.get_by_test_id("item-timer")).to_be_visible()
        expect(page.get_by_test_id("agenda").locator("[aria-current]")).to_contain_text(items[0].title)

    # Requests to speak: binh asks, the chair sees the queue and calls the next speaker.
    chair.get_by_role("button", name="Mở phiên phát biểu").click()
    request = binh.get_by_role("button", name="Đăng ký phát biểu", exact=True)
    expect(request).to_be_enabled()
    request.click()
    expect(chair.get_by_test_id("queue-speak")).to_contain_text("Lê Văn Bình")
    expect(hoa.get_by_test_id("queue")).to_contain_text("Lê Văn Bình")
    expect(binh.get_by_test_id("my-request")).to_contain_text("1")
    chair.get_by_role("button", name="Mời người tiếp theo").click()
    for page in (chair, hoa, binh):
        expect(page.get_by_test_id("speaker")).to_have_text("Lê Văn Bình")
    expect(chair.get_by_test_id("queue-speak")).not_to_contain_text("Lê Văn Bình")
    hoa.get_by_role("button", name="Chất vấn").click()
    expect(chair.get_by_test_id("queue-question")).to_contain_text("Phạm Thị Hoa")
    screenshots(chair, "live-console")
    screenshots(hoa, "live-room")
    assert too_wide(chair) == [] and too_wide(hoa) == []
    hoa.get_by_role("button", name="Rút đăng ký").click()
    expect(chair.get_by_test_id("queue-question")).to_have_text("Chưa có người đăng ký.")
    expect(hoa.get_by_test_id("my-request")).to_have_text("Bạn chưa đăng ký phát biểu.")

    # The chair moves on to item 2: every page shows it.
    chair.get_by_test_id("agenda").locator("li", has_text=items[1].title).get_by_role("button").click()
    for page in (chair, hoa, binh):
        expect(page.get_by_test_id("current-item")).to_have_text(items[1].title)
    speaker_now = chair.get_by_test_id("speaker").inner_text()
    quorum_now = chair.get_by_test_id("quorum").inner_text()

    # A page opened late shows the true state, from the snapshot.
    hoa.reload()
    connected(hoa)
    expect(hoa.get_by_test_id("current-item")).to_have_text(items[1].title)
    expect(hoa.get_by_test_id("my-attendance")).to_have_text("Có mặt trực tiếp")
    expect(hoa.get_by_test_id("speaker")).to_have_text(speaker_now)
    expect(hoa.get_by_test_id("quorum")).to_have_text(quorum_now)
    expect(hoa.locator("#meeting-status")).to_have_text("Đang họp")

    # The server restarts: the pages say they are reconnecting, then carry on by themselves.
    server.stop()
    for page in (chair, hoa, binh):
        expect(page.get_by_test_id("connection-banner")).to_have_text("Đang kết nối lại…")
        expect(page.get_by_test_id("connection-banner")).to_be_visible()
    # A command given while disconnected waits, and goes out once the socket is back.
    checkin_online = binh.get_by_role("button", name="Có mặt trực tuyến")
    checkin_online.click()
    expect(checkin_online).to_have_attribute("aria-busy", "true")
    server.start()
    for page in (chair, hoa, binh):
        connected(page)
    expect(binh.get_by_test_id("my-attendance")).to_have_text("Có mặt trực tuyến")
    expect(chair.get_by_test_id("count-online")).to_have_text("1")
    expect(checkin_online).not_to_have_attribute("aria-busy", "true")

    # ... and the socket carries on both ways.
    chair.get_by_test_id("agenda").locator("li", has_text=items[0].title).get_by_role("button").click()
    for page in (chair, hoa, binh):
        expect(page.get_by_test_id("current-item")).to_have_text(items[0].title)


# The JavaScript reducer agrees with the server ----------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_reducer_turns_an_old_snapshot_into_the_new_one(server, people, live_meeting):
    """Zulip's test, for the browser's copy of the reducer (frontend/static/live/state.js): apply the
    events of a whole meeting to the snapshot taken before it; the result equals a fresh snapshot."""
    import json

    from meetings.services import agenda, live, participants
    from realtime import snapshot

    meeting = live_meeting
    minh, lan, hoa, binh = (people[name] for name in ("minh", "lan", "hoa", "binh"))
    ids = {p.user_id: p.pk for p in meeting.participants.all()}
    items = list(meeting.agenda_items.order_by("order"))
    before = {audience: snapshot.build(meeting.pk, audience) for audience in ("editors", "members")}

    steps = [
        (lan, "meeting.start", {}),
        (hoa, "checkin", {"mode": "in_person"}),
        (lan, "mark_absent", {"participant_id": ids[binh.pk], "reason": "Đi công tác"}),
        (binh, "checkin", {"mode": "online"}),
        (minh, "agenda.goto", {"item_id": items[0].pk}),
        (minh, "floor.open", {}),
        (hoa, "queue.request", {"kind": "speak"}),
        (binh, "queue.request", {"kind": "question"}),
        (minh, "floor.next", {}),
        (minh, "floor.limit", {"seconds": 120}),
        (minh, "floor.give", {"participant_id": ids[binh.pk], "kind": "question"}),
        (minh, "agenda.goto", {"item_id": items[1].pk}),
        (lan, "quorum.rule", {"rule": "two_thirds"}),
        (minh, "floor.pause", {}),
        (hoa, "checkout", {}),
    ]
    for n, (user, name, args) in enumerate(steps):
        reply = live.execute(user, meeting.pk, f"t-{n}", name, args)
        assert reply["ok"], (name, reply)
    agenda.add_item(lan, meeting, title="Các vấn đề phát sinh", planned_minutes=10)
    guest = participants.add_participant(lan, meeting, people["khach"], role="guest")
    participants.remove_participant(lan, meeting, guest.pk)
    reply = live.execute(minh, meeting.pk, "t-end", "floor.close", {})
    assert reply["ok"], reply

    cases = []
    for audience, (seq, old_state) in before.items():
        events = [json.loads(text) for _, text, *_ in snapshot.events_after(meeting.pk, seq, audience)]
        assert len(events) > len(steps)
        cases.append((audience, old_state, events, snapshot.build(meeting.pk, audience)[1]))

    with launch_chromium() as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/static/live/state.js")
        for audience, old_state, events, new_state in cases:
            result = page.evaluate(
                """async ({before, events, after}) => {
                    const S = await import("/static/live/state.js");
                    let state = S.normalize(before);
                    for (const frame of events) state = S.apply(state, frame);
                    return {got: state, want: S.normalize(after)};
                }""",
                {"before": old_state, "events": events, "after": new_state},
            )
            assert result["want"] == json.loads(json.dumps(new_state)), "normalize() must keep a full snapshot"
            assert result["got"] == result["want"], audience


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_socket_gives_up_when_it_may_not_come_in(server, people, units, live_meeting):
    """4401, 4403, 4404: the page says why and does not try again."""
    from django.contrib.sessions.models import Session
    from playwright.sync_api import expect

    from meetings.services import meetings, participants

    # A meeting of hoa's unit that she may see but was not invited to.
    other = meetings.create_meeting(
        people["lan"], title="Họp giao ban Văn phòng", host_unit=units["office"], chair=people["minh"],
        secretary=people["lan"], start=in_days(21), end=in_days(21, 11),
    )
    participants.add_participant(people["lan"], other, people["binh"])
    meetings.publish_meeting(people["lan"], other)

    with launch_chromium() as browser:
        hoa = open_as(browser, server, people["hoa"], reverse("live-room", args=[live_meeting.pk]))
        connected(hoa)
        refused = hoa.evaluate(
            """async (ids) => {
                const { MeetingSocket } = await import("/static/live/socket.js");
                const tryMeeting = (id) => new Promise((resolve) => {
                    const socket = new MeetingSocket(`ws://${location.host}/ws/meetings/${id}/`, {
                        onFatal: (code) => resolve({ code, status: socket.status, stopped: socket.stopped }),
                    });
                    socket.connect();
                });
                return [await tryMeeting(ids[0]), await tryMeeting(ids[1])];
            }""",
            [other.pk, other.pk + 1000],
        )
        assert refused == [
            {"code": 4403, "status": "closed", "stopped": True},
            {"code": 4404, "status": "closed", "stopped": True},
        ]

        # Signed out elsewhere while the server restarts: the page asks to sign in again.
        server.stop()
        expect(hoa.get_by_test_id("connection-banner")).to_be_visible()
        Session.objects.all().delete()
        server.start()
        fatal = hoa.get_by_test_id("fatal-banner")
        expect(fatal).to_contain_text("Phiên đăng nhập đã hết hạn", timeout=RECONNECT_MS)
        expect(fatal.get_by_role("link", name="Đăng nhập")).to_have_attribute("href", re.compile(r"^/login/\?next="))
        expect(hoa.get_by_test_id("connection-banner")).to_be_hidden()
        expect(hoa.locator("body")).to_have_attribute("data-connection", "closed")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_secretary_runs_the_roll_call_but_not_the_floor(server, browser, people, live_meeting):
    from playwright.sync_api import expect

    lan = open_as(browser, server, people["lan"], reverse("live-console", args=[live_meeting.pk]), viewport=TABLET)
    connected(lan)
    expect(lan.get_by_role("button", name="Bắt đầu cuộc họp")).to_be_enabled()
    expect(lan.get_by_role("button", name="Mở phiên phát biểu")).to_be_disabled()
    lan.get_by_role("button", name="Bắt đầu cuộc họp").click()
    expect(lan.locator("#meeting-status")).to_have_text("Đang họp")
    binh_row = lan.get_by_test_id("rollcall").locator("tr", has_text="Lê Văn Bình")
    binh_row.get_by_role("button", name="Vắng mặt").click()
    expect(binh_row.locator(".attendance")).to_have_text("Vắng mặt")
    expect(lan.get_by_test_id("count-absent")).to_have_text("1")
    expect(binh_row.get_by_role("button", name="Cho phát biểu")).to_be_disabled()
