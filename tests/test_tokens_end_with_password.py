"""A new password or a deactivated account ends the person's API tokens, as it ends their web sessions;
a login that only re-hashes the password does not."""

from __future__ import annotations

import pytest
from api_helpers import fast_password_hashing  # noqa: F401
from django.test import Client
from django.urls import reverse
from personas import PASSWORD

from accounts.models import ApiToken
from meetings.models import AuditEntry

pytestmark = pytest.mark.django_db


def token_for(client, username: str) -> str:
    r = client.post("/api/v1/auth/token", {"username": username, "password": PASSWORD},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    return r.json()["token"]


def works(_client, token: str) -> bool:
    """The token alone, from a client without a session (the page's session would be let in anyway)."""
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_changing_the_password_on_the_page_ends_the_tokens(client, people):
    token = token_for(client, "hoa")
    assert works(client, token)
    client.force_login(people["hoa"])
    response = client.post(reverse("password-change"), {
        "old_password": PASSWORD, "new_password1": "Phong-hop-moi-2027", "new_password2": "Phong-hop-moi-2027",
    })
    assert response.status_code == 302
    assert not works(client, token)
    entry = AuditEntry.objects.get(action="token.revoke_all")
    assert entry.target == "hoa" and entry.data["reason"] == "password"


def test_deactivating_an_account_ends_its_tokens_but_not_other_peoples(client, people):
    hoa, binh = token_for(client, "hoa"), token_for(client, "binh")
    user = type(people["hoa"]).objects.get(pk=people["hoa"].pk)
    user.is_active = False
    user.save()
    assert not ApiToken.objects.filter(user=people["hoa"]).exists()
    assert works(client, binh) and not works(client, hoa)
    assert AuditEntry.objects.get(action="token.revoke_all").data["reason"] == "deactivated"


def test_other_changes_to_the_account_keep_the_tokens(client, people):
    token = token_for(client, "hoa")
    user = type(people["hoa"]).objects.get(pk=people["hoa"].pk)
    user.position = "Phó Giám đốc"
    user.save()
    user.check_password(PASSWORD)  # a login that may re-hash the password
    assert works(client, token)
    assert not AuditEntry.objects.filter(action="token.revoke_all").exists()
