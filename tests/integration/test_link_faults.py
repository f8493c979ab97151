"""Faults of one link that the emulator cannot play, against a scripted WebSocket server.

REST (the login) goes to the emulator; the emulator hands out the scripted server's address
for the socket. Each test scripts what the server does after the upgrade: answer the auth
frame with a given code, close before answering, or stop reading altogether (a path whose
window is full: the app's writes block).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import TransientMessage
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import Link
from cometchat_sync.testing.listeners import ConnectionRecorder

UID = "superhero1"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3

Script = Callable[[socket.socket, int], None]


def server_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked server frame (RFC 6455 section 5.2), payload under 64 KiB."""
    if len(payload) < 126:
        return bytes([0x80 | opcode, len(payload)]) + payload
    return bytes([0x80 | opcode, 126]) + struct.pack("!H", len(payload)) + payload


def auth_answer(code: str, status: str = "OK") -> bytes:
    body = {"type": "auth", "body": {"code": code, "status": status}}
    return server_frame(0x1, json.dumps(body).encode())


def close_frame(code: int, reason: str) -> bytes:
    return server_frame(0x8, struct.pack("!H", code) + reason.encode())


def read_client_frame(conn: socket.socket) -> tuple[int, bytes]:
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", exactly(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", exactly(8))[0]
    key = exactly(4)
    payload = bytes(b ^ key[i % 4] for i, b in enumerate(exactly(length)))
    return first & 0x0F, payload


class ScriptedServer:
    """Accepts WebSocket connections and runs ``script(conn, n)`` on the n-th (from 0) after
    answering its upgrade. Tracks every connection so ``close()`` ends them all."""

    def __init__(self, script: Script, *, rcvbuf: int = 0) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        if rcvbuf:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.accepted = 0
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._accepter = threading.Thread(target=self._accept, name="test-scripted-server")
        self._accepter.start()

    def _accept(self) -> None:
        self.listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            self.conns.append(conn)
            n, self.accepted = self.accepted, self.accepted + 1
            thread = threading.Thread(target=self._serve, args=(conn, n), name="test-scripted")
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, n: int) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            key = next(
                line.split(b":", 1)[1].strip()
                for line in request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + _GUID.encode()).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            self.script(conn, n)
        except (OSError, EOFError):
            pass

    def close(self) -> None:
        self._stop.set()
        self._accepter.join(2)
        for conn in self.conns:
            conn.close()
        self.listener.close()
        for thread in self._threads:
            thread.join(2)


@pytest.fixture
def scripted(emulator) -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: Script, **kwargs: Any) -> ScriptedServer:
        server = ScriptedServer(script, **kwargs)
        servers.append(server)
        emulator.advertise_ws("127.0.0.1", server.port)
        return server

    yield start
    for server in servers:
        server.close()


def hold_open(conn: socket.socket) -> None:
    """Read (and ignore) until the client goes away."""
    while conn.recv(65536):
        pass


def test_an_auth_answer_of_503_is_retried_without_renewing(make_client, emulator, scripted):
    def script(conn: socket.socket, n: int) -> None:
        read_client_frame(conn)  # the auth frame
        conn.sendall(auth_answer("503", "ERROR") if n == 0 else auth_answer("200"))
        hold_open(conn)

    server = scripted(script)
    client = make_client()
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    client.login(UID, emulator.auth_key)
    requests_after_login = emulator.request_count()
    assert rec.wait_for_status("connected", 5), rec.statuses()
    assert server.accepted == 2
    assert rec.errors and "503" in rec.errors[0].message and "retrying" in rec.errors[0].message
    assert emulator.request_count() == requests_after_login, "a 5xx is no credentials problem"
    client.close()


def test_a_close_1008_before_the_auth_answer_is_retried_and_says_why(
    make_client, emulator, scripted
):
    def script(conn: socket.socket, n: int) -> None:
        read_client_frame(conn)
        if n == 0:
            conn.sendall(close_frame(1008, "AUTH_TIMEOUT"))
            return
        conn.sendall(auth_answer("200"))
        hold_open(conn)

    server = scripted(script)
    client = make_client()
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    client.login(UID, emulator.auth_key)
    assert rec.wait_for_status("connected", 5), rec.statuses()
    assert server.accepted == 2
    message = rec.errors[0].message
    assert "1008" in message and "AUTH_TIMEOUT" in message and "policy violation" in message
    assert "refused" not in message, "a timeout is not a refusal of the credentials"
    client.close()


