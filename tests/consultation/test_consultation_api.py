"""Written consultation through the API: asking, answering and changing until the deadline, the result sheet
in words, who sees what, and reminders sent once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def ask(api, people, **extra):
    payload = {
        "title": "Dự thảo Quy chế làm việc của UBND tỉnh", "body": "Xin ý kiến các thành viên.",
        "deadline": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        "questions": [{"text": "Đồng ý thông qua Dự thảo Quy chế?"}, {"text": "Góp ý khác", "kind": "free"}],
        "recipient_ids": [people[n].pk for n in ("minh", "hoa", "binh", "tuan", "khach")], **extra}
    response = api(people["lan"]).post("/consultations", payload)
    assert response.status_code == 201, response.json()
    return response.json()


def answers(c, choice, text="", free="Không có góp ý"):
    q1, q2 = c["questions"]
    return {"answers": [{"question_id": q1["id"], "choice": choice, "text": text},
                        {"question_id": q2["id"], "text": free}]}


def move_deadline_to_the_past(c):
    from meetings.consultation.models import Consultation

    Consultation.objects.filter(pk=c["id"]).update(deadline=timezone.now() - dt.timedelta(minutes=1))


def test_members_answer_change_until_the_deadline_and_the_office_gets_the_result_in_words(api, people):
    from meetings.models import Notification

    c = ask(api, people)
    assert Notification.objects.filter(kind="consultation", user=people["hoa"]).count() == 1
    for name, choice in (("minh", "agree"), ("hoa", "disagree"), ("binh", "agree")):
        r = api(people[name]).put(f"/consultations/{c['id']}/answer", answers(c, choice))
        assert r.status_code == 200 and r.json()["mine"]["answered_at"]
    changed = api(people["hoa"]).put(f"/consultations/{c['id']}/answer", answers(c, "agree"))
    assert {a["choice"] for a in changed.json()["mine"]["answers"]} == {"agree", ""}

    move_deadline_to_the_past(c)
    late = api(people["tuan"]).put(f"/consultations/{c['id']}/answer", answers(c, "agree"))
    assert late.status_code == 400 and late.json()["error"]["code"] == "closed"
    assert "hạn" in late.json()["error"]["message"]

    sheet = api(people["lan"]).get(f"/consultations/{c['id']}/results").json()
    q1 = sheet["questions"][0]
    assert q1["counts"] == {"agree": 3, "disagree": 0, "other": 0} and q1["not_answered"] == 2
    assert q1["sentence"] == ("3/5 người được lấy ý kiến đồng ý (60,0 %), quá nửa tổng số người được lấy ý kiến")
    assert sorted(sheet["not_answered"]) == ["Khách Mời", "Đỗ Minh Tuấn"]
    hoa = next(p for p in sheet["people"] if p["name"] == "Phạm Thị Hoa")
    assert hoa["changed"] == 1 and hoa["answers"][0]["choice"] == "agree"


def test_answers_are_checked_with_a_clear_message(api, people):
    c = ask(api, people)
    q1, _q2 = c["questions"]
    hoa = api(people["hoa"])
    other_without_text = hoa.put(f"/consultations/{c['id']}/answer", answers(c, "other"))
    assert other_without_text.status_code == 400
    assert other_without_text.json()["error"]["message"] == "Hãy viết ý kiến khác của bạn cho câu hỏi 1."
    missing = hoa.put(f"/consultations/{c['id']}/answer",
                      {"answers": [{"question_id": q1["id"], "choice": "agree"}]})
    assert missing.status_code == 400 and "2" in missing.json()["error"]["message"]
    nonsense = hoa.put(f"/consultations/{c['id']}/answer", answers(c, "maybe"))
    assert nonsense.status_code == 400


def test_only_the_asking_office_sees_the_answers_of_others(api, people):
    c = ask(api, people)
    api(people["hoa"]).put(f"/consultations/{c['id']}/answer", answers(c, "disagree", free="Bí mật"))
    for name in ("hoa", "binh", "khach"):
        client = api(people[name])
        assert client.get(f"/consultations/{c['id']}/results").status_code == 403
        assert client.get(f"/consultations/{c['id']}/results/export?format=xlsx").status_code == 403
    binh_view = api(people["binh"]).get(f"/consultations/{c['id']}").json()
    assert binh_view["mine"]["answers"] == [], "a member sees only their own answers"
    assert "Bí mật" not in str(binh_view)
    # Someone not asked and not of the office does not see it at all.
    assert api(people["operator"]).get(f"/consultations/{c['id']}").status_code == 404
    # The unit's administrator is of the office; the chair of another unit is asked but is not.
    assert api(people["hanh"]).get(f"/consultations/{c['id']}/results").status_code == 200
    assert api(people["minh"]).get(f"/consultations/{c['id']}/results").status_code == 403


@pytest.mark.parametrize("name", ["hoa", "khach", "operator"])
def test_delegates_guests_and_sites_cannot_ask(api, people, name):
    response = api(people[name]).post("/consultations", {
        "title": "X", "deadline": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        "questions": [{"text": "?"}], "recipient_ids": [people["binh"].pk]})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


def test_a_recipient_cannot_withdraw_and_a_withdrawn_consultation_takes_no_answers(api, people):
    c = ask(api, people)
    assert api(people["hoa"]).post(f"/consultations/{c['id']}/withdraw", {"reason": "x"}).status_code == 403
    assert api(people["lan"]).post(f"/consultations/{c['id']}/withdraw",
                                   {"reason": "Dự thảo được sửa lại"}).status_code == 200
    refused = api(people["hoa"]).put(f"/consultations/{c['id']}/answer", answers(c, "agree"))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "withdrawn"


def test_the_result_sheet_downloads_as_xlsx_and_pdf_with_the_same_figures(api, people):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    c = ask(api, people)
    for name, choice, text in (("minh", "agree", ""), ("hoa", "other", "Cần bổ sung điều 5"),
                               ("binh", "disagree", "")):
        api(people[name]).put(f"/consultations/{c['id']}/answer", answers(c, choice, text))
    office = api(people["lan"])
    book = load_workbook(io.BytesIO(office.get(f"/consultations/{c['id']}/results/export?format=xlsx").content))
    summary = list(book["Tổng hợp"].iter_rows(values_only=True))
    assert summary[2] == ("Số người được lấy ý kiến", 5) + (None,) * 4
    row = next(r for r in summary if r[0] == "Đồng ý thông qua Dự thảo Quy chế?")
    assert row[1:5] == (1, 1, 1, 2)
    people_rows = list(book["Ý kiến từng người"].iter_rows(min_row=2, values_only=True))
    assert sum(r[2] == "Không trả lời" for r in people_rows) == 2
    assert ("Phạm Thị Hoa" in [r[0] for r in people_rows]) and any(
        r[3] == "Ý kiến khác: Cần bổ sung điều 5" for r in people_rows)
    pdf = office.get(f"/consultations/{c['id']}/results/export?format=pdf").content
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "TỔNG HỢP Ý KIẾN BẰNG VĂN BẢN" in text and "1/5 người được lấy ý kiến đồng ý (20,0 %)" in text


def test_reminders_go_once_to_those_who_have_not_answered(api, people):
    from meetings.consultation.services import remind_due
    from meetings.models import Notification

    c = ask(api, people)
    api(people["hoa"]).put(f"/consultations/{c['id']}/answer", answers(c, "agree"))
    assert remind_due() == 0, "three days ahead: not yet"
    soon = timezone.now() + dt.timedelta(days=2, hours=12)  # the clock moved, not waited for
    assert remind_due(now=soon) == 4
    assert remind_due(now=soon + dt.timedelta(hours=1)) == 0, "once"
    reminded = set(Notification.objects.filter(kind="consultation_reminder").values_list("user__username", flat=True))
    assert reminded == {"minh", "binh", "tuan", "khach"}


def test_the_result_goes_into_a_meeting_as_a_document(api, people, published, settings, tmp_path):
    from meetings.consultation import results
    from meetings.consultation.models import Consultation
    from meetings.documents.models import Document
    from meetings.errors import Forbidden

    settings.MEDIA_ROOT = tmp_path / "files"
    c = ask(api, people)
    api(people["minh"]).put(f"/consultations/{c['id']}/answer", answers(c, "agree"))
    move_deadline_to_the_past(c)
    consultation = Consultation.objects.get(pk=c["id"])
    with pytest.raises(Forbidden):
        results.take_into_meeting(people["hoa"], consultation, published)
    item = published.agenda_items.get()
    doc = results.take_into_meeting(people["lan"], consultation, published, agenda_item_id=item.pk)
    assert Document.objects.get(pk=doc.pk).title.startswith("Tổng hợp ý kiến") and doc.agenda_item_id == item.pk
