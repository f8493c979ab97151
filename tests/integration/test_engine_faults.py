"""Faults against the process-wide engine: dial steps that hang or time out on the dial
loop, and what the engine's threads do around them. Each test is a reproducer of a fault a
user would hit; every wait is bounded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Optional

import pytest

from cometchat_sync._poll import wait_io
from cometchat_sync.connection.dial_io import StepTimeout
from cometchat_sync.connection.dial_io import Wait
from cometchat_sync.connection.dial_loop import DialLoop
from cometchat_sync.connection.dialler import WebSocketTransport
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import DialError
from cometchat_sync.connection.transport import Link

WAIT = 5.0
TWO_ADDRESSES = "ws.two-blackholes.test"


class FullBacklog:
    """A listener that never accepts, its backlog filled: a TCP connect to it hangs (the
    kernel drops the SYN)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=0)
        self.port = self.listener.getsockname()[1]
        self.fillers: list[socket.socket] = []
        for _ in range(16):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(filler)
            if not wait_io([], [filler], 0.2)[1]:
                return
        raise AssertionError("the backlog never filled up")

    def close(self) -> None:
        for sock in [*self.fillers, self.listener]:
            sock.close()


class Outcome:
    """What a dial loop's ``done`` was called with, and when."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.link: Optional[Link] = None
        self.error: Optional[BaseException] = None

    def __call__(self, link: Optional[Link], error: Optional[BaseException]) -> None:
        self.link, self.error = link, error
        self.event.set()


@pytest.fixture
def two_blackholes(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """:data:`TWO_ADDRESSES` resolves to two addresses, both with a full backlog (a TCP
    connect to either hangs), as a name with an IPv6 and an IPv4 address on a network that
    drops both."""
    holes = [FullBacklog(), FullBacklog()]
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == TWO_ADDRESSES:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", hole.port))
                for hole in holes
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        yield TWO_ADDRESSES
    finally:
        for hole in holes:
            hole.close()


def test_the_dial_loop_ends_an_attempt_whose_first_address_timed_out_at_its_deadline(
    two_blackholes: str,
) -> None:
    """The deadline was thrown in once: the connect to the first address ended with
    StepTimeout, the dialler went on to the second address, and nothing ended that wait
    (the attempt lasted until the kernel gave up the SYNs, about two minutes)."""
    loop = DialLoop("cometchat-dial-test")
    dial = Dial()
    outcome = Outcome()
    deadline = time.monotonic() + 0.3
    steps = WebSocketTransport().open_steps(
        f"ws://{two_blackholes}:80/", deadline=deadline, dial=dial
    )
    loop.start(steps, deadline=deadline, dial=dial, done=outcome)
    try:
        assert outcome.event.wait(WAIT), "the attempt outlived its deadline"
        assert isinstance(outcome.error, DialError)
        assert "did not answer the TCP connect in time" in outcome.error.message
    finally:
        dial.cancel()
        outcome.event.wait(WAIT)
        dial.release()
        loop.stop_idle(WAIT)
    assert loop.threads() == []


def test_the_dial_loop_throws_the_deadline_in_again_at_a_later_wait() -> None:
    """Steps that go on after a StepTimeout (as a dialler trying a name's next address)
    get it again at their next wait, at once: the deadline is the attempt's, not one wait's."""
    loop = DialLoop("cometchat-dial-test")
    dial = Dial()
    outcome = Outcome()
    quiet_a, quiet_b = socket.socketpair()  # never readable: only the deadline ends a wait
    timeouts: list[str] = []

    def steps() -> Any:
        for _ in range(3):
            try:
                yield Wait(quiet_a, False)
            except StepTimeout:
                timeouts.append("timeout")
        return None

    deadline = time.monotonic() + 0.2
    loop.start(steps(), deadline=deadline, dial=dial, done=outcome)
    try:
        assert outcome.event.wait(WAIT), f"the steps waited on after {timeouts}"
        assert timeouts == ["timeout"] * 3 and outcome.error is None
    finally:
        dial.cancel()
        outcome.event.wait(WAIT)
        dial.release()
        loop.stop_idle(WAIT)
        quiet_a.close()
        quiet_b.close()
