"""API tokens: they expire, their owner lists and revokes them, and nobody else can touch them.

lan is a program's user who signs in with her password; hoa is another person whose token ids lan
must not be able to find."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import fast_password_hashing, refused  # noqa: F401
from django.test import Client
from django.utils import timezone
from personas import PASSWORD

from accounts.models import ApiToken
from meetings.models import AuditEntry

pytestmark = pytest.mark.django_db


def sign_in(client, username="lan", **extra):
    r = client.post("/api/v1/auth/token", {"username": username, "password": PASSWORD, **extra},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    return r.json()


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def expire(token_id: int) -> None:
    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


# Expiry ------------------------------------------------------------------------------------------

def test_a_new_token_says_when_it_expires_30_days_on_by_default(client, people):
    issued = sign_in(client)

    expires = dt.datetime.fromisoformat(issued["expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(days=30))) < dt.timedelta(minutes=1)


def test_the_lifetime_follows_the_setting(client, people, settings):
    settings.PHONGHOP_API_TOKEN_DAYS = 7

    expires = dt.datetime.fromisoformat(sign_in(client)["expires_at"])

    assert abs(expires - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)


def test_an_expired_token_is_refused_and_told_so_in_vietnamese(client, people):
    issued = sign_in(client)
    expire(issued["id"])

    r = client.get("/api/v1/me", **bearer(issued["token"]))

    error = refused(r, 401, "token_expired")
    assert "hết hạn" in error["message"]


def test_an_expired_token_is_told_so_in_english_on_request(client, people):
    issued = sign_in(client)
    expire(issued["id"])

    r = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en", **bearer(issued["token"]))

    assert refused(r, 401, "token_expired")["message"].startswith("This API token has expired.")


def test_a_token_still_valid_works_until_its_last_moment(client, people):
    issued = sign_in(client)
    ApiToken.objects.filter(pk=issued["id"]).update(expires_at=timezone.now() + dt.timedelta(minutes=1))

    assert client.get("/api/v1/me", **bearer(issued["token"])).status_code == 200


def test_an_expired_token_opens_no_page_image_either(client, people):
    issued = sign_in(client)
    expire(issued["id"])

    refused(client.get("/documents/1/v1/pages/1.jpg", **bearer(issued["token"])), 401, "unauthenticated")


# Listing -----------------------------------------------------------------------------------------

def test_the_owner_lists_her_tokens_without_their_keys(client, people):
    first = sign_in(client, name="lich-tuan")
    second = sign_in(client, name="bao-cao")
    sign_in(client, username="hoa")

    r = client.get("/api/v1/auth/tokens", **bearer(second["token"]))

    assert r.status_code == 200
    tokens = r.json()
    assert [(t["id"], t["name"], t["current"]) for t in tokens] == [
        (second["id"], "bao-cao", True), (first["id"], "lich-tuan", False)]
    assert tokens[1]["prefix"] == first["token"][:8]
    assert tokens[1]["expired"] is False and tokens[1]["expires_at"] == first["expires_at"]
    for raw in (first["token"], second["token"]):
        assert raw not in r.content.decode()
        assert raw[8:] not in r.content.decode()


def test_the_list_says_on_which_day_a_token_was_last_used_and_no_more(client, people):
    """The day only (docs/voting.md, "What each can learn"): a time to the minute beside the person could be
    joined with the server's access log. Written once a day."""
    from accounts.models import used_on

    issued = sign_in(client)
    other = sign_in(client)

    def last_used():
        listed = client.get("/api/v1/auth/tokens", **bearer(other["token"])).json()
        value = next(t["last_used_at"] for t in listed if t["id"] == issued["id"])
        return value and dt.datetime.fromisoformat(value)

    assert last_used() is None
    client.get("/api/v1/me", **bearer(issued["token"]))
    first_use = last_used()
    assert first_use == used_on(timezone.now())
    local = timezone.localtime(first_use)
    assert (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)

    # Used again the same day: nothing is written.
    before = ApiToken.objects.filter(pk=issued["id"]).values_list("last_used_at", flat=True).get()
    client.get("/api/v1/me", **bearer(issued["token"]))
    assert ApiToken.objects.filter(pk=issued["id"]).values_list("last_used_at", flat=True).get() == before

    # A day later it is noted again, still as a day.
    ApiToken.objects.filter(pk=issued["id"]).update(last_used_at=first_use - dt.timedelta(days=1))
    client.get("/api/v1/me", **bearer(issued["token"]))
    assert last_used() == first_use


def test_expired_tokens_are_listed_as_expired(client, people):
    old = sign_in(client)
    current = sign_in(client)
    expire(old["id"])

    tokens = {t["id"]: t for t in client.get("/api/v1/auth/tokens", **bearer(current["token"])).json()}

    assert tokens[old["id"]]["expired"] is True
    assert tokens[current["id"]]["expired"] is False


