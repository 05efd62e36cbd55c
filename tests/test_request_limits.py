"""Bounded request bodies (config/request_limits.py, config/daphne_limits.py): a body over its route's limit is
refused (413, our JSON error) before it is read, anonymous or signed in; a chunked one is cut off at the limit.

The real-server tests talk to a Daphne child over a raw socket and send only the headers of a 200 MB upload:
the answer arriving while the body was never sent is the proof that nothing waited for (or stored) it."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
from live_server import DaphneServer  # noqa: E402

from config.request_limits import BoundedRequests, body_limit  # noqa: E402

MB = 1024 * 1024
UPLOAD = "/api/v1/meetings/1/documents"


# The rule ---------------------------------------------------------------------------------------------

def test_uploads_take_the_pdf_cap_and_everything_else_the_small_limit(settings):
    settings.PHONGHOP_PDF_MAX_BYTES = 100 * MB
    settings.PHONGHOP_MAX_REQUEST_BYTES = MB
    assert body_limit(UPLOAD) == 101 * MB
    assert body_limit("/api/v1/documents/7/versions") == 101 * MB
    assert body_limit("/api/v1/meetings/1/agenda") == MB
    assert body_limit("/accounts/login/") == MB
    assert body_limit("/api/v1/meetings/1/documents/requests") == MB


# The ASGI middleware ------------------------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.sent: list[dict] = []
        self.app_called = False

    async def send(self, message):
        self.sent.append(message)

    @property
    def status(self):
        return self.sent[0]["status"]

    @property
    def body(self):
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))


def scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict:
    return {"type": "http", "method": "POST", "path": path, "headers": headers, "query_string": b""}


async def test_a_declared_200_mb_upload_is_refused_without_reading_the_body():
    recorder = Recorder()

    async def receive():
        raise AssertionError("the body was read")

    async def app(scope, receive, send):
        recorder.app_called = True

    await BoundedRequests(app)(scope(UPLOAD, [(b"content-length", str(200 * MB).encode())]), receive, recorder.send)
    assert not recorder.app_called
    assert recorder.status == 413
    assert recorder.body["error"]["code"] == "too_large"
    assert "MB" in recorder.body["error"]["message"]


async def test_a_chunked_body_is_cut_off_at_the_limit(settings):
    settings.PHONGHOP_MAX_REQUEST_BYTES = MB
    recorder = Recorder()
    chunk = b"x" * (256 * 1024)
    pulled = 0

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}  # never ends

    async def app(scope, receive, send):  # reads everything, as Django's handler does
        while (await receive())["type"] == "http.request":
            pass

    await BoundedRequests(app)(scope("/api/v1/meetings", []), receive, recorder.send)
    assert pulled == MB // len(chunk) + 1  # the chunk that crossed the limit was the last one read
    assert recorder.status == 413 and recorder.body["error"]["code"] == "too_large"


async def test_a_body_within_the_limit_reaches_the_application():
    recorder = Recorder()
    messages = [{"type": "http.request", "body": b'{"a": 1}', "more_body": False}]

    async def receive():
        return messages.pop(0)

    async def app(scope, receive, send):
        body = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    await BoundedRequests(app)(scope("/api/v1/meetings", [(b"content-length", b"8")]), receive, recorder.send)
    assert recorder.status == 200 and recorder.body == {"a": 1}


# Django behind it: a JSON body over Django's own in-memory cap ---------------------------------------------

@pytest.mark.django_db
def test_a_3_mb_json_body_is_a_json_413_not_a_500(api, people, settings):
    settings.PHONGHOP_MAX_REQUEST_BYTES = 10 * MB  # let it past the ASGI layer: Django's cap (2.5 MB) decides
    lan = api(people["lan"])
    response = lan.client.post("/api/v1/meetings", data=json.dumps({"title": "x" * (3 * MB)}),
                               content_type="application/json", **lan.headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert response.json()["error"]["message"] == "Yêu cầu quá lớn."


# A real Daphne ---------------------------------------------------------------------------------------------

@pytest.fixture
def daphne(transactional_db):
    server = DaphneServer().start()
    yield server
    server.stop()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def answer(sock: socket.socket) -> tuple[int, dict]:
    """Read one HTTP response (the server closes after it)."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    return int(head.split()[1]), json.loads(body)


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


def post_headers(server: DaphneServer, path: str, extra: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)  # generous: a slow machine
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
    return sock


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_daphne_answers_a_declared_200_mb_upload_413_before_the_body(daphne, people, signed_in):
    auth = ""
    if signed_in:
        from accounts.models import ApiToken

        auth = f"Authorization: Bearer {ApiToken.issue(people['lan'], 'test')[1]}\r\n"
    before = rss_kib(daphne.process.pid)
    sock = post_headers(daphne, UPLOAD, f"{auth}Content-Type: multipart/form-data; boundary=x\r\n"
                                        f"Content-Length: {200 * MB}\r\n")
    with sock:
        status, body = answer(sock)  # the body was never sent: only the headers were needed
        assert status == 413 and body["error"]["code"] == "too_large"
        # What the client sends anyway is thrown away, not stored.
        try:
            for _ in range(64):
                sock.sendall(b"\0" * (256 * 1024))
        except OSError:
            pass  # the server closed first: fine too
    assert rss_kib(daphne.process.pid) - before < 8 * 1024  # KiB: nothing like the 16 MB sent was kept
    assert "Traceback" not in daphne.log_tail(200)


def test_a_client_that_waits_for_100_continue_gets_the_413_instead(daphne):
    sock = post_headers(daphne, UPLOAD, f"Content-Type: multipart/form-data; boundary=x\r\n"
                                        f"Content-Length: {200 * MB}\r\nExpect: 100-continue\r\n")
    with sock:
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in data


def test_daphne_cuts_off_a_chunked_body_at_the_limit(daphne):
    sock = post_headers(daphne, "/api/v1/auth/token", "Content-Type: application/json\r\n"
                                                      "Transfer-Encoding: chunked\r\n")
    with sock:
        chunk = 64 * 1024
        try:
            for _ in range(2 * MB // chunk):
                sock.sendall(b"%x\r\n" % chunk + b" " * chunk + b"\r\n")
        except OSError:
            pass  # refused mid-way and closed
        status, body = answer(sock)
    assert status == 413 and body["error"]["code"] == "too_large"


def test_daphne_answers_a_3_mb_json_body_with_a_json_413(daphne):
    sock = post_headers(daphne, "/api/v1/meetings", f"Content-Type: application/json\r\n"
                                                    f"Content-Length: {3 * MB}\r\n")
    with sock:
        status, body = answer(sock)
    assert status == 413
    assert body["error"] == {"code": "too_large", "message": "Yêu cầu vượt giới hạn 1 MB của địa chỉ này."}


def test_daphne_still_takes_a_small_json_body(daphne):
    payload = json.dumps({"username": "nobody", "password": "wrong"}).encode()
    sock = post_headers(daphne, "/api/v1/auth/token", f"Content-Type: application/json\r\n"
                                                      f"Content-Length: {len(payload)}\r\nConnection: close\r\n")
    with sock:
        sock.sendall(payload)
        status, body = answer(sock)
    assert status == 401 and body["error"]["code"] == "bad_credentials"  # it reached the API and was read
