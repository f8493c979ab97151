"""WebSocket side of the emulator: auth, ping/pong, fan-out, relays, presence, faults, restart."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import pytest
import requests
import websocket

from cometchat_sync.testing.emulator import AUTH_FAILED_CODE
from cometchat_sync.testing.emulator import Emulator


def _auth_frame(emu, uid, jwt, resource="R"):
    return {
        "appId": emu.app_id,
        "deviceId": resource,
        "type": "auth",
        "sender": uid,
        "body": {"auth": jwt, "deviceId": resource},
    }


def test_auth_ok_ping_pong_and_frames_from(kit, emu):
    ws = kit.ws("superhero1", "R1")
    assert emu.socket_count("superhero1") == 1 and emu.auth_count("superhero1") == 1
    ws.send({"action": "ping", "ack": "true"})
    assert ws.recv() == {"action": "pong"}
    frames = emu.frames_from("superhero1")
    assert frames[0]["type"] == "auth" and frames[-1] == {"action": "ping", "ack": "true"}

    emu.drop_pongs(True)
    start = len(emu.frames_from("superhero1"))
    ws.send({"action": "ping", "ack": "true"})
    assert emu.wait_for_frame("superhero1", lambda f: f.get("action") == "ping", start=start)
    kit.marker(ws)  # the next frame is the marker: no pong was sent
    emu.drop_pongs(False)
    ws.send({"action": "ping", "ack": "true"})
    assert ws.recv() == {"action": "pong"}
    # unknown frames and junk are ignored, the socket stays up
    ws.sock.send("not json")
    ws.send({"type": "whatever", "body": {}})
    ws.send({"action": "ping"})
    assert ws.recv() == {"action": "pong"}


@pytest.mark.parametrize("case", ["bad-jwt", "auth-token", "not-auth-first", "binary", "revoked"])
def test_bad_auth_closes_4001(kit, emu, case):
    me = kit.login("superhero1")
    ws = kit.raw_ws()
    if case == "bad-jwt":
        ws.send(json.dumps(_auth_frame(emu, "superhero1", me["jwt"][:-4] + "AAAA")))
    elif case == "auth-token":
        ws.send(json.dumps(_auth_frame(emu, "superhero1", me["authToken"])))
    elif case == "not-auth-first":
        ws.send(json.dumps({"action": "ping"}))
    elif case == "binary":
        ws.send_binary(json.dumps(_auth_frame(emu, "superhero1", me["jwt"])).encode())
    else:
        kit.ok("DELETE", "me", token=me["authToken"])
        ws.send(json.dumps(_auth_frame(emu, "superhero1", me["jwt"])))
    assert kit.wrap(ws).recv_close() == (AUTH_FAILED_CODE, "AUTH_FAILED")
    assert AUTH_FAILED_CODE == 4001
    assert emu.auth_count("superhero1") == 0


def test_reject_auth_hook_and_auth_timeout(no_thread_leak, make_kit):
    with Emulator(auth_timeout=0.2) as emu:
        kit = make_kit(emu)
        jwt = kit.login("superhero2")["jwt"]
        emu.reject_auth(True)
        raw = kit.raw_ws()
        raw.send(json.dumps(_auth_frame(emu, "superhero2", jwt)))
        assert kit.wrap(raw).recv_close() == (4001, "AUTH_FAILED")
        emu.reject_auth(False)
        kit.ws("superhero2", jwt=jwt)
        assert emu.auth_count("superhero2") == 1
        assert kit.wrap(kit.raw_ws()).recv_close() == (1008, "AUTH_TIMEOUT")


def test_rest_message_reaches_every_socket_of_receiver_and_sender(kit, emu):
    a1 = kit.ws("superhero1", "A1")
    a2 = kit.ws("superhero1", "A2")
    b1 = kit.ws("superhero2", "B1")
    b2 = kit.ws("superhero2", "B2")
    other = kit.ws("superhero3", "C1")
    sent = kit.ok(
        "POST",
        "messages",
        uid="superhero1",
        resource="A1",
        body={
            "receiver": "superhero2",
            "receiverType": "user",
            "category": "message",
            "type": "text",
            "data": {"text": "hello"},
            "text": "hello",
        },
    )
    for ws in (a1, a2, b1, b2):
        frame = ws.recv()
        assert frame["type"] == "message"
        assert frame["deviceId"] == "A1"
        assert frame["appId"] == emu.app_id
        assert (frame["sender"], frame["receiver"], frame["receiverType"]) == (
            "superhero1",
            "superhero2",
            "user",
        )
        assert frame["body"] == sent
    kit.marker(other)  # a third party got nothing

    # the helper behaves the same, stamping the given resource
    msg = emu.send_message("superhero2", "superhero1", "back", resource="B2")
    for ws in (a1, a2, b1, b2):
        frame = ws.recv()
        assert frame["deviceId"] == "B2" and frame["body"]["id"] == msg["id"]


def test_typing_receipts_transient_relay(kit, emu):
    a1 = kit.ws("superhero1", "A1")
    a2 = kit.ws("superhero1", "A2")
    b = kit.ws("superhero2", "B1")
    envelope = {
        "appId": emu.app_id,
        "receiver": "superhero2",
        "receiverType": "user",
        "deviceId": "A1",
    }

    a1.send(
        {
            **envelope,
            "type": "typing_indicator",
            "sender": "superhero1",
            "body": {"action": "started", "user": {"uid": "superhero1"}},
        }
    )
    for ws in (b, a2):
        f = ws.recv()
        assert f["type"] == "typing_indicator" and f["deviceId"] == "A1"
        assert f["sender"] == "superhero1" and f["receiver"] == "superhero2"
        assert f["body"]["action"] == "started"
    kit.marker(a1)  # not echoed to the origin socket

    msg = emu.send_message("superhero1", "superhero2", "read me", resource="A1")
    for ws in (a1, a2, b):
        assert ws.recv()["body"]["id"] == msg["id"]
    b.send(
        {
            "appId": emu.app_id,
            "receiver": "superhero1",
            "receiverType": "user",
            "deviceId": "B1",
            "type": "receipts",
            "sender": "superhero2",
            "messageSender": "superhero1",
            "body": {"action": "read", "messageId": msg["id"], "user": {"uid": "superhero2"}},
        }
    )
    for ws in (a1, a2):
        f = ws.recv()
        assert f["type"] == "receipts" and f["deviceId"] == "B1" and f["sender"] == "superhero2"
        assert f["body"]["messageId"] == msg["id"]
        assert abs(f["body"]["timestamp"] - time.time()) < 5
    kit.marker(b)

    a2.send(
        {
            **envelope,
            "deviceId": "A2",
            "type": "transient_message",
            "sender": "superhero1",
            "body": {"data": {"x": 1}},
        }
    )
    for ws in (b, a1):
        f = ws.recv()
        assert f["type"] == "transient_message" and f["deviceId"] == "A2"
        assert f["body"] == {"data": {"x": 1}}

    # group relay: every member but the origin socket; a non-member's frame is dropped
    kit.ok("POST", "groups", uid="superhero1", body={"guid": "g1", "name": "G"})
    kit.ok("POST", "groups/g1/members", uid="superhero2")
    for ws in (a1, a2, b):
        assert ws.recv()["body"]["data"]["action"] == "joined"
    c = kit.ws("superhero3", "C1")
    c.send(
        {
            "appId": emu.app_id,
            "receiver": "g1",
            "receiverType": "group",
            "type": "typing_indicator",
            "body": {"action": "started"},
        }
    )
    b.send(
        {
            "appId": emu.app_id,
            "receiver": "g1",
            "receiverType": "group",
            "type": "typing_indicator",
            "body": {"action": "ended"},
        }
    )
    for ws in (a1, a2):
        f = ws.recv()
        assert f["receiver"] == "g1" and f["sender"] == "superhero2"
        assert f["body"]["action"] == "ended"
    kit.marker(b)
    kit.marker(c)


def test_presence_online_offline_by_subscription(kit, emu):
    watcher = kit.ws("superhero2", "W", subscription="ALL_USERS")
    by_role = kit.ws("superhero3", "R", subscription="ROLES", roles=["default"])
    wrong_role = kit.ws("superhero4", "X", subscription="ROLES", roles=["admin"])
    unsubscribed = kit.ws("superhero5", "N")

    first = kit.ws("superhero1", "P1")
    for ws in (watcher, by_role):
        # users that connected after the watcher came online first
        f = ws.recv_until(lambda f: f.get("sender") == "superhero1")
        assert f["type"] == "presence" and f["sender"] == "superhero1" and f["deviceId"] == "P1"
        assert f["body"]["action"] == "online"
        assert f["body"]["user"]["uid"] == "superhero1"
        assert f["body"]["user"]["status"] == "online"
        assert abs(f["body"]["timestamp"] - time.time()) < 5
    second = kit.ws("superhero1", "P2")  # not the first socket: no new presence
    assert kit.ok("GET", "users/superhero1", uid="superhero2")["status"] == "online"
    second.close()
    assert emu.wait_for_sockets("superhero1", 1)
    kit.marker(watcher)
    first.close()
    assert emu.wait_for_sockets("superhero1", 0)
    for ws in (watcher, by_role):
        f = ws.recv()
        assert f["type"] == "presence" and f["body"]["action"] == "offline"
        assert f["body"]["user"]["status"] == "offline"
    for ws in (wrong_role, unsubscribed):
        kit.marker(ws)
    assert kit.ok("GET", "users/superhero1", uid="superhero2")["status"] == "offline"


def test_close_sockets_with_code_and_push_raw(kit, emu):
    a = kit.ws("superhero1", "A")
    b = kit.ws("superhero1", "B")
    watcher = kit.ws("superhero2", "W", subscription="ALL_USERS")
    assert emu.push_raw("superhero1", b"\x00\x01binary") == 2
    for ws in (a, b):
        ws.sock.settimeout(5)
        opcode, data = ws.sock.recv_data()
        assert opcode == websocket.ABNF.OPCODE_BINARY and data == b"\x00\x01binary"
    assert emu.push_raw("superhero1", "{not json") == 2
    for ws in (a, b):
        assert ws.sock.recv() == "{not json"

    assert emu.close_sockets("superhero1", 4321, "kicked") == 2
    assert emu.socket_count("superhero1") == 0
    for ws in (a, b):
        assert ws.recv_close() == (4321, "kicked")
    assert watcher.recv()["body"]["action"] == "offline"
    assert emu.close_sockets("superhero1") == 0

    c = kit.ws("superhero1", "C")
    assert emu.close_sockets("superhero1", 1006) == 1  # abort: no close frame
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        c.recv()
    assert emu.auth_count("superhero1") == 3


def test_wait_for_sockets_is_bounded(kit, emu):
    t0 = time.monotonic()
    assert emu.wait_for_sockets("superhero1", 1, timeout=0.1) is False
    assert time.monotonic() - t0 < 1
    kit.ws("superhero1")
    assert emu.wait_for_sockets("superhero1", 1, timeout=1)


def test_restart_keeps_ports_users_tokens_messages(no_thread_leak, make_kit):
    emu = Emulator()
    kit = make_kit(emu)
    try:
        emu.start()
        port, ws_port = emu.port, emu.ws_port
        emu.create_user("dora", "Dora")
        me = kit.login("dora", "D1")
        ws = kit.ws("dora", "D1", jwt=me["jwt"])
        sent = emu.send_message("superhero1", "dora", "before the crash")
        assert ws.recv()["body"]["id"] == sent["id"]

        t0 = time.monotonic()
        emu.stop()
        assert time.monotonic() - t0 < 1.0
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            ws.recv()
        with pytest.raises(requests.ConnectionError):
            requests.get(
                f"{emu.client_host}/v3.0/settings", headers={"appId": emu.app_id}, timeout=2
            )
        assert emu.socket_count("dora") == 0

        emu.start()
        assert (emu.port, emu.ws_port) == (port, ws_port)
        assert kit.login("dora", "D1")["uid"] == "dora"  # same token still valid
        ws2 = kit.ws("dora", "D1", jwt=me["jwt"])  # same JWT still valid
        assert emu.auth_count("dora") == 2
        history = kit.ok("GET", "users/superhero1/messages", uid="dora")
        assert [m["id"] for m in history] == [sent["id"]]
        again = emu.send_message("superhero1", "dora", "after")
        assert int(again["id"]) > int(sent["id"])
        assert ws2.recv()["body"]["id"] == again["id"]
    finally:
        emu.stop()


def test_stop_is_fast_with_live_and_half_open_connections(no_thread_leak, make_kit):
    emu = Emulator().start()
    kit = make_kit(emu)
    try:
        kit.ws("superhero1")
        kit.ok("GET", "settings")  # a keep-alive HTTP connection stays open
        idle_ws = socket.create_connection(("127.0.0.1", emu.ws_port))  # no upgrade request
        idle_http = socket.create_connection(("127.0.0.1", emu.port))
        idle_http.sendall(b"GET /v3.0/settings HTTP/1.1\r\nHost: x\r\n")  # half a request
        t0 = time.monotonic()
        emu.stop()
        assert time.monotonic() - t0 < 1.0
        for s in (idle_ws, idle_http):
            s.settimeout(5)
            # the server side is gone: EOF, or RST if it had unread bytes
            with contextlib.suppress(ConnectionResetError):
                assert s.recv(1024) == b""
            s.close()
    finally:
        emu.stop()
