"""The catch-up after a reconnect runs off the client's dispatcher: a long catch-up of one
conversation does not hold up the live messages of the others, and still delivers its own
messages once each, in order; ``close()`` during it ends it at once.

Against the emulator over real sockets; every REST answer is held a while by the emulator
(its delay hook), so the catch-up of the big conversation takes several slow pages. Waits are
bounded and wait for events; the assertions are about the order listeners saw, not times.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from cometchat_sync import CometChatClient
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync import _engine
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing import MessageRecorder

ME = "superhero2"
BIG = "superhero1"  # misses many messages while the link is down
SMALL = "superhero3"  # followed, misses nothing
NEW = "superhero4"  # never heard from before the drop
WAIT = 5.0
MISSED = 300  # three full pages of 100, then an empty one: four slow catch-up calls


def wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Re-check ``predicate`` every 10 ms until it holds; False once ``timeout`` ran out."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


class Me:
    """The client under test, logged in as ``ME``, following the BIG and SMALL chats."""

    def __init__(self, client: CometChatClient, emulator: Emulator, proxy: FaultProxy) -> None:
        self.client = client
        self.emulator = emulator
        self.proxy = proxy
        self.messages = MessageRecorder()
        self.conn = ConnectionRecorder()
        client.add_message_listener("rec", self.messages)
        client.add_connection_listener("rec", self.conn)
        client.login(ME, emulator.auth_key)
        client.wait_until_connected(WAIT)
        # BIG first: it is the first conversation a catch-up reads (the least recently
        # used first), so a catch-up that read one conversation after the other would
        # deliver SMALL's live message only after all of BIG's.
        emulator.send_message(BIG, ME, "big-first")
        self.wait_text("big-first")
        emulator.send_message(SMALL, ME, "small-first")
        self.wait_count(2)

    def texts(self) -> list[str]:
        return self.messages.texts()

    def wait_count(self, n: int, timeout: float = WAIT) -> None:
        assert self.messages.log.wait_for_count("on_text_message_received", n, timeout), (
            f"{n} texts not heard within {timeout} s; got {len(self.texts())}"
        )

    def wait_text(self, text: str, timeout: float = WAIT) -> None:
        assert wait_for(lambda: text in self.texts(), timeout), f"{text!r} never came"

    def miss_then_reconnect_slowly(
        self, delay: float, while_down: Callable[[], object] = lambda: None
    ) -> list[str]:
        """The link drops; BIG sends ``MISSED`` messages (and ``while_down()`` runs); the link
        comes back with every REST answer held ``delay`` s. Returns BIG's missed texts once
        the catch-up's first call is in flight."""
        self.proxy.refuse()
        assert self.emulator.close_sockets(ME, 1011) == 1
        assert self.conn.wait_for_status("disconnected", WAIT)
        missed = [f"big-{i:03d}" for i in range(MISSED)]
        for text in missed:
            self.emulator.send_message(BIG, ME, text)
        while_down()
        requests = self.emulator.request_count()
        self.emulator.set_request_delay(delay)
        self.proxy.pass_through()
        assert self.conn.wait_for_status("connected", WAIT, count=2)
        assert self.emulator.wait_until(lambda: self.emulator.request_count() > requests, WAIT)
        return missed


def test_a_live_message_of_another_conversation_does_not_wait_for_a_long_catch_up(
    make_client: Callable[..., CometChatClient], emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    """While BIG's catch-up reads its slow pages, SMALL (followed too) gets a live message:
    it reaches the listener before BIG's last missed message. Each conversation's messages
    still come once each, in order; so do those of a peer never heard from before (NEW),
    who wrote while the link was down and writes again now."""
    me = Me(make_client(), emulator, fault_proxy)
    missed = me.miss_then_reconnect_slowly(
        delay=0.3, while_down=lambda: emulator.send_message(NEW, ME, "new-missed")
    )
    # The catch-up's first call is in flight: these are stored before any later call.
    emulator.send_message(SMALL, ME, "small-live")
    emulator.send_message(NEW, ME, "new-live")
    me.wait_text("small-live")
    emulator.set_request_delay(0)  # the rest of the catch-up comes quickly
    me.wait_count(2 + MISSED + 3, timeout=15)
    emulator.send_message(BIG, ME, "big-after")  # the last text: nothing more is on the way
    me.wait_text("big-after")

    texts = me.texts()
    assert texts.index("small-live") < texts.index(missed[-1]), "SMALL waited for BIG"
    assert [t for t in texts if t.startswith("big")] == ["big-first", *missed, "big-after"]
    assert [t for t in texts if t.startswith("small")] == ["small-first", "small-live"]
    assert [t for t in texts if t.startswith("new")] == ["new-missed", "new-live"]
    assert len(texts) == 2 + MISSED + 4


class AfterClose(MessageListener):
    """Records the texts heard once ``closed`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = threading.Event()
        self.late: list[str] = []

    def on_text_message_received(self, message: TextMessage) -> None:
        if self.closed.is_set():
            self.late.append(message.text)


def test_close_during_a_long_catch_up_returns_at_once_and_ends_it(
    make_client: Callable[..., CometChatClient], emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    me = Me(make_client(), emulator, fault_proxy)
    late = AfterClose()
    me.client.add_message_listener("late", late)
    missed = me.miss_then_reconnect_slowly(delay=0.5)
    me.wait_text(missed[0])  # the first page is delivered; the next one is held
    started = time.monotonic()
    me.client.close(timeout=2.0)
    assert time.monotonic() - started < 2.5, "close() waited for the catch-up"
    late.closed.set()
    emulator.set_request_delay(0)
    # Nothing of the catch-up is still running anywhere (a page fetched now would come).
    pool = _engine.dispatch_pool()
    assert wait_for(lambda: pool.busy() == 0 and pool.queued() == 0)
    assert late.late == []
    got = [t for t in me.texts() if t.startswith("big-0")]
    assert got == missed[: len(got)] and len(got) < len(missed)
