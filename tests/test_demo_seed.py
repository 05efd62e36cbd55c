"""The demo province after the July 2025 reform: its communes and wards directly under the province, each a
remote site with an operator, and a briefing to all of them that the chair and a commune can open."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 (closed with the process)


def test_the_province_briefs_about_a_hundred_communes_and_wards_directly(demo):
    from accounts.models import Unit, User
    from meetings.models import Meeting, Participant

    province = Unit.objects.get(code="tinh-minh-son")
    assert not Unit.objects.filter(kind=Unit.Kind.DISTRICT).exists(), "no district level since July 2025"
    sites = Unit.objects.filter(is_remote_site=True)
    assert sites.count() >= 100
    assert set(sites.values_list("parent", flat=True)) == {province.pk}
    names = list(sites.values_list("name", flat=True))
    assert all(n.startswith(("Xã ", "Phường ")) for n in names) and len(set(names)) == len(names)
    assert "Xã Đồng Hỷ" in names and "Phường Minh Sơn" in names  # Vietnamese names, diacritics kept

    operators = User.objects.filter(role="site_operator", unit__in=sites)
    assert operators.count() == sites.count(), "an operator per site"
    assert User.objects.get(username="diemcau.xa-dong-hy").check_password("phonghop2026")

    briefing = Meeting.objects.get(title__startswith="Giao ban trực tuyến")
    assert briefing.remote_sites.count() == sites.count()
    joined = Participant.objects.filter(meeting=briefing, role=Participant.Role.SITE)
    assert set(joined.values_list("site", flat=True)) == set(sites.values_list("pk", flat=True))


def test_the_chair_and_a_commune_open_the_province_briefing(demo, client):
    from accounts.models import User
    from meetings.models import Meeting

    briefing = Meeting.objects.get(title__startswith="Giao ban trực tuyến")
    client.force_login(User.objects.get(username="chutich"))
    assert client.get(f"/briefing/{briefing.pk}/").status_code == 200
    operator = User.objects.get(username="diemcau.xa-dong-hy")
    client.force_login(operator)
    page = client.get(f"/briefing/{briefing.pk}/")
    assert page.status_code == 200 and str(operator.unit_id) in page.content.decode()
    client.force_login(User.objects.get(username="khach"))  # a guest of the other meeting is not let in
    assert client.get(f"/briefing/{briefing.pk}/").status_code in (403, 404)


def test_seeding_again_changes_nothing(demo):
    from accounts.models import Unit

    before = Unit.objects.count()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Unit.objects.count() == before
