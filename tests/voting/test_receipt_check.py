"""Checking a receipt reveals nothing about who checked (issue 17, item 2).

The leak found: ``GET .../receipts?code=...`` put the code in the URL, so the access log kept it with the
time of the request, and the token's ``last_used_at`` (to the minute) said whose request it was: every
voter who checked was linked to their published choice. Now the page downloads the published list (the
same for everyone) and searches it in the browser; the API refuses a code in a URL; Daphne's access log
keeps no query string; a token's use is noted by the day only.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from personas import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _announced_secret(council, people):
    from meetings.services import live
    from meetings.voting import services

    item = services.prepare(people["lan"], council, {"question": "Miễn nhiệm (bỏ phiếu kín)", "secret": True})
    services.open_vote(people["minh"], council, item.pk)
    codes = {}
    for name, choice in (("hoa", "against"), ("binh", "for"), ("tuan", "for")):
        reply = live.execute(people[name], council.pk, f"cast-{name}", "vote.cast",
                             {"item_id": item.pk, "choices": [choice]})
        assert reply["ok"], reply
        codes[name] = reply["receipts"][0]
    services.close(people["minh"], council, item.pk)
    return item, codes


def _dump() -> dict[str, list[str]]:
    """Every row of every table, as text, by table."""
    from django.apps import apps

    return {model._meta.db_table: sorted(json.dumps(row, default=str, sort_keys=True)
                                         for row in model.objects.all().values())
            for model in apps.get_models()}


def _changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, list[str]]:
    return {table: sorted(set(rows) - set(before.get(table, ()))) for table, rows in after.items()
            if set(rows) - set(before.get(table, ()))}


def _access_log(paths: list[str]) -> str:
    """What Daphne's access log (as config/asgi.py installs it) writes for these requests."""
    from daphne.access import AccessLogGenerator

    from realtime import access_log

    assert access_log.install()
    out = io.StringIO()
    logger = AccessLogGenerator(out)
    for path in paths:
        logger("http", "complete", {"path": path, "status": 200, "method": "GET", "client": "10.0.0.7:51000",
                                    "time_taken": 0.01, "size": 100})
    logger("websocket", "connecting", {"path": "/ws/meetings/1/?token=ph_secret", "client": "10.0.0.7:51001"})
    return out.getvalue()


def test_checking_a_receipt_leaves_no_code_in_a_log_and_no_dated_trace_of_the_person(client, council, people, api,
                                                                                      caplog):
    from django.utils import timezone

    from accounts.models import ApiToken, used_on

    item, codes = _announced_secret(council, people)
    hoa_token = ApiToken.issue(people["hoa"], "phone")[1]
    hoa = api(people["hoa"])
    hoa.headers = {"HTTP_AUTHORIZATION": f"Bearer {hoa_token}"}
    lan = api(people["lan"])
    assert lan.post(f"/meetings/{council.pk}/votes/{item.pk}/publish").status_code == 200
    assert client.login(username=people["hoa"].username, password=PASSWORD)
    url = f"/meetings/{council.pk}/votes/{item.pk}/receipts"

    caplog.set_level(logging.DEBUG)
    before = _dump()
    # Through the API, as a program would: the list, searched on the caller's side.
    rows = hoa.get(url).json()["receipts"]
    assert next(r for r in rows if r["receipt"] == codes["hoa"])["choices"] == ["against"]
    # Through the page, as ballot.js does: the live room, then the same list with the session.
    assert client.get(f"/live/{council.pk}/").status_code == 200
    listed = client.get(f"/api/v1{url}").json()["receipts"]
    assert listed == rows
    # An old client that still sends the code is refused (and the access log drops it: below).
    assert hoa.get(url, code=codes["hoa"]).json()["error"]["code"] == "code_in_url"
    after = _dump()

    # Nothing dated beside hoa: the only row the checks changed is her token's first use today, noted as
    # the start of the day.
    changed = _changed(before, after)
    assert set(changed) <= {ApiToken._meta.db_table}, changed
    token = ApiToken.objects.get(user=people["hoa"], name="phone")
    assert token.last_used_at == used_on(timezone.now())
    # Checking again the same day changes nothing at all.
    hoa.get(url)
    client.get(f"/api/v1{url}")
    assert _dump() == after

    # No code in any log line: the application's, or the access log of these very requests.
    lines = [r.getMessage() for r in caplog.records]
    written = _access_log([f"/api/v1{url}", f"/api/v1{url}?code={codes['hoa']}", f"/live/{council.pk}/"])
    assert f"/api/v1{url}" in written and "ph_secret" not in written
    for code in codes.values():
        assert not any(code in line for line in lines)
        assert code not in written and code.replace("-", "") not in written


