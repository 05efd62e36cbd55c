"""Sessions and headers: the Content-Security-Policy and friends on every response, no inline script in any
template, secure cookies and HSTS in production, and a login that does not tell who has an account.
(The pages running under the policy in Chromium: tests/browser/test_csp.py.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import base_user
from personas import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


def test_pages_and_the_api_carry_the_policy(client, people):
    client.force_login(people["hoa"])
    for path in ("/", "/login/", "/api/v1/me", "/healthz"):
        response = client.get(path)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=(self)" in response["Permissions-Policy"]


TEMPLATE_DIRS = [p for p in ROOT.glob("*/templates") if ".venv" not in p.parts] + \
    [p for p in ROOT.glob("*/*/templates") if ".venv" not in p.parts]


def test_no_template_has_inline_script_event_handlers_or_style_attributes():
    templates = [t for d in TEMPLATE_DIRS for t in d.rglob("*.html")]
    assert len(templates) > 20
    for template in templates:
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            assert "src=" in tag or 'type="application/json"' in tag, (template, tag)
        assert not re.search(r"\son[a-z]+\s*=\s*[\"']", text), template  # onclick="..." and friends
        assert not re.search(r"\sstyle\s*=\s*[\"']", text), template
        assert "javascript:" not in text, template


def production_settings(**extra: str) -> dict:
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
            "getattr(s, k, None) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
            "'SESSION_COOKIE_SAMESITE', 'LANGUAGE_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', "
            "'X_FRAME_OPTIONS', 'LOG_FORMAT']}))")
    env = {**os.environ, "PHONGHOP_PRODUCTION": "true", "SECRET_KEY": "k" * 50,
           "DJANGO_SETTINGS_MODULE": "config.settings", **extra}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_production_turns_on_secure_cookies_hsts_and_json_logs():
    found = production_settings()
    assert found["SESSION_COOKIE_SECURE"] and found["CSRF_COOKIE_SECURE"] and found["LANGUAGE_COOKIE_SECURE"]
    assert found["SESSION_COOKIE_HTTPONLY"] and found["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert found["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert found["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert found["X_FRAME_OPTIONS"] == "DENY" and found["LOG_FORMAT"] == "json"


def test_hsts_only_over_tls(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "Strict-Transport-Security" not in client.get("/login/")
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"] == "max-age=31536000"


def test_the_session_cookie_is_secure_httponly_and_lax_in_production(client, people, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    response = client.post("/login/", {"username": "lan", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


# Who has an account: the login says nothing ------------------------------------------------------------------

@pytest.fixture
def hashing(monkeypatch):
    """Counts the password hashes computed: the work that makes a check slow, the same for everyone."""
    counted = {"hashes": 0}
    make, check = base_user.make_password, base_user.check_password

    def counting_make(*args, **kwargs):
        counted["hashes"] += 1
        return make(*args, **kwargs)

    def counting_check(*args, **kwargs):
        counted["hashes"] += 1
        return check(*args, **kwargs)

    monkeypatch.setattr(base_user, "make_password", counting_make)
    monkeypatch.setattr(base_user, "check_password", counting_check)
    return counted


def _web_attempt(client, username: str, hashing) -> tuple[int, str, int]:
    before = hashing["hashes"]
    response = client.post("/login/", {"username": username, "password": "doan-mo-sai"})
    errors = " ".join(response.context["form"].non_field_errors())
    assert errors in response.content.decode()  # shown on the page
    return response.status_code, errors, hashing["hashes"] - before


def test_the_login_page_answers_an_unknown_name_as_a_wrong_password(client, people, hashing):
    from accounts.models import User

    User.objects.filter(username="binh").update(is_active=False)
    known = _web_attempt(client, "lan", hashing)
    unknown = _web_attempt(client, "khong-ai-ca", hashing)
    disabled = _web_attempt(client, "binh", hashing)
    assert known[0] == unknown[0] == disabled[0] == 200
    assert known[1] and known[1] == unknown[1] == disabled[1]  # the same words
    assert known[2] == unknown[2] == disabled[2] == 1  # one password hash each: the same work, the same time


def test_the_token_endpoint_answers_an_unknown_name_as_a_wrong_password(client, people, hashing):
    def attempt(username):
        before = hashing["hashes"]
        response = client.post("/api/v1/auth/token", {"username": username, "password": "doan-mo-sai"},
                               content_type="application/json")
        return response.status_code, response.json(), hashing["hashes"] - before

    known, unknown = attempt("lan"), attempt("khong-ai-ca")
    assert known == unknown
    assert known[0] == 401 and known[1]["error"]["code"] == "bad_credentials" and known[2] == 1