def test_a_browser_session_lists_tokens_too(client, people):
    sign_in(client)
    browser = Client()
    browser.force_login(people["lan"])

    tokens = browser.get("/api/v1/auth/tokens").json()

    assert len(tokens) == 1 and tokens[0]["current"] is False


# Revoking ----------------------------------------------------------------------------------------

def test_signing_out_revokes_the_token_the_request_is_sent_with(client, people):
    kept = sign_in(client)
    issued = sign_in(client)

    r = client.delete("/api/v1/auth/token", **bearer(issued["token"]))

    assert r.status_code == 204
    refused(client.get("/api/v1/me", **bearer(issued["token"])), 401, "unauthenticated")
    assert client.get("/api/v1/me", **bearer(kept["token"])).status_code == 200


def test_a_session_has_no_token_to_revoke(people):
    browser = Client()
    browser.force_login(people["lan"])

    refused(browser.delete("/api/v1/auth/token"), 400, "no_token")


def test_anonymous_callers_revoke_nothing(client, people):
    refused(client.delete("/api/v1/auth/token"), 401, "unauthenticated")
    refused(client.delete("/api/v1/auth/token", **bearer("ph_khong-co")), 401, "unauthenticated")


def test_the_owner_revokes_one_of_her_tokens_by_id(client, people):
    lost = sign_in(client, name="may-tinh-cu")
    current = sign_in(client)

    r = client.delete(f"/api/v1/auth/tokens/{lost['id']}", **bearer(current["token"]))

    assert r.status_code == 204
    refused(client.get("/api/v1/me", **bearer(lost["token"])), 401, "unauthenticated")
    assert [t["id"] for t in client.get("/api/v1/auth/tokens", **bearer(current["token"])).json()] == [current["id"]]


def test_someone_elses_token_id_is_not_found_and_keeps_working(client, people):
    hoa = sign_in(client, username="hoa")
    lan = sign_in(client)

    r = client.delete(f"/api/v1/auth/tokens/{hoa['id']}", **bearer(lan["token"]))

    error = refused(r, 404, "not_found")
    assert error == refused(client.delete("/api/v1/auth/tokens/999999", **bearer(lan["token"])), 404, "not_found")
    assert client.get("/api/v1/me", **bearer(hoa["token"])).json()["username"] == "hoa"


def test_even_a_system_administrator_revokes_only_their_own_tokens_through_the_api(client, people):
    hoa = sign_in(client, username="hoa")
    root = sign_in(client, username="root")

    refused(client.delete(f"/api/v1/auth/tokens/{hoa['id']}", **bearer(root["token"])), 404, "not_found")


def test_revoking_is_in_the_audit_trail(client, people):
    lost = sign_in(client, name="may-tinh-cu")
    current = sign_in(client)

    client.delete(f"/api/v1/auth/tokens/{lost['id']}", **bearer(current["token"]))
    client.delete("/api/v1/auth/token", **bearer(current["token"]))

    entries = list(AuditEntry.objects.filter(action="token.revoke").order_by("pk"))
    assert [(e.actor, e.data["token_id"], e.data["owner"]) for e in entries] == [
        (people["lan"], lost["id"], "lan"), (people["lan"], current["id"], "lan")]
    assert "may-tinh-cu" in entries[0].target


def test_an_expired_token_cannot_revoke_anything(client, people):
    old = sign_in(client)
    other = sign_in(client)
    expire(old["id"])

    refused(client.delete(f"/api/v1/auth/tokens/{other['id']}", **bearer(old["token"])), 401, "token_expired")
    assert client.get("/api/v1/me", **bearer(other["token"])).status_code == 200


def test_an_administrator_deletes_a_token_in_the_admin_and_it_is_audited(client, people):
    hoa = sign_in(client, username="hoa")
    admin = Client()
    admin.force_login(people["root"])

    r = admin.post(f"/admin/accounts/apitoken/{hoa['id']}/delete/", {"post": "yes"})

    assert r.status_code == 302
    refused(client.get("/api/v1/me", **bearer(hoa["token"])), 401, "unauthenticated")
    entry = AuditEntry.objects.get(action="token.revoke")
    assert (entry.actor, entry.data["owner"]) == (people["root"], "hoa")


def test_someone_without_admin_access_cannot_delete_tokens_there(client, people):
    hoa = sign_in(client, username="hoa")
    lan = Client()
    lan.force_login(people["lan"])

    r = lan.post(f"/admin/accounts/apitoken/{hoa['id']}/delete/", {"post": "yes"})

    assert r.status_code == 302 and "/login/" in r["Location"]
    assert client.get("/api/v1/me", **bearer(hoa["token"])).status_code == 200
    assert not AuditEntry.objects.filter(action="token.revoke").exists()