def test_the_published_list_and_who_may_read_it(council, people, units, api):
    from personas import make_user

    from meetings.voting import services

    item, codes = _announced_secret(council, people)
    url = f"/meetings/{council.pk}/votes/{item.pk}/receipts"
    outsider = make_user("thu", units["finance"], "delegate", "Hồ Thị Thu")
    hoa, khach, thu = api(people["hoa"]), api(people["khach"]), api(outsider)
    assert hoa.get(url).json()["error"]["code"] == "not_published"  # closed, not yet announced
    assert api(people["lan"]).get(url).json()["error"]["code"] == "not_published"  # organisers too
    services.publish(people["minh"], council, item.pk)
    rows = hoa.get(url).json()["receipts"]
    assert sorted(r["receipt"] for r in rows) == sorted(codes.values()) == [r["receipt"] for r in rows]
    assert all(set(r) == {"receipt", "choices", "labels", "text"} for r in rows)  # no name, no weight, no time
    assert khach.get(url).json()["receipts"] == rows  # every participant, with or without a voting right
    assert thu.get(url).status_code == 404  # someone who may not see the meeting
    named = services.prepare(people["lan"], council, {"question": "Biểu quyết công khai"})
    assert hoa.get(f"/meetings/{council.pk}/votes/{named.pk}/receipts").status_code == 404  # prepared: hidden
    assert api(people["lan"]).get(f"/meetings/{council.pk}/votes/{named.pk}/receipts").json()["error"]["code"] == (
        "not_secret")


def test_the_page_finds_a_code_as_typed_exactly_as_the_server_reads_it(tmp_path):
    """receipts.js (what the page runs) against secrecy.normalize_receipt, in Node."""
    from meetings.voting import secrecy

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    codes = [secrecy.new_receipt() for _ in range(20)]
    typed = [*codes, *(c.lower() for c in codes), *(c.replace("-", " ").replace("0", "o").replace("1", "l")
                                                     for c in codes),
             "7QK2-M9XD-4PTA-H3NB", "7qk2m9xd4ptah3nb", "I1L1-0000-OOOO-ABCD", "too-short", "", "UUUU-UUUU-UUUU-UUUU",
             "7QK2-M9XD-4PTA-H3NB-X"]
    rows = [{"receipt": c, "choices": ["for"], "labels": ["Tán thành"], "text": ""} for c in codes]
    shutil.copy(ROOT / "meetings/voting/static/voting/receipts.js", tmp_path / "receipts.mjs")
    (tmp_path / "run.mjs").write_text(
        'import { normalizeReceipt, findReceipt } from "./receipts.mjs";\n'
        f"const typed = {json.dumps(typed)};\nconst rows = {json.dumps(rows)};\n"
        "console.log(JSON.stringify(typed.map((t) => [normalizeReceipt(t), findReceipt(rows, t)])));\n")
    out = json.loads(subprocess.run([node, str(tmp_path / "run.mjs")], capture_output=True, text=True,
                                    check=True).stdout)
    for text, (normal, found) in zip(typed, out, strict=True):
        assert normal == secrecy.normalize_receipt(text), text
        if normal is None:
            assert found is None
        else:
            assert found["code"] == normal
            assert (found["row"] is not None) == (normal in codes), text
    assert all(found["row"]["receipt"] == code for code, (_n, found) in zip(codes, out, strict=False))
