"""What the SDK logs: one line for each step of a link's life, a wire trace on demand, and
never a secret."""

from __future__ import annotations

import logging
import time

import pytest

from cometchat_sync import TextMessage
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import MessageRecorder

A = "superhero1"
B = "superhero2"
WAIT = 5.0


def test_a_connect_a_message_and_a_reconnect_each_log_one_line_and_no_secret(
    make_client, emulator, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="cometchat_sync")
    a, b = make_client(), make_client()
    conn, inbox = ConnectionRecorder(), MessageRecorder()
    b.add_connection_listener("c", conn)
    b.add_message_listener("m", inbox)
    a.login(A, emulator.auth_key)
    b.login(B, emulator.auth_key)
    b.wait_until_connected(WAIT)
    a.send_message(TextMessage(B, "first"))
    assert inbox.log.wait_for_count("on_text_message_received", 1, WAIT)

    assert emulator.close_sockets(B, 1011) == 1  # the server drops b's link: b reconnects
    assert conn.log.wait_for_count("on_connected", 2, WAIT)
    a.send_message(TextMessage(B, "second"))
    assert inbox.log.wait_for_count("on_text_message_received", 2, WAIT)
    # Live messages no longer wait for the catch-up's end: wait for its log line.
    deadline = time.monotonic() + WAIT
    while not any("catch-up fetched" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the catch-up after the reconnect never ended"
        time.sleep(0.01)
    b.close()

    def lines(logger: str) -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == logger]

    reader = lines("cometchat_sync.connection.reader")
    assert any(line.startswith("dialling ws://") for line in reader)
    assert sum(line.startswith("connected (attempt") for line in reader) >= 2
    assert any("lost (The socket closed (code 1011).); reconnecting in" in ln for ln in reader)
    assert any("catch-up fetched" in line for line in lines("cometchat_sync.events.delivery")), (
        "the catch-up after the reconnect says what it fetched"
    )
    trace = lines("cometchat_sync.connection.wire_trace")
    auth = [line for line in trace if line.startswith('> {"appId"') and '"type":"auth"' in line]
    assert auth and all('"auth":"***"' in line for line in auth)
    assert any(line.startswith("<") and "first" in line for line in trace)

    secrets = [emulator.token_of(A), emulator.token_of(B), emulator.auth_key]
    secrets += [c._session.jwt for c in (a, b) if c._session is not None]
    assert all(secrets)
    for record in caplog.records:
        text = record.getMessage()
        for secret in secrets:
            assert secret not in text, f"{record.name} logged a secret"
