"""Minutes benchmark: draft the minutes of a meeting with 200 participants, 20 agenda items and 10 votes,
and render them as PDF and DOCX; time and peak memory of each step, against a baseline in the same run
(the same paragraphs through reportlab and python-docx with no layout: what the NĐ 30/2020 layout adds).

    .venv/bin/python bench/minutes.py [--participants 200] [--items 20] [--votes 10] [--repeat 3]

Builds the meeting through the services on a scratch SQLite database in a temporary folder (roll call,
speakers, ballots), then measures. Prints a Markdown report; nothing is written outside the folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def measure(fn, repeat: int) -> tuple[float, float, object]:
    """(median seconds over ``repeat`` untraced runs, peak MiB of Python allocations in one traced run, the
    result). Tracing slows Python down several times, so time and memory are measured apart."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, result


def build(n_people: int, n_items: int, n_votes: int):
    import itertools

    from django.utils import timezone

    from accounts.models import Unit, User
    from meetings.services import agenda, live, meetings, participants
    from meetings.voting import services as votes

    ids = itertools.count()
    province = Unit.objects.create(code="tinh", name="UBND tỉnh Minh Sơn", kind="province")
    office = Unit.objects.create(code="vp", name="Văn phòng UBND tỉnh", kind="department", parent=province)
    site = Unit.objects.create(code="huyen", name="Huyện An Phú", kind="district", parent=province,
                               is_remote_site=True)
    lan = User.objects.create(username="lan", full_name="Nguyễn Thị Lan", unit=office, role="secretary")
    minh = User.objects.create(username="minh", full_name="Trần Văn Minh", unit=province, role="chair",
                               position="Chủ tịch UBND tỉnh")
    start = timezone.now() + dt.timedelta(days=30)
    meeting = meetings.create_meeting(lan, title="Kỳ họp thứ mười hai HĐND tỉnh", host_unit=office, chair=minh,
                                      secretary=lan, start=start, end=start + dt.timedelta(hours=8),
                                      remote_sites=[site.pk], location="Hội trường tỉnh")
    items = [agenda.add_item(lan, meeting, title=f"Tờ trình số {i + 1} về phát triển kinh tế - xã hội",
                             presenter=minh) for i in range(n_items)]
    people = [User.objects.create(username=f"db{i}", full_name=f"Đại biểu Nguyễn Văn Số {i}", unit=office,
                                  role="delegate", position="Đại biểu HĐND tỉnh") for i in range(n_people - 2)]
    for i, person in enumerate(people):
        participants.add_participant(lan, meeting, person, site=site if i % 5 == 0 else None)
    meetings.publish_meeting(lan, meeting)
    meeting = meetings.change_status(lan, meeting, "in_progress")

    def run(who, name, **args):
        reply = live.execute(who, meeting.pk, f"b-{next(ids)}", name, args)
        assert reply["ok"], reply

    rows = list(meeting.participants.select_related("user"))
    for i, p in enumerate(rows):
        if i % 10 == 9:
            run(lan, "mark_absent", participant_id=p.pk, reason="Đi công tác")
        else:
            run(lan, "checkin", mode="online" if p.site_id else "in_person", participant_id=p.pk)
    present = [p for i, p in enumerate(rows) if i % 10 != 9 and p.can_vote]
    for n, item in enumerate(items):
        run(minh, "agenda.goto", item_id=item.pk)
        for p in present[n * 3:n * 3 + 3]:
            run(minh, "floor.give", participant_id=p.pk)
            run(minh, "floor.end_speaker")
        if n < n_votes:
            vote = votes.prepare(lan, meeting, {"question": f"Thông qua Nghị quyết số {n + 1}",
                                                "agenda_item_id": item.pk})
            run(minh, "vote.open", item_id=vote.pk)
            for k, p in enumerate(present):
                run(p.user, "vote.cast", item_id=vote.pk, choices=["for" if k % 4 else "against"])
            run(minh, "vote.close", item_id=vote.pk)
    return meetings.change_status(lan, meeting, "ended"), lan


def baseline(doc) -> tuple[bytes, bytes]:
    """The same words with no layout: one paragraph each, default styles (DejaVu for the glyphs)."""
    import io
    from xml.sax.saxutils import escape

    from docx import Document
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    from meetings.minutes.exports import _fonts

    font = _fonts()
    style = getSampleStyleSheet()["Normal"]
    style.fontName = font
    lines = doc.plain_text.splitlines()
    pdf = io.BytesIO()
    SimpleDocTemplate(pdf).build([Paragraph(escape(line), style) for line in lines])
    out = Document()
    for line in lines:
        out.add_paragraph(line)
    docx = io.BytesIO()
    out.save(docx)
    return pdf.getvalue(), docx.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--votes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where the PDF's time goes")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-minutes-")
    os.environ.update({"PHONGHOP_DATA_DIR": folder, "DJANGO_SETTINGS_MODULE": "config.settings",
                       "PHONGHOP_BALLOT_SECRET": "11" * 32, "PHONGHOP_FAST_PASSWORD_HASHER": "1"})
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    meeting, lan = build(args.participants, args.items, args.votes)
    setup = time.perf_counter() - t0

    from meetings.minutes import draft, exports, layout

    t_draft, m_draft, content = measure(lambda: draft.draft_content(meeting), args.repeat)
    t_layout, m_layout, doc = measure(lambda: layout.minutes_document(content), args.repeat)
    exports.to_pdf(doc)  # registers the fonts once, as a running server has
    if args.profile:
        import cProfile
        import pstats

        cProfile.runctx("exports.to_pdf(doc)", globals(), {"exports": exports, "doc": doc}, "/tmp/minutes.prof")
        pstats.Stats("/tmp/minutes.prof").sort_stats("cumulative").print_stats(25)
    t_pdf, m_pdf, pdf = measure(lambda: exports.to_pdf(doc), args.repeat)
    t_docx, m_docx, docx = measure(lambda: exports.to_docx(doc), args.repeat)
    t_base, m_base, (base_pdf, base_docx) = measure(lambda: baseline(doc), args.repeat)
    total = t_draft + t_layout + t_pdf + t_docx
    import resource

    from pypdf import PdfReader
    pages = len(PdfReader(__import__("io").BytesIO(pdf)).pages)
    print(f"Run {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %z} on {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}; SQLite.\n")
    print(f"Meeting: {args.participants} participants, {args.items} items, {args.votes} votes, "
          f"{sum(len(i['speakers']) for i in content['items'])} speeches (built in {setup:.0f} s). "
          f"Minutes: {len(doc.body)} paragraphs, PDF {pages} pages {len(pdf) / 1024:.0f} KiB, "
          f"DOCX {len(docx) / 1024:.0f} KiB. Median of {args.repeat}; peak = Python allocations (tracemalloc).\n")
    print("| step | time | peak memory |\n| --- | --- | --- |")
    for name, t, m in (("draft from the record (queries + content)", t_draft, m_draft),
                       ("layout (NĐ 30 document model)", t_layout, m_layout), ("PDF (reportlab)", t_pdf, m_pdf),
                       ("DOCX (python-docx)", t_docx, m_docx), ("**total**", total, max(m_draft, m_pdf, m_docx)),
                       ("baseline: same words, no layout, PDF + DOCX", t_base, m_base)):
        print(f"| {name} | {t * 1000:.0f} ms | {m:.1f} MiB |")
    print(f"\nRatio PDF + DOCX / baseline: {(t_pdf + t_docx) / t_base:.2f}. Process peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB.")


if __name__ == "__main__":
    main()
