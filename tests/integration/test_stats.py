"""``client.stats()``: a typed, immutable snapshot of connection and delivery figures, cheap
enough to call from a listener."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import ClientStats
from cometchat_sync import CometChatClient
from cometchat_sync import ConnectionStatus
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import MessageRecorder

A = "superhero1"
B = "superhero2"
WAIT = 5.0


def test_stats_count_connects_reconnects_deliveries_and_catch_ups(
    make_client: Callable[..., CometChatClient], emulator: Emulator
) -> None:
    client = make_client()
    before = client.stats()
    assert isinstance(before, ClientStats)
    assert (before.connection_attempts, before.events_delivered, before.queue_depth) == (0, 0, 0)
    conn, messages = ConnectionRecorder(), MessageRecorder()
    client.add_connection_listener("c", conn)
    client.add_message_listener("m", messages)
    client.login(B, emulator.auth_key)
    client.wait_until_connected(WAIT)
    emulator.send_message(A, B, "one")
    assert messages.log.wait_for_count("on_text_message_received", 1, WAIT)

    stats = client.stats()
    assert stats.connection_attempts == 1 and stats.reconnects == 0
    assert stats.events_delivered == 1
    assert stats.seconds_in[ConnectionStatus.CONNECTED] > 0
    assert set(stats.seconds_in) == set(ConnectionStatus)

    emulator.fail_next_request("ERR_INTERNAL_SERVER", 500)  # the catch-up's first page
    assert emulator.close_sockets(B, 1011) == 1
    assert conn.wait_for_status("connected", WAIT, count=2)
    emulator.send_message(A, B, "two")
    assert messages.log.wait_for_count("on_text_message_received", 2, WAIT + 5)
    stats = client.stats()
    assert stats.connection_attempts >= 2 and stats.reconnects == 1
    assert stats.catch_up_failures == 1
    assert stats.catch_up_fetches >= 2  # the failed one, and the retry that filled the gap
    assert stats.events_delivered == 2
    assert (stats.events_deferred, stats.events_dropped) == (0, 0)


def test_stats_is_immutable(make_client: Callable[..., CometChatClient]) -> None:
    stats = make_client().stats()
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.reconnects = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        stats.seconds_in[ConnectionStatus.CONNECTED] = 1.0  # type: ignore[index]


def test_stats_is_callable_from_a_listener(
    make_client: Callable[..., CometChatClient], emulator: Emulator
) -> None:
    client = make_client()
    seen: list[Any] = []
    heard = threading.Event()

    class Probe(MessageListener):
        def on_text_message_received(self, message: TextMessage) -> None:
            seen.append(client.stats())
            heard.set()

    client.add_message_listener("probe", Probe())
    client.login(B, emulator.auth_key)
    client.wait_until_connected(WAIT)
    emulator.send_message(A, B, "hello")
    assert heard.wait(WAIT)
    assert seen[0].events_delivered == 1  # counted before the listeners are called
    assert seen[0].last_pong_age is None or seen[0].last_pong_age >= 0
