"""The vote's pages and files: the ballot in the live room, the console card, the hall screen, the meeting
record, the REST endpoints and the exports (CSV, XLSX, PDF with Vietnamese text)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest
from personas import PASSWORD

pytestmark = pytest.mark.django_db


def prepare(meeting, people, **spec):
    from meetings.voting import services

    spec.setdefault("question", "Thông qua Nghị quyết về dự toán ngân sách năm 2027")
    return services.prepare(people["lan"], meeting, spec)


def cast(person, meeting, item, choices):
    from meetings.services import live

    reply = live.execute(person, meeting.pk, f"cast-{person.pk}-{item.pk}", "vote.cast",
                         {"item_id": item.pk, "choices": choices})
    assert reply["ok"], reply
    return reply


def announced(meeting, people, secret=False):
    from meetings.voting import services

    item = prepare(meeting, people, secret=secret)
    services.open_vote(people["minh"], meeting, item.pk)
    cast(people["hoa"], meeting, item, ["for"])
    cast(people["binh"], meeting, item, ["for"])
    cast(people["tuan"], meeting, item, ["against"])
    services.close(people["minh"], meeting, item.pk)
    services.publish(people["minh"], meeting, item.pk)
    item.refresh_from_db()
    return item


def login(client, person):
    assert client.login(username=person.username, password=PASSWORD)


def test_the_room_has_the_ballot_and_the_console_the_voting_card(client, council, people):
    login(client, people["hoa"])
    page = client.get(f"/live/{council.pk}/").content.decode()
    assert 'id="vote-card"' in page and "voting/ballot.js" in page and 'id="vote-strings"' in page
    login(client, people["lan"])
    page = client.get(f"/live/{council.pk}/console/").content.decode()
    assert 'id="vote-form"' in page and "voting/console.js" in page and "csrfmiddlewaretoken" in page
    assert f"/votes/{council.pk}/screen/" in page


def test_the_hall_screen_is_for_those_who_may_join_the_room(client, council, people, units):
    from personas import make_user

    login(client, people["lan"])
    page = client.get(f"/votes/{council.pk}/screen/")
    assert page.status_code == 200 and "voting/screen.js" in page.content.decode()
    make_user("thu", units["finance"], "delegate", "Hồ Thị Thu")
    client.logout()
    assert client.login(username="thu", password=PASSWORD)
    assert client.get(f"/votes/{council.pk}/screen/").status_code == 404


def test_the_scripts_and_styles_are_served(client):
    for name in ("ballot.js", "console.js", "screen.js", "common.js", "voting.css"):
        response = client.get(f"/static/voting/{name}")
        assert response.status_code == 200, name


def test_the_meeting_record_shows_announced_results(client, council, people):
    from meetings.voting import services

    item = announced(council, people)
    hidden = prepare(council, people, question="Chưa công bố")
    services.open_vote(people["minh"], council, hidden.pk)
    services.close(people["minh"], council, hidden.pk)
    login(client, people["hoa"])
    page = client.get(f"/meetings/{council.pk}/").content.decode()
    assert item.sentence in page
    assert "Chưa công bố" not in page  # closed, not announced: delegates do not see it
    login(client, people["lan"])
    assert "Chưa công bố" in client.get(f"/meetings/{council.pk}/").content.decode()


def test_the_rest_api_prepares_and_reads_votes(api, council, people):
    lan, hoa = api(people["lan"]), api(people["hoa"])
    created = lan.post(f"/meetings/{council.pk}/votes", {
        "question": "Bầu Trưởng ban", "preset": "election", "options": ["Nguyễn Văn An", "Trần Thị Bình"],
        "secret": True, "rule": {"threshold": "more_than_half", "denominator": "present"}})
    assert created.status_code == 201, created.content
    vote = created.json()
    assert vote["status"] == "prepared" and vote["rule_vi"] == "quá nửa số đại biểu có mặt"
    assert hoa.get(f"/meetings/{council.pk}/votes").json() == []  # not shown to delegates while prepared
    assert hoa.post(f"/meetings/{council.pk}/votes", {"question": "X"}).json()["error"]["code"] == "forbidden"
    bad = lan.post(f"/meetings/{council.pk}/votes", {"question": "X", "preset": "custom", "options": ["A"]})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "options"
    assert lan.post(f"/meetings/{council.pk}/votes/{vote['id']}/open").status_code == 200
    me = hoa.get(f"/meetings/{council.pk}/votes/{vote['id']}/me").json()
    assert me == {"item_id": vote["id"], "status": "open", "eligible": True, "weight": 1, "voted": False,
                  "proxy_to": None, "can_change": False}
    assert hoa.get(f"/meetings/{council.pk}/votes/{vote['id']}/tally").status_code == 403
    assert lan.get(f"/meetings/{council.pk}/votes/{vote['id']}/tally").json()["voted"] == 0
    assert hoa.get(f"/meetings/{council.pk}/votes/{vote['id']}/result").status_code == 403


def test_the_published_receipts_let_a_voter_check_their_ballot(api, council, people):
    from meetings.voting import services

    item = prepare(council, people, secret=True)
    services.open_vote(people["minh"], council, item.pk)
    codes = cast(people["hoa"], council, item, ["against"])["receipts"]
    cast(people["binh"], council, item, ["for"])
    hoa = api(people["hoa"])
    assert hoa.get(f"/meetings/{council.pk}/votes/{item.pk}/receipts").status_code == 403  # not yet announced
    services.close(people["minh"], council, item.pk)
    services.publish(people["minh"], council, item.pk)
    rows = hoa.get(f"/meetings/{council.pk}/votes/{item.pk}/receipts").json()["receipts"]
    assert len(rows) == 2 and [r["receipt"] for r in rows] == sorted(r["receipt"] for r in rows)
    assert next(r for r in rows if r["receipt"] == codes[0])["labels"] == ["Không tán thành"]
    # A code is never sent to the server (the page searches the list itself: test_receipt_check.py).
    refused = hoa.get(f"/meetings/{council.pk}/votes/{item.pk}/receipts", code=codes[0])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "code_in_url"


def test_exports_of_a_named_vote(api, council, people):
    item = announced(council, people)
    lan = api(people["lan"])
    text = lan.get(f"/meetings/{council.pk}/votes/{item.pk}/export.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["Kết quả", item.sentence] in rows
    assert ["Tán thành", "2", "50,0 %", "không đạt tỷ lệ quy định"] in rows
    assert any(r[:4] == ["1", "Phạm Thị Hoa", "1", "Tán thành"] for r in rows)

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(lan.get(f"/meetings/{council.pk}/votes/{item.pk}/export.xlsx").content))
    assert book.sheetnames == ["Kết quả", "Phiếu biểu quyết"]
    values = [c.value for row in book["Kết quả"].iter_rows() for c in row]
    assert item.sentence in values and "Không tán thành" in values

    pdf = lan.get(f"/meetings/{council.pk}/votes/{item.pk}/export.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
        assert "KẾT QUẢ BIỂU QUYẾT" in out and "Phạm Thị Hoa" in out and "Thông qua" in " ".join(out.split())


def test_exports_of_a_secret_vote_list_receipts_never_names(api, council, people):
    item = announced(council, people, secret=True)
    text = api(people["hoa"]).get(f"/meetings/{council.pk}/votes/{item.pk}/export.csv").content.decode("utf-8-sig")
    assert "Mã biên nhận" in text and "Phạm Thị Hoa" not in text and "Lê Văn Bình" not in text


def test_the_js_reducer_mirrors_the_server_for_votes(council, people, tmp_path):
    """frontend/static/live/state.js applies the same vote.* events to the same state as realtime/reducer.py."""
    from pathlib import Path

    from meetings.models import MeetingEvent
    from meetings.voting import services
    from realtime import audience, reducer
    from realtime.snapshot import build

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    start = {a: build(council.pk, a) for a in ("editors", "members")}
    item = announced(council, people, secret=True)
    edited = prepare(council, people, question="Sẽ sửa")
    services.edit(people["lan"], council, edited.pk, {"question": "Đã sửa", "preset": "confidence"})
    gone = prepare(council, people, question="Sẽ xóa")
    services.delete(people["lan"], council, gone.pk)
    assert item.pk
    root = Path(__file__).resolve().parents[2]
    shutil.copy(root / "frontend/static/live/state.js", tmp_path / "state.mjs")
    (tmp_path / "run.mjs").write_text(
        'import { apply, normalize } from "./state.mjs";\n'
        'globalThis.queueMicrotask ??= (f) => f();\n'
        'const input = JSON.parse(require_stdin());\n'
        'function require_stdin() { return __INPUT__; }\n'
        'let s = normalize(input.state);\n'
        'for (const e of input.events) s = apply(s, e);\n'
        'console.log(JSON.stringify(s.votes));\n')
    for a in ("editors", "members"):
        seq, state = start[a]
        events = [{"event": e.type, "data": audience.event_data(e.data, a, e.type)}
                  for e in MeetingEvent.objects.filter(meeting=council, seq__gt=seq).order_by("seq")]
        expected = state
        for e in events:
            expected = reducer.apply(expected, e["event"], e["data"])
        script = (tmp_path / "run.mjs").read_text().replace("__INPUT__", json.dumps(json.dumps(
            {"state": state, "events": events})))
        (tmp_path / f"run-{a}.mjs").write_text(script)
        out = subprocess.run([node, str(tmp_path / f"run-{a}.mjs")], capture_output=True, text=True, check=True)
        assert json.loads(out.stdout) == expected["votes"] == build(council.pk, a)[1]["votes"], a
