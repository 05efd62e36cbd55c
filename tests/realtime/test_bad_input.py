"""Bad input: each gets an error reply or a documented close; the server stays up and no state is harmed."""

import json

import pytest
from channels.routing import URLRouter
from django.urls import path
from rt_client import Client, db

from realtime.auth import TokenOrSessionAuthMiddleware
from realtime.consumers import MeetingConsumer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


class StrictWindows(MeetingConsumer):
    """The real limits, counted over an hour instead of 10 s, so the test does not depend on speed."""

    command_rate = (MeetingConsumer.command_rate[0], 3600.0)
    frame_rate = (MeetingConsumer.frame_rate[0], 3600.0)


def app_with(consumer):
    return TokenOrSessionAuthMiddleware(URLRouter([path("ws/meetings/<int:meeting_id>/", consumer.as_asgi())]))


async def error_code(client: Client) -> str:
    frame = await client.until(lambda f: f["type"] == "error")
    assert frame["error"]["message"]
    return frame["error"]["code"]


async def test_garbage_gets_an_error_and_the_socket_stays_open(running, connect):
    from realtime.snapshot import build

    hoa = await connect("hoa", running)
    before = await db(build)(running.pk, "members")
    await hoa.send_raw("{not json")
    assert await error_code(hoa) == "bad_message"
    await hoa.send_raw("[1, 2, 3]")
    assert await error_code(hoa) == "bad_message"
    await hoa.send({"type": "subscribe", "topic": "everything"})
    assert await error_code(hoa) == "bad_message"
    await hoa.send_raw(data=b"\x00\x01binary")
    assert await error_code(hoa) == "bad_message"
    await hoa.send({"type": "hello", "last_seq": "yesterday"})
    assert await error_code(hoa) == "bad_message"
    await hoa.send({"type": "command", "name": "checkin", "args": {"mode": "in_person"}})  # no id
    assert await error_code(hoa) == "bad_message"
    await hoa.send({"type": "command", "id": "x" * 65, "name": "checkin", "args": {}})
    assert await error_code(hoa) == "bad_message"
    # Still connected, still in sync, nothing changed.
    await hoa.send({"type": "ping"})
    pong = await hoa.until(lambda f: f["type"] == "pong")
    assert pong["server_time"] and pong["seq"] == hoa.seq
    assert await db(build)(running.pk, "members") == before
    assert (await hoa.ok("checkin", mode="in_person"))["seq"] == before[0] + 1


async def test_a_command_for_another_meeting_is_refused(running, connect):
    lan = await connect("lan", running)
    await lan.send({"type": "command", "id": "m-1", "meeting": running.pk + 1, "name": "floor.open", "args": {}})
    reply = await lan.until(lambda f: f["type"] == "reply")
    assert reply["error"]["code"] == "wrong_meeting"
    # Naming this meeting is fine.
    await lan.send({"type": "command", "id": "m-2", "meeting": running.pk, "name": "quorum.rule",
                    "args": {"rule": "none"}})
    assert (await lan.until(lambda f: f["type"] == "reply"))["ok"]


async def test_a_frame_over_64_kib_closes_the_socket_with_4413(running, connect):
    hoa = await connect("hoa", running)
    at_limit = json.dumps({"type": "ping", "pad": "x" * (64 * 1024 - 30)})
    assert len(at_limit.encode()) <= 64 * 1024
    await hoa.send_raw(at_limit)
    await hoa.until(lambda f: f["type"] == "pong")
    await hoa.send_raw(json.dumps({"type": "ping", "pad": "ư" * (33 * 1024)}))  # 2 bytes a letter in UTF-8
    assert await hoa.close_code() == 4413
    again = await connect("hoa", running)  # the server is fine
    assert again.state["meeting"]["id"] == running.pk


async def test_too_many_commands_are_refused_then_a_flood_is_cut_off(running, connect):
    app = app_with(StrictWindows)
    lan = await connect("lan", running, application=app)
    replies = [await lan.command("quorum.rule", rule=("none", "majority")[i % 2]) for i in range(21)]
    assert all(r["ok"] for r in replies[:20])
    assert replies[20]["error"]["code"] == "rate_limited"
    # The refused command did nothing; more frames of any kind, up to the flood limit, then 4429.
    for _ in range(60 - 22):
        await lan.send({"type": "ping"})
    await lan.send({"type": "ping"})
    assert await lan.close_code() == 4429
    other = await connect("hoa", running)
    assert other.state["live"]["quorum_rule"] == "majority"  # the 20th command's rule, not the 21st's


# Through a real Daphne: its own limits and routing, not only the consumer's -------------------------------

@pytest.fixture
def daphne():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
    from live_server import DaphneServer

    server = DaphneServer().start()
    yield server
    server.stop()


def close_code_of(url: str, frame: str | None = None, headers: dict | None = None) -> int | None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect as ws_connect

    # Generous bounds for a slow machine: the answer is a close code, never a timing.
    with ws_connect(url, additional_headers=headers or {}, open_timeout=30, close_timeout=30,
                    max_size=None) as ws:
        if frame is not None:
            ws.send(frame)
        try:
            while True:
                ws.recv(timeout=30)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


def test_a_socket_path_that_matches_no_route_is_closed_4404_without_a_traceback(daphne):
    base = f"ws://127.0.0.1:{daphne.port}"
    origin = {"Origin": f"http://127.0.0.1:{daphne.port}"}
    for wrong in ("/ws/meetings/abc/", "/ws/meetings/", "/ws/nothing/here/"):
        assert close_code_of(base + wrong, headers=origin) == 4404, wrong
    log = daphne.log_tail(400)
    assert "Traceback" not in log and "No route found" not in log


def test_a_2_mb_frame_through_daphne_is_closed_4413(daphne, room, people):
    from accounts.models import ApiToken

    raw = ApiToken.issue(people["hoa"], "test")[1]
    url = f"ws://127.0.0.1:{daphne.port}/ws/meetings/{room.pk}/?token={raw}"
    big = json.dumps({"type": "ping", "pad": "x" * (2 * 1024 * 1024)})  # over Daphne's own 1 MiB default too
    assert close_code_of(url, big) == 4413
    medium = json.dumps({"type": "ping", "pad": "x" * (100 * 1024)})  # over ours, under Daphne's default
    assert close_code_of(url, medium) == 4413
    assert "Traceback" not in daphne.log_tail(400)


def test_frames_to_the_client_may_be_larger_than_frames_from_it(daphne, room, people):
    """The 64 KiB limit is on what clients send: a large meeting's snapshot still goes out through Daphne."""
    from websockets.sync.client import connect as ws_connect

    from accounts.models import ApiToken
    from meetings.services import agenda

    for n in range(120):
        agenda.add_item(people["lan"], room, title=f"{n}. " + "Báo cáo tình hình kinh tế - xã hội " * 12)
    raw = ApiToken.issue(people["hoa"], "test")[1]
    with ws_connect(f"ws://127.0.0.1:{daphne.port}/ws/meetings/{room.pk}/?token={raw}", open_timeout=30,
                    max_size=None) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": 0}))
        frame = ws.recv(timeout=30)
        assert json.loads(frame)["type"] == "snapshot" and len(frame.encode()) > 64 * 1024


async def test_the_application_refuses_an_unrouted_socket_with_4404():
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/meetings/abc/",
                                         headers=[(b"origin", b"http://testserver")])
    connected, code = await communicator.connect()
    if connected:  # accepted, then closed with the code
        code = (await communicator.receive_output())["code"]
    assert code == 4404
