"""The API's front door: OpenAPI, signing in (token and session), the login log, and the error format."""

import re

import pytest
from api_helpers import fast_password_hashing, meeting_payload, refused  # noqa: F401
from django.conf import settings
from django.test import Client
from personas import PASSWORD

from accounts.models import LoginRecord


def test_the_openapi_document_describes_our_endpoints(client):
    r = client.get("/api/v1/openapi.json")

    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/json")
    paths = r.json()["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/auth/tokens", "/api/v1/auth/tokens/{token_id}", "/api/v1/meetings", "/api/v1/meetings/{meeting_id}",
                 "/api/v1/meetings/{meeting_id}/rsvp", "/api/v1/units/{unit_id}/meetings",
                 "/api/v1/people/{user_id}/meetings", "/api/v1/notifications"):
        assert path in paths


def test_a_token_from_user_name_and_password_opens_the_api(client, people):
    r = client.post("/api/v1/auth/token", {"username": "lan", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 200
    token = r.json()["token"]

    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200
    assert me.json()["full_name"] == "Nguyễn Thị Lan"


def test_a_wrong_password_gives_no_token(client, people):
    r = client.post("/api/v1/auth/token", {"username": "lan", "password": "doan-bua"}, content_type="application/json")

    refused(r, 401, "bad_credentials")
    assert "token" not in r.json()


def test_an_unknown_token_is_not_signed_in(client, people):
    r = client.get("/api/v1/meetings", HTTP_AUTHORIZATION="Bearer ph_khong-hop-le")

    refused(r, 401, "unauthenticated")


def test_api_sign_ins_are_in_the_login_log_whether_they_succeed_or_not(client, people):
    client.post("/api/v1/auth/token", {"username": "lan", "password": PASSWORD}, content_type="application/json")
    client.post("/api/v1/auth/token", {"username": "lan", "password": "sai"}, content_type="application/json")

    records = list(LoginRecord.objects.order_by("at", "pk"))
    assert [(r.username, r.success, r.via) for r in records] == [("lan", True, "api"), ("lan", False, "api")]
    assert records[0].user == people["lan"]
    assert records[0].ip == "127.0.0.1"


def test_web_sign_ins_are_in_the_login_log_too(client, people):
    assert client.login(username="hoa", password=PASSWORD)
    assert not client.login(username="hoa", password="sai-roi")

    records = list(LoginRecord.objects.order_by("at", "pk"))
    assert [(r.username, r.success, r.via) for r in records] == [("hoa", True, "web"), ("hoa", False, "web")]


def test_the_browser_session_works_for_reading(client, people):
    client.force_login(people["lan"])

    assert client.get("/api/v1/me").json()["username"] == "lan"


def test_a_session_write_without_the_csrf_token_is_refused(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["lan"])

    r = browser.post("/api/v1/meetings", meeting_payload(), content_type="application/json")

    refused(r, 403, "csrf_failed")


def test_a_session_write_with_the_csrf_token_goes_through(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["lan"])
    secret = "k" * 32
    browser.cookies[settings.CSRF_COOKIE_NAME] = secret

    r = browser.post("/api/v1/meetings", meeting_payload(), content_type="application/json", HTTP_X_CSRFTOKEN=secret)

    assert r.status_code == 201


def test_a_token_client_needs_no_csrf_token(people, api):
    # Other systems send a bearer token and never hold a session cookie.
    lan = api(people["lan"])
    lan.client = Client(enforce_csrf_checks=True)

    assert lan.post("/meetings", meeting_payload()).status_code == 201


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "1", path)


def test_anonymous_callers_get_401_on_every_endpoint(client, people):
    schema = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method in operations:
            if (path, method) == ("/api/v1/auth/token", "post"):
                continue
            url = _concrete(path)
            call = getattr(client, method)
            r = call(url, {}, content_type="application/json") if method in ("post", "patch", "put") else call(url)
            refused(r, 401, "unauthenticated")
            checked += 1
    assert checked >= 25


def test_anonymous_writes_get_401_even_where_csrf_is_enforced(people):
    browser = Client(enforce_csrf_checks=True)

    refused(browser.post("/api/v1/meetings", meeting_payload(), content_type="application/json"), 401, "unauthenticated")


def test_invalid_data_is_reported_as_422_with_the_field(people, api):
    r = api(people["lan"]).post("/meetings", {"title": "Thiếu giờ họp"})

    error = refused(r, 422, "validation_error")
    assert error["field"] in ("start", "end")


def test_an_unknown_address_is_a_json_404(people, api):
    refused(api(people["lan"]).get("/cuoc-hop"), 404, "not_found")
    refused(api(None).post("/meetings/1/khong-co"), 404, "not_found")


def test_a_wrong_method_is_a_json_405_that_says_what_is_allowed(client, people):
    r = client.put("/api/v1/auth/token", {"username": "lan", "password": PASSWORD}, content_type="application/json")

    error = refused(r, 405, "method_not_allowed")
    assert r["Allow"] == "DELETE, POST"
    assert error["message"] == "Địa chỉ này không nhận phương thức PUT. Các phương thức được phép: DELETE, POST."


def test_a_wrong_method_is_refused_before_authentication(client, people, api):
    r = client.delete("/api/v1/meetings")
    refused(r, 405, "method_not_allowed")
    assert r["Allow"] == "GET, POST"

    r = client.put("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en", **api(people["lan"]).headers)
    assert refused(r, 405, "method_not_allowed")["message"] == (
        "This address does not accept the method PUT. Allowed: GET.")
    assert r["Allow"] == "GET"


def test_an_unknown_address_stays_404_whatever_the_method(client, people):
    assert client.head("/api/v1/khong-co").status_code == 404
    refused(client.options("/api/v1/khong-co"), 404, "not_found")


def test_an_unknown_meeting_is_404(people, api):
    refused(api(people["lan"]).get("/meetings/999999"), 404, "not_found")


ENGLISH = {
    "unauthenticated": "Please sign in or send a valid API token.",
    "not_found": "Not found, or you may not see it.",
    "forbidden_create": "You may not create meetings for this unit.",
}


def test_error_messages_are_vietnamese_once_the_catalogue_is_compiled(client, people, api):
    catalogue = settings.BASE_DIR / "frontend" / "locale" / "vi" / "LC_MESSAGES" / "django.mo"
    if not catalogue.exists():
        pytest.skip(f"Vietnamese catalogue not compiled yet ({catalogue} is missing): messages are still English")
    hoa = api(people["hoa"]).headers["HTTP_AUTHORIZATION"]

    def message(method, path, **extra):
        r = getattr(client, method)(f"/api/v1{path}", HTTP_ACCEPT_LANGUAGE="vi", **extra)
        return r.json()["error"]["message"]

    assert message("get", "/meetings") != ENGLISH["unauthenticated"]
    assert message("get", "/meetings/999999", HTTP_AUTHORIZATION=hoa) != ENGLISH["not_found"]
    assert message("post", "/meetings", data=meeting_payload(), content_type="application/json",
                   HTTP_AUTHORIZATION=hoa) != ENGLISH["forbidden_create"]


def test_english_is_available_on_request(client, people):
    # The English text is the message id; any other language proves the message went through translation.
    r = client.get("/api/v1/meetings", HTTP_ACCEPT_LANGUAGE="en")

    assert r.json()["error"]["message"] == ENGLISH["unauthenticated"]