def test_a_send_stuck_on_a_full_window_does_not_stall_liveness(make_client, emulator, scripted):
    """The server authenticates the socket, then never reads again: the app's writes fill
    the buffers and block. The keepalive must still find the link dead within the ping
    interval plus the pong timeout, and the stuck send must fail with a clear error."""
    stop_reading = threading.Event()

    def script(conn: socket.socket, n: int) -> None:
        read_client_frame(conn)
        conn.sendall(auth_answer("200"))
        stop_reading.wait(10)

    scripted(script, rcvbuf=4096)
    ping_interval, pong_timeout = 0.5, 0.3
    client = make_client(ping_interval=ping_interval, pong_timeout=pong_timeout)
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    client.login(UID, emulator.auth_key)
    assert rec.wait_for_status("connected", 5)

    outcome: dict[str, Any] = {}
    blob = "x" * (256 * 1024)

    def sender() -> None:
        try:
            for _ in range(400):  # ~100 MiB: far more than any socket buffer holds
                client.send_transient_message(
                    TransientMessage("superhero2", "user", {"blob": blob})
                )
            outcome["error"] = None
        except CometChatException as exc:
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=sender, name="test-sender")
    started = time.monotonic()
    thread.start()
    try:
        bound = ping_interval + pong_timeout
        assert rec.wait_for_status("disconnected", bound + 2.0), (
            "a blocked app write stalled the keepalive: " + repr(rec.statuses())
        )
        thread.join(5)
        assert not thread.is_alive(), "the stuck send never ended"
        error = outcome["error"]
        assert isinstance(error, CometChatException)
        assert error.code in ("ERR_WEBSOCKET_ERROR", "NO_WEBSOCKET_CONNECTION")
        lost = next(c for c in rec.changes if c.reason is not None)
        assert lost.error is not None and "ping" in lost.error.message
        assert outcome["ended"] - started < bound + 2.0
    finally:
        stop_reading.set()
        client.close()
        thread.join(5)


class BrokenTransport:
    """A transport with a bug: every dial raises something no dial error covers."""

    def __init__(self) -> None:
        self.calls = 0

    def open(self, url: str, *, timeout: float, dial: Dial) -> Link:
        self.calls += 1
        raise ValueError("filedescriptor out of range in select()")


def test_an_unexpected_error_in_a_dial_fails_connect_at_once(
    settings_for, emulator, closing, caplog
):
    transport = BrokenTransport()
    settings = settings_for(emulator, auto=False).build()
    client = closing(CometChatClient(emulator.app_id, settings, transport=transport))
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    client.login(UID, emulator.auth_key)
    caplog.set_level(logging.DEBUG, logger="cometchat_sync")
    started = time.monotonic()
    with pytest.raises(CometChatException) as info:
        client.connect(timeout=5)
    assert time.monotonic() - started < 2.0, "connect() waited for its timeout"
    assert info.value.code == "ERR_WEBSOCKET_ERROR"
    assert "ValueError" in info.value.message
    assert client.get_connection_status() == "disconnected"
    error = rec.wait_for_error(2)
    assert error is not None and error.code == "ERR_WEBSOCKET_ERROR"


def test_unexpected_errors_are_retried_with_backoff_and_logged_once(
    settings_for, emulator, closing, caplog
):
    transport = BrokenTransport()
    settings = settings_for(emulator).build()  # auto mode: attempts go on
    client = closing(CometChatClient(emulator.app_id, settings, transport=transport))
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    caplog.set_level(logging.DEBUG, logger="cometchat_sync")
    client.login(UID, emulator.auth_key)
    assert emulator.wait_until(lambda: transport.calls >= 3, 5)
    assert rec.wait_for_error(2) is not None
    client.close()
    tracebacks = [r for r in caplog.records if r.exc_info and "unexpectedly" in r.getMessage()]
    assert len(tracebacks) == 1, "one traceback, not one per retry"
    assert len(rec.errors) == 1, "listeners hear of a streak of failures once"


def test_the_auth_answer_gets_what_the_dial_left_of_the_budget(make_client, emulator):
    """One budget (the connect timeout) covers the dial and the wait for the auth answer: a
    server that upgrades late and never answers cannot stretch an attempt to twice it."""
    budget = 1.0
    upgraded = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.05)
        conns = []
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (socket.timeout, OSError):
                continue
            conns.append(conn)
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = next(
                line.split(b":", 1)[1].strip()
                for line in request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + _GUID.encode()).digest())
            stop.wait(0.8 * budget)  # the upgrade answer comes late
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            upgraded.set()  # ... and the auth frame is never answered
        for conn in conns:
            conn.close()

    thread = threading.Thread(target=serve, name="test-late-server")
    thread.start()
    try:
        emulator.advertise_ws("127.0.0.1", listener.getsockname()[1])
        client = make_client(auto=False, connect_timeout=budget)
        client.login(UID, emulator.auth_key)
        started = time.monotonic()
        with pytest.raises(CometChatException):
            client.connect(timeout=10)
        assert upgraded.is_set()
        assert time.monotonic() - started < 1.5 * budget, "the auth wait got a fresh budget"
        client.close()
    finally:
        stop.set()
        thread.join(5)
        listener.close()
