"""Seed a demo province: its departments and ~100 communes and wards (no district level since July 2025),
a user for every role, an operator per remote site, an in-person meeting and a province-wide online briefing."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
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
# Since 1 July 2025 there are no districts: a province's communes and wards (xã, phường) sit directly under it,
# and a province-wide briefing reaches all of them (typically 60 to 170). Names in the style of the merged units.
WARDS = ["Minh Sơn", "Hòa Bình", "Tân Lập", "Quang Trung", "Đông Sơn", "Tây Sơn", "Bắc Hà", "Nam Thành"]
COMMUNES = [
    "An Phú", "Bình Liêu", "Cao Sơn", "Đồng Hỷ", "Hạ Hòa", "Lâm Bình", "Mỹ Đức", "Na Hang", "Yên Sơn", "An Lạc",
    "Bản Lầu", "Chiêm Hóa", "Đại Từ", "Định Hóa", "Hàm Yên", "Hồng Phong", "Kim Bôi", "Lạc Thủy", "Mai Châu",
    "Nà Phặc", "Ngọc Lặc", "Phú Lương", "Quang Minh", "Sơn Dương", "Tân Thành", "Thanh Sơn", "Thượng Lâm",
    "Tiên Yên", "Trung Hà", "Vĩnh Lộc", "Xuân Hòa", "Yên Thế", "Bảo Lạc", "Bạch Thông", "Cẩm Thủy", "Chợ Đồn",
    "Đà Bắc", "Đoan Hùng", "Hà Quảng", "Hòa An", "Hữu Lũng", "Kỳ Sơn", "Lục Yên", "Mường Khương", "Nguyên Bình",
    "Pác Nặm", "Quảng Uyên", "Tam Đảo", "Thạch An", "Thông Nông", "Trà Lĩnh", "Trùng Khánh", "Văn Lãng",
    "Văn Yên", "Vị Xuyên", "Xín Mần", "Yên Minh", "Bắc Quang", "Cao Lộc", "Đình Lập", "Hoàng Su Phì",
    "Lộc Bình", "Mèo Vạc", "Ngân Sơn", "Quản Bạ", "Sìn Hồ", "Tràng Định", "Võ Nhai", "Ba Bể", "Bình Gia",
    "Chợ Mới", "Đồng Văn", "Hạ Lang", "Lang Chánh", "Mường Lát", "Như Xuân", "Phong Thổ", "Quan Hóa",
    "Tân Uyên", "Than Uyên", "Thường Xuân", "Tủa Chùa", "Vân Hồ", "Yên Châu", "Bá Thước", "Cẩm Khê", "Hạ Long",
    "Kim Sơn", "Lương Sơn", "Nho Quan", "Phù Yên", "Quỳnh Nhai", "Sông Mã",
]
SLUG = str.maketrans("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ",
                     "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd")


def _slug(name: str) -> str:
    return "-".join(name.lower().translate(SLUG).split())


# code, name: the province's remote sites, wards first (in the town), then communes.
SITES = [(f"phuong-{_slug(n)}", f"Phường {n}") for n in WARDS] + [(f"xa-{_slug(n)}", f"Xã {n}") for n in COMMUNES]
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
        for i, (code, name) in enumerate(SITES):
            units[code] = Unit.objects.create(
                code=code, name=name, kind=Unit.Kind.COMMUNE, parent=province, order=100 + i, is_remote_site=True
            )
        people: dict[str, User] = {}
        for username, full_name, unit_code, position, role in PEOPLE:
            people[username] = self._user(username, full_name, units[unit_code], position, role)
        # One hash for the ~100 operators: hashing the same demo password 100 times costs half a minute.
        operator_hash = make_password(PASSWORD)
        User.objects.bulk_create([
            User(username=f"diemcau.{code}", full_name=f"Điểm cầu {name}", unit=units[code],
                 position="Kỹ thuật viên điểm cầu", role=Role.SITE_OPERATOR, password=operator_hash,
                 email=f"diemcau.{code}@demo.phonghop.vn", calendar_token=secrets.token_urlsafe(32))
            for code, name in SITES
        ])

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
            remote_sites=[units[code].pk for code, _name in SITES],
            description=f"Giao ban với {len(SITES)} điểm cầu xã, phường trong toàn tỉnh.",
        )
        for title, minutes in (
            ("Tình hình mưa lũ và công tác ứng phó", 20),
            ("Báo cáo của các điểm cầu xã, phường", 60),
            ("Chỉ đạo của Chủ tịch UBND tỉnh", 20),
        ):
            agenda.add_item(secretary, briefing, title=title, planned_minutes=minutes)
        participants.add_participant(secretary, briefing, people["pct"])
        operators = {u.unit_id: u for u in User.objects.filter(role=Role.SITE_OPERATOR, username__startswith="diemcau.")}
        for code, _name in SITES:
            participants.add_participant(
                secretary, briefing, operators[units[code].pk], role=Participant.Role.SITE, can_vote=False,
                site=units[code],
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
        self.stdout.write(f"  diemcau.<xa>        site operators of the {len(SITES)} communes and wards,"
                          f" e.g. diemcau.{SITES[len(WARDS)][0]}")
