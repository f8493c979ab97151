"""The engine's own parts: the shared timer heap, the read loop over many sockets, and the
link's non-blocking read that the read loop calls."""

from __future__ import annotations

import logging
import random
import socket
import threading
from collections.abc import Iterator
from typing import Callable

import pytest

from cometchat_sync._timers import SharedTimer
from cometchat_sync.connection.frames import WebSocketLink
from cometchat_sync.connection.read_loop import ReadLoop
from cometchat_sync.connection.transport import LinkClosed

WAIT = 5.0


# -- the shared timer ------------------------------------------------------------------------------


@pytest.fixture
def timer() -> Iterator[SharedTimer]:
    heap = SharedTimer("cometchat-timer-test")
    yield heap
    heap.stop_idle(WAIT)


def test_calls_run_in_deadline_order_on_one_thread(timer: SharedTimer) -> None:
    ran: list[tuple[str, str]] = []
    done = threading.Event()

    def note(name: str) -> Callable[[], None]:
        return lambda: ran.append((name, threading.current_thread().name))

    for name, delay in [("c", 0.06), ("a", 0.02), ("b", 0.04)]:
        timer.call_later(delay, note(name))
    timer.call_later(0.08, done.set)
    assert done.wait(WAIT)
    assert [n for n, _ in ran] == ["a", "b", "c"]
    assert {t for _, t in ran} == {"cometchat-timer-test"}


def test_a_cancelled_call_never_runs_and_the_thread_ends_with_nothing_left(
    timer: SharedTimer,
) -> None:
    ran: list[str] = []
    handle = timer.call_later(0.05, lambda: ran.append("cancelled"))
    thread = timer.thread
    assert thread is not None and thread.is_alive()
    handle.cancel()
    handle.cancel()  # idempotent
    thread.join(WAIT)
    assert not thread.is_alive(), "the timer thread outlived its last deadline"
    assert ran == [] and timer.live() == 0 and timer.thread is None


def test_churn_does_not_grow_the_heap(timer: SharedTimer) -> None:
    keep = timer.call_later(3600.0, lambda: None)
    for _ in range(10_000):  # a keepalive re-armed over and over
        timer.call_later(3600.0, lambda: None).cancel()
    assert timer.live() == 1
    assert len(timer._heap) <= 130, "cancelled entries piled up in the heap"
    keep.cancel()


def test_a_failing_call_is_logged_and_the_next_one_still_runs(
    timer: SharedTimer, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise ValueError("bug")

    done = threading.Event()
    with caplog.at_level(logging.ERROR, logger="cometchat_sync._timers"):
        timer.call_later(0.0, explode)
        timer.call_later(0.01, done.set)
        assert done.wait(WAIT)
    assert any("timer callback failed" in r.getMessage() for r in caplog.records)


# -- the read loop ---------------------------------------------------------------------------------


class Handler:
    """Reads a socket pair's end; ends at EOF."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(False)
        self.data = b""
        self.got = threading.Event()
        self.ended_calls = 0
        self.done = threading.Event()

    def fileno(self) -> int:
        return self.sock.fileno()

    def readable(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self.data += chunk
        self.got.set()
        return True

    def ended(self) -> None:
        self.ended_calls += 1
        self.sock.close()
        self.done.set()


@pytest.fixture
def loop() -> Iterator[ReadLoop]:
    read_loop = ReadLoop("cometchat-reader-test")
    yield read_loop
    read_loop.stop_idle(WAIT)


def test_one_thread_reads_many_sockets_and_reports_each_end_once(loop: ReadLoop) -> None:
    pairs = [socket.socketpair() for _ in range(300)]
    handlers = [Handler(ours) for ours, _ in pairs]
    for handler in handlers:
        loop.register(handler)
    assert len(loop.threads()) == 1
    for i, (_, peer) in enumerate(pairs):
        peer.sendall(f"hello {i}".encode())
    for i, handler in enumerate(handlers):
        assert handler.got.wait(WAIT)
        assert handler.data == f"hello {i}".encode()
    for _, peer in pairs:
        peer.close()  # EOF: each handler says it ended
    for handler in handlers:
        assert handler.done.wait(WAIT)
        assert handler.ended_calls == 1
    assert loop.idle()
    thread = loop.threads()[0]
    loop.stop_idle(WAIT)
    assert not thread.is_alive() and loop.threads() == []


def test_a_socket_registered_after_the_thread_ended_starts_a_new_one(loop: ReadLoop) -> None:
    for _ in range(3):
        ours, peer = socket.socketpair()
        handler = Handler(ours)
        loop.register(handler)
        peer.sendall(b"x")
        assert handler.got.wait(WAIT)
        peer.close()
        assert handler.done.wait(WAIT)
        loop.stop_idle(WAIT)
        assert loop.threads() == []


# -- the link's non-blocking read ------------------------------------------------------------------


def frame(payload: bytes, opcode: int = 0x1, fin: bool = True) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        return head + bytes([n]) + payload
    if n < 65536:
        return head + bytes([126]) + n.to_bytes(2, "big") + payload
    return head + bytes([127]) + n.to_bytes(8, "big") + payload


class NullWebSocket:
    sock = None
    connected = True


@pytest.mark.parametrize("seed", range(8))
def test_read_ready_gives_the_same_messages_whatever_the_chunking(seed: int) -> None:
    rng = random.Random(seed)
    texts = [f"message {i} " * rng.randint(1, 2000) for i in range(40)]
    stream = b"".join(
        frame(t[:5].encode(), fin=False) + frame(b"p", 0x9) + frame(t[5:].encode(), 0x0)
        if i % 7 == 3
        else frame(t.encode())
        for i, t in enumerate(texts)
    )
    ours, peer = socket.socketpair()
    link = WebSocketLink(NullWebSocket(), ours, 1 << 20, write_timeout=1.0)  # type: ignore[arg-type]
    got: list[str] = []
    pos = 0
    try:
        while pos < len(stream):
            cut = pos + rng.choice([1, 3, 100, 5000, 70000])
            peer.sendall(stream[pos:cut])
            pos = cut
            got += [p.decode() for p in link.read_ready()]  # never waits: what is complete
        while len(got) < len(texts):
            got += [p.decode() for p in link.read_ready()]
        assert got == texts
        assert link.read_ready() == [], "nothing more: an empty read, no wait, no error"
        peer.close()
        with pytest.raises(LinkClosed):
            link.read_ready()
    finally:
        link.shutdown()
        link.release()
        peer.close()


def test_messages_before_a_close_frame_are_delivered_then_the_close_is_raised() -> None:
    ours, peer = socket.socketpair()
    link = WebSocketLink(NullWebSocket(), ours, 1 << 20, write_timeout=1.0)  # type: ignore[arg-type]
    assert link.claim_for_loop()
    try:
        peer.sendall(frame(b"one") + frame(b"two") + frame(b"\x03\xe8bye", 0x8))
        assert link.read_ready() == [b"one", b"two"]
        with pytest.raises(LinkClosed) as info:
            link.read_ready()
        assert info.value.code == 1000
        assert link.fileno() != -1, "a loop-owned socket stays open until release()"
    finally:
        link.release()
        peer.close()
    assert link.fileno() == -1
