"""The pages under the Content-Security-Policy (config/security_headers.py) in Chromium: every page loads, its
scripts run (the live pages go online over the socket, the viewer shows a page image) and the browser reports
no violation, neither as a `securitypolicyviolation` event nor in the console."""

from __future__ import annotations

import pytest
from live_server import launch_chromium, session_cookie
from personas import in_days

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# Added through DevTools before any page script: not subject to the page's policy, sees every violation.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def meeting_with_everything(people, units, tmp_path):
    from meetings.documents import samples
    from meetings.documents import services as documents
    from meetings.services import agenda, meetings, participants
    from meetings.voting import services as votes

    lan = people["lan"]
    meeting = meetings.create_meeting(
        lan, title="Phiên họp tháng 12", host_unit=units["office"], chair=people["minh"], secretary=lan,
        start=in_days(21), end=in_days(21, 11), location="Phòng họp số 1")
    agenda.add_item(lan, meeting, title="Báo cáo kinh tế - xã hội")
    item = meeting.agenda_items.get()
    participants.add_participant(lan, meeting, people["hoa"])
    meeting = meetings.publish_meeting(lan, meeting)
    pdf = samples.document_pdf(tmp_path / "bao-cao.pdf", "Báo cáo", samples.numbered_pages(2, "Báo cáo"))
    document = documents.upload(lan, meeting, pdf, "bao-cao.pdf", agenda_item_id=item.pk)
    votes.prepare(lan, meeting, {"question": "Thông qua chương trình họp"})
    return meeting, document


def visit(context, url: str, ready: str | None) -> tuple[list[str], dict]:
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(url, wait_until="load")
    if ready:
        page.wait_for_selector(ready, timeout=30_000)
    page.wait_for_load_state("networkidle", timeout=30_000)
    found = page.evaluate("window.__csp") + console
    headers = response.headers
    page.close()
    return found, headers


def test_the_pages_pass_the_content_security_policy(server, people, meeting_with_everything):
    meeting, document = meeting_with_everything
    m = meeting.pk
    pages = [
        ("/", None),
        (f"/meetings/{m}/", None),
        (f"/live/{m}/", "body[data-connection=online]"),
        (f"/live/{m}/console/", "body[data-connection=online]"),
        (f"/documents/{document.pk}/", "img[src*='/pages/']"),
        ("/documents/search/?q=bao", None),
        (f"/votes/{m}/screen/", None),
        (f"/briefing/{m}/", None),
        ("/profile/", None),
        ("/api/v1/docs", "#swagger-ui .information-container"),  # Swagger UI from our static files
    ]
    with launch_chromium() as browser:
        anonymous = browser.new_context(locale="vi-VN")
        anonymous.add_init_script(WATCH)
        found, headers = visit(anonymous, server.url + "/login/", "form")
        assert found == [], found
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert headers["x-frame-options"] == "DENY"
        # The watch does see a violation: a style attribute, which the policy refuses.
        probe = anonymous.new_page()
        probe.goto(server.url + "/login/", wait_until="load")
        probe.evaluate("document.body.setAttribute('style', 'color: red')")
        probe.wait_for_function("window.__csp.length > 0", timeout=30_000)
        assert "style-src" in probe.evaluate("window.__csp")[0]
        probe.close()

        context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        context.add_init_script(WATCH)
        context.add_cookies([session_cookie(people["lan"], server.url)])
        for path, ready in pages:
            found, headers = visit(context, server.url + path, ready)
            assert found == [], (path, found)
            assert "content-security-policy" in headers, path
