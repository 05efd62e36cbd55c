"""The sign-in limiter: five wrong passwords for one user name from one address within 15 minutes,
and that user name waits at that address, on the API and on the login page alike.

Someone at 10.0.0.66 guesses lan's password; lan herself works at 10.0.0.7. Time is moved by ageing
the login log's rows, never by sleeping."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import fast_password_hashing, refused  # noqa: F401
from django.db.models import F
from django.urls import reverse
from personas import PASSWORD

from accounts.models import LoginRecord

pytestmark = pytest.mark.django_db

ATTACKER = "10.0.0.66"
LAN_PC = "10.0.0.7"


def api_sign_in(client, password, username="lan", address=ATTACKER, **extra):
    return client.post("/api/v1/auth/token", {"username": username, "password": password},
                       content_type="application/json", REMOTE_ADDR=address, **extra)


def fail(client, times, **kw):
    for _ in range(times):
        refused(api_sign_in(client, "doan-mo", **kw), 401, "bad_credentials")


def age_log(minutes: float) -> None:
    LoginRecord.objects.update(at=F("at") - dt.timedelta(minutes=minutes))


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, people):
    fail(client, 5)

    r = api_sign_in(client, PASSWORD)

    error = refused(r, 429, "too_many_attempts")
    assert "token" not in r.json()
    assert 0 < int(r["Retry-After"]) <= 15 * 60
    assert "thử lại sau 15 phút" in error["message"]


def test_the_message_says_when_to_try_again_in_english_on_request(client, people):
    fail(client, 5)

    error = refused(api_sign_in(client, PASSWORD, HTTP_ACCEPT_LANGUAGE="en"), 429, "too_many_attempts")

    assert error["message"].startswith("Too many failed sign-in attempts. Try again in 15 min, at ")


def test_four_failures_still_let_the_right_password_in(client, people):
    fail(client, 4)

    assert api_sign_in(client, PASSWORD).status_code == 200


def test_another_address_is_not_affected(client, people):
    fail(client, 5)

    assert api_sign_in(client, PASSWORD, address=LAN_PC).status_code == 200
    refused(api_sign_in(client, PASSWORD), 429, "too_many_attempts")


def test_another_user_name_from_the_same_address_is_not_affected(client, people):
    fail(client, 5)

    assert api_sign_in(client, PASSWORD, username="hoa").status_code == 200


def test_after_the_window_the_right_password_works(client, people):
    fail(client, 5)
    refused(api_sign_in(client, PASSWORD), 429, "too_many_attempts")

    age_log(15)

    assert api_sign_in(client, PASSWORD).status_code == 200


def test_the_wait_ends_with_the_window_of_the_oldest_failure(client, people):
    fail(client, 1)
    age_log(10)
    fail(client, 4)

    r = api_sign_in(client, PASSWORD)

    refused(r, 429, "too_many_attempts")
    assert 4 * 60 < int(r["Retry-After"]) <= 5 * 60  # when the first failure leaves the window
    age_log(5)
    assert api_sign_in(client, PASSWORD).status_code == 200


def test_refused_attempts_do_not_prolong_the_wait(client, people):
    fail(client, 5)
    age_log(14)
    for _ in range(10):
        refused(api_sign_in(client, PASSWORD), 429, "too_many_attempts")

    age_log(1)

    assert api_sign_in(client, PASSWORD).status_code == 200


def test_a_success_elsewhere_does_not_clear_the_failures_here(client, people):
    fail(client, 5)

    assert api_sign_in(client, PASSWORD, address=LAN_PC).status_code == 200

    refused(api_sign_in(client, PASSWORD), 429, "too_many_attempts")


def test_a_success_from_the_same_address_starts_the_count_again(client, people):
    fail(client, 4)
    assert api_sign_in(client, PASSWORD).status_code == 200
    fail(client, 4)

    assert api_sign_in(client, PASSWORD).status_code == 200


def test_refused_attempts_are_in_the_login_log(client, people):
    fail(client, 5)
    api_sign_in(client, PASSWORD)

    last = LoginRecord.objects.order_by("-at", "-pk").first()
    assert (last.username, last.success, last.throttled, last.ip, last.via) == ("lan", False, True, ATTACKER, "api")
    assert LoginRecord.objects.filter(throttled=False).count() == 5


def test_the_limits_are_settings(client, people, settings):
    settings.PHONGHOP_LOGIN_MAX_FAILURES = 2
    settings.PHONGHOP_LOGIN_WINDOW_MINUTES = 60
    fail(client, 2)

    r = api_sign_in(client, PASSWORD)

    refused(r, 429, "too_many_attempts")
    assert 59 * 60 < int(r["Retry-After"]) <= 60 * 60
    age_log(30)
    refused(api_sign_in(client, PASSWORD), 429, "too_many_attempts")
    age_log(30)
    assert api_sign_in(client, PASSWORD).status_code == 200


# The login page ----------------------------------------------------------------------------------

def web_sign_in(client, password, address=ATTACKER, username="lan"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_login_page_refuses_the_sixth_attempt_in_vietnamese(client, people):
    for _ in range(5):
        assert "Sai tên đăng nhập hoặc mật khẩu." in web_sign_in(client, "doan-mo").content.decode()

    r = web_sign_in(client, PASSWORD)

    assert r.status_code == 200
    assert "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút, lúc " in r.content.decode()
    assert not signed_in(client)


def test_the_login_page_lets_lan_in_from_her_own_pc(client, people):
    for _ in range(5):
        web_sign_in(client, "doan-mo")

    r = web_sign_in(client, PASSWORD, address=LAN_PC)

    assert r.status_code == 302 and signed_in(client)


def test_the_login_page_lets_her_in_after_the_window(client, people):
    for _ in range(5):
        web_sign_in(client, "doan-mo")
    age_log(15)

    assert web_sign_in(client, PASSWORD).status_code == 302 and signed_in(client)


def test_the_page_and_the_api_share_one_count(client, people):
    for _ in range(3):
        web_sign_in(client, "doan-mo")
    fail(client, 2)

    refused(api_sign_in(client, PASSWORD), 429, "too_many_attempts")
    assert "Đăng nhập sai quá nhiều lần" in web_sign_in(client, PASSWORD).content.decode()
