"""Working days as a Vietnamese office counts them, and the invitation notice they imply."""

import datetime as dt

from django.test import override_settings
from django.utils import timezone

from meetings.models import Meeting
from meetings.services.meetings import notice_problem
from meetings.workdays import add_working_days, is_working_day, latest_notice_date, working_days_between

D = dt.date


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def test_weekends_are_off_and_weekdays_are_worked():
    assert is_working_day(D(2027, 3, 12))  # Friday
    assert not is_working_day(D(2027, 3, 13))  # Saturday
    assert not is_working_day(D(2027, 3, 14))  # Sunday
    assert is_working_day(D(2027, 3, 15))  # Monday


def test_the_whole_tet_2027_break_is_off():
    assert is_working_day(D(2027, 2, 3))
    assert [is_working_day(D(2027, 2, day)) for day in range(4, 11)] == [False] * 7
    assert is_working_day(D(2027, 2, 11))


def test_fixed_public_holidays_are_off():
    assert not is_working_day(D(2027, 1, 1))  # New Year
    assert not is_working_day(D(2027, 4, 16))  # Hung Kings (10/3 lunar)
    assert not is_working_day(D(2027, 4, 30))  # Reunification Day
    assert not is_working_day(D(2027, 9, 2))  # National Day
    assert not is_working_day(D(2027, 9, 3))


def test_a_saturday_the_government_swapped_into_a_working_day_is_worked():
    # 2026: Monday 31 August off in exchange for Saturday 22 August worked.
    assert is_working_day(D(2026, 8, 22))
    assert not is_working_day(D(2026, 8, 31))


@override_settings(PHONGHOP_EXTRA_HOLIDAYS=["2027-03-15"], PHONGHOP_EXTRA_WORKDAYS=["2027-03-13"])
def test_days_off_and_working_saturdays_announced_later_come_from_settings():
    assert not is_working_day(D(2027, 3, 15))  # an ordinary Monday, declared off
    assert is_working_day(D(2027, 3, 13))  # a Saturday, declared worked
    assert working_days_between(D(2027, 3, 12), D(2027, 3, 16)) == 2  # Saturday 13 and Tuesday 16


def test_counting_working_days_across_tet():
    # From Wednesday 3 February 2027 the next working days are 11 and 12 February.
    assert working_days_between(D(2027, 2, 3), D(2027, 2, 12)) == 2
    assert add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 11)
    assert add_working_days(D(2027, 2, 3), 3) == D(2027, 2, 15)


def test_the_last_day_to_invite_for_a_meeting_right_after_tet():
    # Friday 12 February 2027 needs 3 working days' notice: 3, 11 and 12 February, so invite by 2 February.
    assert latest_notice_date(D(2027, 2, 12), 3) == D(2027, 2, 2)
    assert latest_notice_date(D(2027, 3, 18), 3) == D(2027, 3, 15)  # an ordinary Thursday: Monday before


def test_the_last_day_to_invite_always_agrees_with_the_count():
    day = D(2026, 12, 1)
    while day < D(2027, 5, 31):
        for lead in (3, 5):
            last = latest_notice_date(day, lead)
            assert working_days_between(last, day) >= lead
            assert working_days_between(last + dt.timedelta(days=1), day) < lead
        day += dt.timedelta(days=1)


def test_a_meeting_right_after_tet_announced_before_the_break_needs_the_urgent_flag():
    meeting = Meeting(title="Họp đầu năm", start=at(D(2027, 2, 11), 8), end=at(D(2027, 2, 11), 11))
    announced = at(D(2027, 2, 3), 9)

    assert notice_problem(meeting, now=announced)
    meeting.urgent = True
    assert notice_problem(meeting, now=announced) is None


def test_three_working_days_of_notice_is_enough_and_some_bodies_ask_for_five():
    meeting = Meeting(title="Họp thường kỳ", start=at(D(2027, 3, 18), 8), end=at(D(2027, 3, 18), 11))
    monday = at(D(2027, 3, 15), 16)

    assert notice_problem(meeting, now=monday) is None
    with override_settings(PHONGHOP_INVITATION_LEAD_DAYS=5):
        assert notice_problem(meeting, now=monday)
