"""A real ASGI server (Daphne) for browser tests, and helpers to launch Chromium and sign its pages in.

pytest-django's live_server speaks WSGI only; the live room needs WebSockets, so the tests start
``daphne config.asgi:application`` as a child process on the test database. Under SQLite the test
database is a file (settings: DATABASES TEST NAME), and ``transaction=True`` tests commit, so the
child sees what the test wrote. The child can be stopped and started again on the same port to
test reconnection.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from ports import DAPHNE_OPTIONS, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}

# Playwright's expect() gives up after 5 s by default; a busy CI machine (Daphne, Chromium and the test on
# two cores) can take longer to show what a quiet one shows at once. An expectation returns as soon as it
# holds, so a generous bound costs a passing run nothing.
EXPECT_MS = 20_000
try:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_MS)
except ImportError:  # the browser suites skip themselves without Playwright
    pass


def database_url() -> str:
    """The URL of the database this test process uses (the test database, not the real one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if "postgresql" in db["ENGINE"]:
        auth = quote(db.get("USER") or "")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"])
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{auth + '@' if auth else ''}{host}:{port}/{db['NAME']}"
    raise RuntimeError(f"no URL for database engine {db['ENGINE']}")


class DaphneServer:
    def __init__(self, port: int | None = None, log_dir: Path | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = (log_dir or settings.DATA_DIR) / f"daphne-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> DaphneServer:
        env = dict(
            os.environ,
            PHONGHOP_DATA_DIR=str(settings.DATA_DIR),
            DATABASE_URL=database_url(),
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONUNBUFFERED="1",
        )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port), *DAPHNE_OPTIONS, "config.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._log = log
        try:
            wait_for_port(self.port, self.process, timeout, output=self.log_tail)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        self._log.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def session_cookie(user, base_url: str) -> dict:
    """A signed-in session for ``user``, as a cookie Playwright can add to a browser context."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}


@contextmanager
def launch_chromium() -> Iterator:
    """Debian's Chromium through sync Playwright. That API runs an event loop in this thread: services
    that publish events (async_to_sync) must not run in the test process while it is open. Set the
    data up first, act through the pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_as(browser, server: DaphneServer, user, path: str, viewport=DESKTOP):
    """A page at ``path`` on ``server`` in a fresh browser context, signed in as ``user``."""
    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_cookies([session_cookie(user, server.url)])
    page = context.new_page()
    page.goto(server.url + path)
    return page


def sign_in(browser, base_url: str, user, viewport=DESKTOP, **context_options):
    """A page in a fresh browser context, signed in through the login form as a person does; its calendar shown."""
    from personas import PASSWORD
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  **context_options)
    page = context.new_page()
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Lịch họp của tôi")).to_be_visible()
    return page

