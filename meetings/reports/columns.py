"""The columns of each view, shared by the page, the XLSX and the PDF so all three say the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "int"  # text | int | share | datetime | minutes


_PEOPLE = [
    Column("invited", _("Invited")),
    Column("attended", _("Attended")),
    Column("attendance_rate", _("Attendance rate"), "share"),
    Column("absent_with_reason", _("Absent with reason")),
    Column("absent_without_reason", _("Absent without reason")),
    Column("substitutes_sent", _("Substitutes sent")),
    Column("votes_cast", _("Votes cast")),
    Column("consultations_answered", _("Written opinions given")),
    Column("consultations_asked", _("Written opinions asked")),
]
_ATTENDANCE = [
    Column("attendance_rate", _("Attendance rate"), "share"),
    Column("on_time_rate", _("On time"), "share"),
    Column("absent_with_reason", _("Absent with reason")),
    Column("absent_without_reason", _("Absent without reason")),
    Column("speakers", _("Speakers")),
    Column("speaking_minutes", _("Speaking time (minutes)"), "minutes"),
    Column("votes", _("Votes")),
]
_MEETINGS = [Column("meetings", _("Meetings")), Column("invited", _("Invited")), Column("present", _("Present")),
             *_ATTENDANCE]

COLUMNS: dict[str, list[Column]] = {
    "meetings": [
        Column("start", _("Start"), "datetime"),
        Column("title", _("Meeting"), "text"),
        Column("kind", _("Kind"), "text"),
        Column("host_unit", _("Host unit"), "text"),
        Column("invited", _("Invited")),
        Column("present", _("Present")),
        Column("in_person", _("In the hall")),
        Column("online", _("Online")),
        *_ATTENDANCE,
    ],
    "members": [Column("name", _("Full name"), "text"), Column("unit", _("Unit"), "text"), *_PEOPLE],
    "units": [Column("name", _("Unit"), "text"), Column("members", _("Members")), *_PEOPLE],
    "kinds": [Column("name", _("Meeting kind"), "text"), *_MEETINGS],
    "periods": [Column("name", _("Period"), "text"), *_MEETINGS],
    "tasks": [Column("name", _("Unit"), "text"), Column("tasks", _("Tasks given")),
              Column("done_on_time", _("Done on time")), Column("done_late", _("Done late")),
              Column("overdue", _("Overdue")), Column("open", _("Still open")),
              Column("on_time_rate", _("Done on time (share of done)"), "share")],
}
