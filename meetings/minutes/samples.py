"""Demo data after a meeting: one meeting held today (roll call, two items, a speaker, a question, a vote),
ended, with approved minutes, an issued conclusion notice and follow-up tasks in every status.
Everything goes through the services, as a user's clicks would."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from accounts.models import Unit, User
from meetings.models import Meeting, MeetingKind, Room

_ids = itertools.count(1)


def _run(person: User, meeting: Meeting, name: str, **args) -> None:
    from meetings.services import live

    reply = live.execute(person, meeting.pk, f"demo-{next(_ids)}", name, args)
    if not reply.get("ok"):
        raise RuntimeError(f"demo command {name} refused: {reply}")


def seed_demo(people: dict[str, User], units: dict[str, Unit], kind: MeetingKind | None, room: Room | None) -> Meeting:
    from meetings.minutes import services as record
    from meetings.services import agenda, meetings, participants
    from meetings.tasks import services as tasks
    from meetings.voting import services as votes

    secretary, chair = people["thuky"], people["chutich"]
    # One remote site of the demo (a commune), and its operator's screen joining from there.
    site_unit = next(u for u in units.values() if u.is_remote_site)
    site = User.objects.filter(role="site_operator", unit=site_unit).first()
    # Held today: a meeting cannot be published once its start has passed, so it starts in a few minutes
    # (urgent: no invitation lead time) and is run and ended at once.
    start = timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=5)
    meeting = meetings.create_meeting(
        secretary, title="Họp rà soát tiến độ giải ngân vốn đầu tư công năm 2026", kind=kind,
        host_unit=units["van-phong"], chair=chair, secretary=secretary, start=start,
        end=start + dt.timedelta(hours=2), room=room, format=Meeting.Format.HYBRID, urgent=True,
        remote_sites=[site_unit.pk],
        description="Rà soát tiến độ giải ngân, tháo gỡ vướng mắc của các chủ đầu tư.",
    )
    first = agenda.add_item(secretary, meeting, title="Báo cáo tiến độ giải ngân vốn đầu tư công",
                            presenter=people["daibieu.taichinh"], planned_minutes=30)
    second = agenda.add_item(secretary, meeting, title="Tháo gỡ vướng mắc giải phóng mặt bằng",
                             presenter=people["daibieu.xaydung"], planned_minutes=30)
    for username in ("pct", "daibieu.taichinh", "daibieu.xaydung", "daibieu.yte"):
        participants.add_participant(secretary, meeting, people[username])
    if site is not None:
        participants.add_participant(secretary, meeting, site, role="site", can_vote=False, site=site_unit)
    meetings.publish_meeting(secretary, meeting)
    meeting = meetings.change_status(secretary, meeting, "in_progress")
    pid = {p.user.username: p.pk for p in meeting.participants.select_related("user")}
    for username in ("chutich", "thuky", "pct", "daibieu.taichinh", "daibieu.xaydung"):
        _run(secretary, meeting, "checkin", mode="in_person", participant_id=pid[username])
    _run(secretary, meeting, "mark_absent", participant_id=pid["daibieu.yte"], reason="Đi công tác tại Trung ương")
    if site is not None:
        _run(secretary, meeting, "checkin", mode="online", participant_id=pid[site.username])
    _run(chair, meeting, "agenda.goto", item_id=first.pk)
    _run(chair, meeting, "floor.give", participant_id=pid["pct"])
    _run(chair, meeting, "floor.end_speaker")
    vote = votes.prepare(secretary, meeting, {"question": "Thông qua phương án điều chuyển vốn giữa các dự án",
                                              "agenda_item_id": first.pk})
    _run(chair, meeting, "vote.open", item_id=vote.pk)
    for username, choice in (("chutich", "for"), ("pct", "for"), ("daibieu.taichinh", "for"),
                             ("daibieu.xaydung", "against")):
        _run(people[username], meeting, "vote.cast", item_id=vote.pk, choices=[choice])
    _run(chair, meeting, "vote.close", item_id=vote.pk)
    _run(chair, meeting, "vote.publish", item_id=vote.pk)
    _run(chair, meeting, "agenda.goto", item_id=second.pk)
    _run(chair, meeting, "floor.give", participant_id=pid["daibieu.xaydung"], kind="question")
    _run(chair, meeting, "floor.end_speaker")
    meeting = meetings.change_status(secretary, meeting, "ended")

    record.start(secretary, meeting)
    record.edit(secretary, meeting, {
        "header": {"number": "12"},
        "opening": "Đồng chí Chủ tịch UBND tỉnh khai mạc cuộc họp, nêu mục đích, yêu cầu.",
        "items": [
            {"agenda_item_id": first.pk,
             "discussion": "<p>Các đại biểu <strong>thống nhất</strong> đánh giá tiến độ giải ngân còn chậm.</p>",
             "conclusion": "Giao Sở Tài chính tham mưu điều chuyển vốn từ các dự án chậm giải ngân, hoàn thành "
                           "trước ngày 20/12/2026."},
            {"agenda_item_id": second.pk,
             "conclusion": f"Giao Sở Xây dựng chủ trì, phối hợp {site_unit.name} tháo gỡ vướng mắc giải phóng "
                           "mặt bằng."},
        ]})
    record.submit(secretary, meeting)
    record.approve(chair, meeting)
    record.draft_notice(secretary, meeting)
    record.edit_notice(secretary, meeting, {"header": {"number": "25"}})

    today = timezone.localdate()
    finance, construction = units["so-tai-chinh"], units["so-xay-dung"]
    conclusion_1 = "Giao Sở Tài chính tham mưu điều chuyển vốn."
    specs = [  # (title, unit, person, days from today, priority, what happens next)
        ("Tham mưu phương án điều chuyển vốn", finance, people["daibieu.taichinh"], 10, "high", "report"),
        ("Tổng hợp danh mục dự án chậm giải ngân", finance, None, 15, "normal", None),
        ("Tháo gỡ vướng mắc giải phóng mặt bằng dự án đường tỉnh 176", construction, people["daibieu.xaydung"], 7,
         "urgent", "extend"),
        ("Báo cáo kết quả kiểm tra hiện trường", construction, people["daibieu.xaydung"], 5, "normal", "done"),
        ("Cập nhật số liệu giải ngân lên hệ thống", finance, people["daibieu.taichinh"], 3, "low", "confirm"),
        ("Rà soát hồ sơ quyết toán dự án hoàn thành", finance, people["daibieu.taichinh"], -2, "high", None),
    ]
    for title, unit, person, days, priority, then in specs:
        task = tasks.create(secretary, meeting, {
            "title": title, "deadline": (today + dt.timedelta(days=days)).isoformat(), "unit_id": unit.pk,
            "assignee_id": person.pk if person else None, "priority": priority,
            "agenda_item_id": first.pk if unit == finance else second.pk,
            "conclusion": conclusion_1 if unit == finance else "Giao Sở Xây dựng chủ trì tháo gỡ vướng mắc."},
            past_deadline=days < 0)
        if then == "report":
            tasks.report(person, task, "Đã làm việc với các chủ đầu tư, đang tổng hợp đề xuất.", 40)
        elif then == "extend":
            tasks.extend(secretary, task, (today + dt.timedelta(days=21)).isoformat(),
                         "Chờ ý kiến của Bộ Xây dựng về phương án tuyến.")
        elif then in ("done", "confirm"):
            tasks.report(person, task, "Đã hoàn thành, gửi kèm báo cáo.", done=True)
            if then == "confirm":
                tasks.confirm(secretary, task)
    record.issue_notice(chair, meeting)
    return meeting
