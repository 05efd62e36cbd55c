"""Seed a demo province: units, a user for every role, an in-person meeting and an online briefing."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Unit, User
from accounts.roles import Role
from meetings.documents import samples as documents_demo
from meetings.models import Meeting, MeetingKind, Participant, Room
from meetings.services import agenda, meetings, participants
from meetings.workdays import is_working_day

PASSWORD = "phonghop2026"
PROVINCE = ("tinh-minh-son", "UBND tỉnh Minh Sơn")
DEPARTMENTS = [
    ("van-phong", "Văn phòng UBND tỉnh"), ("so-tai-chinh", "Sở Tài chính"), ("so-noi-vu", "Sở Nội vụ"),
    ("so-xay-dung", "Sở Xây dựng"), ("so-y-te", "Sở Y tế"), ("so-gddt", "Sở Giáo dục và Đào tạo"),
]
DISTRICTS = [
    ("tp-minh-son", "Thành phố Minh Sơn"), ("huyen-an-phu", "Huyện An Phú"), ("huyen-binh-lieu", "Huyện Bình Liêu"),
    ("huyen-cao-son", "Huyện Cao Sơn"), ("huyen-dong-hy", "Huyện Đồng Hỷ"), ("huyen-ha-hoa", "Huyện Hạ Hòa"),
    ("huyen-lam-binh", "Huyện Lâm Bình"), ("huyen-my-duc", "Huyện Mỹ Đức"), ("huyen-na-hang", "Huyện Na Hang"),
    ("huyen-yen-son", "Huyện Yên Sơn"),
]
# username, full name, unit code, position, role
PEOPLE = [
    ("admin", "Quản trị hệ thống", "tinh-minh-son", "Quản trị viên", Role.SYSTEM_ADMIN),
    ("quantri.vp", "Lê Thị Hạnh", "van-phong", "Chuyên viên CNTT", Role.UNIT_ADMIN),
    ("thuky", "Nguyễn Thị Lan", "van-phong", "Chuyên viên Văn phòng", Role.SECRETARY),
    ("chutich", "Trần Văn Minh", "tinh-minh-son", "Chủ tịch UBND tỉnh", Role.CHAIR),
    ("pct", "Hoàng Văn Dũng", "tinh-minh-son", "Phó Chủ tịch UBND tỉnh", Role.DELEGATE),
    ("daibieu.taichinh", "Phạm Thị Hoa", "so-tai-chinh", "Giám đốc Sở Tài chính", Role.DELEGATE),
    ("daibieu.noivu", "Vũ Đức Thắng", "so-noi-vu", "Giám đốc Sở Nội vụ", Role.DELEGATE),
    ("daibieu.xaydung", "Đỗ Văn Hùng", "so-xay-dung", "Giám đốc Sở Xây dựng", Role.DELEGATE),
    ("daibieu.yte", "Bùi Thị Mai", "so-y-te", "Giám đốc Sở Y tế", Role.DELEGATE),
    ("daibieu.giaoduc", "Ngô Quang Vinh", "so-gddt", "Giám đốc Sở Giáo dục và Đào tạo", Role.DELEGATE),
    ("khach", "Đặng Minh Tuấn", "so-xay-dung", "Chuyên gia tư vấn", Role.GUEST),
]


def _next_working_day(after: dt.date, skip: int) -> dt.date:
    day, found = after, 0
    while found < skip:
        day += dt.timedelta(days=1)
        found += is_working_day(day)
    return day


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


class Command(BaseCommand):
    help = "Seed the demo province (idempotent) and print the demo logins."

    def handle(self, *args, **options) -> None:
        if not Unit.objects.filter(code=PROVINCE[0]).exists():
            # The demo must not print dozens of invitation e-mails on the console.
            backend, settings.EMAIL_BACKEND = settings.EMAIL_BACKEND, "django.core.mail.backends.locmem.EmailBackend"
            try:
                self._seed()
            finally:
                settings.EMAIL_BACKEND = backend
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self._print_logins()

    @transaction.atomic
    def _seed(self) -> None:
        province = Unit.objects.create(code=PROVINCE[0], name=PROVINCE[1], kind=Unit.Kind.PROVINCE)
        units = {province.code: province}
        for i, (code, name) in enumerate(DEPARTMENTS):
            units[code] = Unit.objects.create(code=code, name=name, kind=Unit.Kind.DEPARTMENT, parent=province, order=i)
        for i, (code, name) in enumerate(DISTRICTS):
            district = Unit.objects.create(
                code=code, name=name, kind=Unit.Kind.DISTRICT, parent=province, order=100 + i, is_remote_site=True
            )
            units[code] = district
            Unit.objects.create(
                code=f"{code}-xa-1", name=f"Xã Trung tâm ({name})", kind=Unit.Kind.COMMUNE, parent=district,
                is_remote_site=True,
            )
        people: dict[str, User] = {}
        for username, full_name, unit_code, position, role in PEOPLE:
            people[username] = self._user(username, full_name, units[unit_code], position, role)
        for code, name in DISTRICTS:
            self._user(f"diemcau.{code}", f"Điểm cầu {name}", units[code], "Kỹ thuật viên điểm cầu", Role.SITE_OPERATOR)

        kind_session, _ = MeetingKind.objects.get_or_create(name="Phiên họp UBND tỉnh thường kỳ")
        kind_briefing, _ = MeetingKind.objects.get_or_create(name="Giao ban trực tuyến")
        hall = Room.objects.create(name="Phòng họp số 1, trụ sở UBND tỉnh", unit=province, capacity=60)
        secretary, chair = people["thuky"], people["chutich"]
        today = timezone.localdate()

        session_day = _next_working_day(today, 5)
        session = meetings.create_meeting(
            secretary, title="Phiên họp UBND tỉnh thường kỳ tháng 12/2026", kind=kind_session,
            host_unit=units["van-phong"], chair=chair, secretary=secretary, start=_at(session_day, 8),
            end=_at(session_day, 11), room=hall, format=Meeting.Format.IN_PERSON,
            description="Thảo luận tình hình kinh tế - xã hội và dự toán ngân sách năm 2027.",
            preparation="Nghiên cứu tài liệu trước cuộc họp.", contact="Nguyễn Thị Lan, 0209 3 855 123",
        )
        for title, who, minutes in (
            ("Báo cáo tình hình kinh tế - xã hội tháng 11/2026", "pct", 30),
            ("Dự toán ngân sách địa phương năm 2027", "daibieu.taichinh", 45),
            ("Quyết định phê duyệt đề án sắp xếp đơn vị sự nghiệp", "daibieu.noivu", 30),
            ("Kết luận của Chủ tịch UBND tỉnh", "chutich", 15),
        ):
            agenda.add_item(secretary, session, title=title, presenter=people[who], planned_minutes=minutes)
        for username in ("pct", "daibieu.taichinh", "daibieu.noivu", "daibieu.xaydung", "daibieu.yte", "daibieu.giaoduc"):
            participants.add_participant(secretary, session, people[username])
        participants.add_participant(secretary, session, people["khach"], role=Participant.Role.GUEST)
        meetings.publish_meeting(secretary, session)
        self._votes(secretary, session)
        documents_demo.seed_demo(secretary, session, named_users=[chair, people["pct"], people["daibieu.noivu"]])

        briefing_day = _next_working_day(today, 4)
        briefing = meetings.create_meeting(
            secretary, title="Giao ban trực tuyến công tác phòng chống thiên tai", kind=kind_briefing,
            host_unit=units["van-phong"], chair=chair, secretary=secretary, start=_at(briefing_day, 14),
            end=_at(briefing_day, 16), room=hall, format=Meeting.Format.HYBRID,
            remote_sites=[units[code].pk for code, _name in DISTRICTS],
            description="Giao ban với 10 điểm cầu huyện, thành phố.",
        )
        for title, minutes in (
            ("Tình hình mưa lũ và công tác ứng phó", 20),
            ("Báo cáo của các điểm cầu huyện", 60),
            ("Chỉ đạo của Chủ tịch UBND tỉnh", 20),
        ):
            agenda.add_item(secretary, briefing, title=title, planned_minutes=minutes)
        participants.add_participant(secretary, briefing, people["pct"])
        for code, _name in DISTRICTS:
            operator = User.objects.get(username=f"diemcau.{code}")
            participants.add_participant(
                secretary, briefing, operator, role=Participant.Role.SITE, can_vote=False, site=units[code]
            )
        meetings.publish_meeting(secretary, briefing)

        # A meeting already held: approved minutes, an issued conclusion notice, tasks in every status.
        from meetings.minutes import samples as after_meeting_demo

        after_meeting_demo.seed_demo(people, units, kind_session, hall)

    def _votes(self, secretary: User, session: Meeting) -> None:
        """Two prepared votes: a named one on the budget, a secret one on the restructuring plan."""
        from meetings.voting import services as votes

        items = {i.order: i.pk for i in session.agenda_items.all()}
        votes.prepare(secretary, session, {
            "question": "Thông qua dự toán ngân sách địa phương năm 2027", "preset": "approval",
            "agenda_item_id": items.get(2), "duration": 120,
        })
        votes.prepare(secretary, session, {
            "question": "Phê duyệt đề án sắp xếp đơn vị sự nghiệp công lập", "preset": "approval", "secret": True,
            "agenda_item_id": items.get(3), "rule": {"threshold": "two_thirds"},
        })

    def _user(self, username: str, full_name: str, unit: Unit, position: str, role: str) -> User:
        user = User(
            username=username, full_name=full_name, unit=unit, position=position, role=role,
            email=f"{username}@demo.phonghop.vn", is_staff=role == Role.SYSTEM_ADMIN,
            is_superuser=role == Role.SYSTEM_ADMIN,
        )
        user.set_password(PASSWORD)
        user.save()
        return user

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        for username, full_name, _unit, position, role in PEOPLE:
            self.stdout.write(f"  {username:<18} {Role(role).label!s:<26} {full_name}, {position}")
        self.stdout.write("  diemcau.<huyen>     site operators, e.g. diemcau.huyen-an-phu")
