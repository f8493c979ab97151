"""Nothing lost, doubled or misdelivered: the catch-up's gaps, the per-conversation
watermarks, the session generation of every unit of delivery, and the bounded dispatcher
queue — each against the emulator over real sockets.

Waits are bounded and wait for events (listener calls, emulator state, ``stats()``
figures); none sleeps and hopes.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ConnectionListener
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing import MessageRecorder

A = "superhero1"
B = "superhero2"
C = "superhero3"
WAIT = 5.0


def wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Re-check ``predicate`` every 10 ms until it holds; False once ``timeout`` ran out."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


class Watcher:
    """A client with a message and a connection recorder, logged in as ``uid``."""

    def __init__(self, client: CometChatClient, emulator: Emulator, uid: str) -> None:
        self.client = client
        self.messages = MessageRecorder()
        self.conn = ConnectionRecorder()
        client.add_message_listener("rec", self.messages)
        client.add_connection_listener("rec", self.conn)
        client.login(uid, emulator.auth_key)
        client.wait_until_connected(WAIT)

    def texts(self) -> list[str]:
        return self.messages.texts()

    def wait_count(self, n: int, timeout: float = WAIT) -> None:
        assert self.messages.log.wait_for_count("on_text_message_received", n, timeout), (
            f"{n} texts not heard within {timeout} s; got {self.texts()}"
        )

    def ids(self) -> list[int]:
        return [a[0].id for a in self.messages.log.args_of("on_text_message_received")]


@pytest.fixture
def watcher(make_client: Callable[..., CometChatClient], emulator: Emulator) -> Any:
    def make(uid: str = B, **overrides: Any) -> Watcher:
        return Watcher(make_client(**overrides), emulator, uid)

    return make


def cut(emulator: Emulator, proxy: FaultProxy, w: Watcher, uid: str = B) -> None:
    """Close ``uid``'s socket from the server and keep new ones out."""
    proxy.refuse()
    assert emulator.close_sockets(uid, 1011) == 1
    assert w.conn.wait_for_status("disconnected", WAIT)


def send(emulator: Emulator, sender: str, receiver: str, texts: list[str]) -> list[int]:
    return [int(emulator.send_message(sender, receiver, t)["id"]) for t in texts]


# -- live frames out of id order -----------------------------------------------------------------


def test_live_frames_out_of_id_order_are_each_delivered_once(
    watcher: Any, emulator: Emulator
) -> None:
    """Three devices of one peer send at once into one conversation: the server's frames come
    out of id order (the emulator's fan-out, like the service's, does not sort them). Every
    message is delivered once; none is taken for delivered because a higher id came first."""
    b = watcher()
    sent: list[int] = []
    lock = threading.Lock()

    def device(name: str) -> None:
        for i in range(100):
            mid = int(emulator.send_message(A, B, f"{name}-{i}", resource=name)["id"])
            with lock:
                sent.append(mid)

    threads = [threading.Thread(target=device, args=(f"dev{k}",)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    b.wait_count(300, timeout=WAIT * 2)
    assert sorted(b.ids()) == sorted(sent), "lost or doubled"


# -- a failed catch-up keeps its gap ------------------------------------------------------------


@pytest.mark.parametrize("failure", ["server-error", "timeout"])
def test_a_failed_catch_up_keeps_its_gap_until_a_retry_fills_it(
    failure: str, watcher: Any, emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    b = watcher(request_timeout=0.5)
    send(emulator, A, B, ["direct"])
    b.wait_count(1)
    cut(emulator, fault_proxy, b)
    missed = [f"missed-{i}" for i in range(3)]
    send(emulator, A, B, missed)
    requests = emulator.request_count()
    if failure == "server-error":
        emulator.fail_next_request("ERR_INTERNAL_SERVER", 500)
    else:
        emulator.set_request_delay(1.0)  # read on arrival: only the first catch-up call waits
    fault_proxy.pass_through()
    assert b.conn.wait_for_status("connected", WAIT, count=2)
    assert emulator.wait_until(lambda: emulator.request_count() > requests, WAIT)
    emulator.set_request_delay(0)
    # One live message in the gapped conversation, while the gap is still open.
    send(emulator, A, B, ["live-after"])
    b.wait_count(5, timeout=10)
    assert b.texts() == ["direct", *missed, "live-after"]
    ids = b.ids()
    assert ids == sorted(ids)
    stats = b.client.stats()
    assert stats.catch_up_failures >= 1
    assert b.client.get_connection_status() == "connected"


# -- de-duplication per conversation --------------------------------------------------------------


class HoldReconnect(ConnectionListener):
    """Blocks the dispatcher in the second ``on_connected`` (the reconnect) until released,
    so that everything the socket brings meanwhile is queued behind the catch-up."""

    def __init__(self) -> None:
        super().__init__()
        self.connects = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def on_connected(self) -> None:
        self.connects += 1
        if self.connects == 2:
            self.entered.set()
            assert self.release.wait(20)


def test_a_live_message_of_a_superseded_link_cannot_skip_the_missed_ones(
    watcher: Any, emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    """The link comes back while the dispatcher is busy, so its catch-up waits; a message
    comes live on it; the link drops again before the catch-up ran (it is then skipped: the
    next link's catch-up does it). The live message, delivered first, must not move the
    conversation past the message missed while there was no link."""
    b = watcher()
    hold = HoldReconnect()
    b.client.add_connection_listener("hold", hold)
    send(emulator, A, B, ["first"])
    b.wait_count(1)
    cut(emulator, fault_proxy, b)
    send(emulator, A, B, ["missed"])
    fault_proxy.pass_through()
    assert hold.entered.wait(WAIT)  # link 2 is up; its catch-up waits behind the listener
    depth = b.client.stats().queue_depth
    send(emulator, A, B, ["live on link 2"])
    assert wait_for(lambda: b.client.stats().queue_depth > depth), "the frame never came"
    fault_proxy.refuse()
    assert emulator.close_sockets(B, 1011) == 1
    assert wait_for(lambda: b.client.get_connection_status() != "connected")
    fault_proxy.pass_through()
    assert wait_for(lambda: b.client.get_connection_status() == "connected")  # link 3
    hold.release.set()
    b.wait_count(3)
    assert sorted(b.texts()) == sorted(["first", "missed", "live on link 2"])


def test_a_long_catch_up_in_one_conversation_does_not_double_another(
    watcher: Any, emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    b = watcher()
    hold = HoldReconnect()
    b.client.add_connection_listener("hold", hold)
    send(emulator, C, B, ["from-c"])  # C's conversation is followed first ...
    send(emulator, A, B, ["from-a"])  # ... then A's
    b.wait_count(2)
    cut(emulator, fault_proxy, b)
    send(emulator, A, B, [f"a-{i:04d}" for i in range(2_100)])
    fault_proxy.pass_through()
    assert hold.entered.wait(WAIT)
    # The catch-up waits behind the held listener: C's messages sent now are in C's
    # catch-up page *and* come live, queued behind the catch-up.
    around = [f"c-{i}" for i in range(5)]
    send(emulator, C, B, around)
    send(emulator, A, B, ["barrier"])
    hold.release.set()
    b.wait_count(2 + 2_100 + 5 + 1, timeout=30)
    barrier_id = send(emulator, C, B, ["last"])[0]
    b.wait_count(2 + 2_100 + 5 + 2, timeout=WAIT)
    texts = b.texts()
    assert len(texts) == len(set(texts)), "a message was delivered twice"
    assert [t for t in texts if t.startswith("c-") or t in ("from-c", "last")] == [
        "from-c",
        *around,
        "last",
    ]
    assert [t for t in texts if t.startswith("a-")] == [f"a-{i:04d}" for i in range(2_100)]
    assert b.ids()[-1] == barrier_id


# -- nothing of an ended session ------------------------------------------------------------------


class AfterClose(MessageListener):
    """Records texts heard after ``closed`` was set."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = threading.Event()
        self.late: list[str] = []

    def on_text_message_received(self, message: TextMessage) -> None:
        if self.closed.is_set():
            self.late.append(message.text)


def hold_a_catch_up_page(emulator: Emulator, proxy: FaultProxy, b: Watcher) -> list[str]:
    """b misses three messages; its first catch-up page after the reconnect is held 1.5 s
    by the server. Returns the missed texts once that page is in flight."""
    send(emulator, A, B, ["direct"])
    b.wait_count(1)
    cut(emulator, proxy, b)
    missed = [f"missed-{i}" for i in range(3)]
    send(emulator, A, B, missed)
    requests = emulator.request_count()
    emulator.set_request_delay(1.5)
    proxy.pass_through()
    assert b.conn.wait_for_status("connected", WAIT, count=2)
    assert emulator.wait_until(lambda: emulator.request_count() > requests, WAIT)
    emulator.set_request_delay(0)  # later calls (logout, login) are answered at once
    return missed


def test_a_catch_up_page_in_flight_is_not_delivered_after_close(
    watcher: Any, emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    b = watcher()
    late = AfterClose()
    b.client.add_message_listener("late", late)
    hold_a_catch_up_page(emulator, fault_proxy, b)
    b.client.close(timeout=1.0)
    late.closed.set()
    # The dispatcher thread ends once the held page came back and was dealt with.
    assert wait_for(lambda: not b.client.threads(), WAIT)
    assert late.late == []
    assert b.texts() == ["direct"]


def test_a_catch_up_call_held_by_a_slow_server_does_not_outlive_close(
    watcher: Any, emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    """The server holds a catch-up page for far longer than close()'s budget: close() ends
    the call, and no SDK thread is left when it returns."""
    b = watcher()
    send(emulator, A, B, ["direct"])
    b.wait_count(1)
    cut(emulator, fault_proxy, b)
    send(emulator, A, B, ["missed"])
    requests = emulator.request_count()
    emulator.set_request_delay(8.0)
    fault_proxy.pass_through()
    assert b.conn.wait_for_status("connected", WAIT, count=2)
    assert emulator.wait_until(lambda: emulator.request_count() > requests, WAIT)
    started = time.monotonic()
    b.client.close(timeout=2.0)
    assert time.monotonic() - started < 2.5
    assert b.client.threads() == [], "the dispatcher outlived close() in a catch-up call"
    assert b.texts() == ["direct"]
    emulator.set_request_delay(0)


def test_a_new_user_never_hears_the_previous_users_catch_up(
    watcher: Any, emulator: Emulator, fault_proxy: FaultProxy
) -> None:
    b = watcher()
    hold_a_catch_up_page(emulator, fault_proxy, b)
    # The server keeps the old auth token (its DELETE fails), so the held page still comes.
    emulator.fail_next_request("ERR_INTERNAL_SERVER", 500)
    with pytest.raises(CometChatException):
        b.client.logout()
    b.client.login(C, emulator.auth_key)
    b.client.wait_until_connected(WAIT)
    # A live message to the new user, queued behind the held page on the same thread.
    send(emulator, A, C, ["to-c"])
    b.wait_count(2)
    assert b.texts() == ["direct", "to-c"]
    received = [a[0] for a in b.messages.log.args_of("on_text_message_received")]
    assert [m.receiver_uid for m in received] == [B, C]


# -- the bounded queue ---------------------------------------------------------------------------


class Gate(MessageListener):
    """Blocks the dispatcher in the first text message until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def on_text_message_received(self, message: TextMessage) -> None:
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(20)


def test_a_slow_listener_cannot_grow_the_queue_past_its_bound(
    watcher: Any, emulator: Emulator
) -> None:
    bound = 50
    b = watcher(set_max_queued_events=bound)
    gate = Gate()
    b.client.add_message_listener("gate", gate)
    send(emulator, A, B, ["first"])
    assert gate.entered.wait(WAIT)
    flood = [f"m-{i:03d}" for i in range(300)]
    send(emulator, A, B, flood)
    # Every frame reached the client: queued (at most the bound) or deferred to a catch-up.
    assert wait_for(
        lambda: b.client.stats().queue_depth + b.client.stats().events_deferred == len(flood)
    ), b.client.stats()
    stats = b.client.stats()
    assert stats.queue_depth <= bound and stats.queue_peak <= bound
    assert stats.events_deferred >= len(flood) - bound
    # The reader never waited on the queue: the link is the one it was.
    assert b.client.get_connection_status() == "connected"
    gate.release.set()
    b.wait_count(1 + len(flood), timeout=15)
    assert b.texts() == ["first", *flood]
    assert b.ids() == sorted(set(b.ids()))
    assert emulator.auth_count(B) == 1
    assert "on_disconnected" not in b.conn.log.names()
    assert b.client.stats().catch_up_fetches >= 1


def test_connection_events_are_queued_past_the_bound(watcher: Any, emulator: Emulator) -> None:
    b = watcher(set_max_queued_events=10)
    gate = Gate()
    b.client.add_message_listener("gate", gate)
    send(emulator, A, B, ["first"])
    assert gate.entered.wait(WAIT)
    send(emulator, A, B, [f"m-{i}" for i in range(40)])
    assert wait_for(lambda: b.client.stats().events_deferred >= 30)
    assert emulator.close_sockets(B, 1011) == 1
    assert emulator.wait_for_sockets(B, 1, WAIT)  # the reader reconnected meanwhile
    gate.release.set()
    assert b.conn.wait_for_status("connected", WAIT, count=2)
    assert "on_disconnected" in b.conn.log.names()
    b.wait_count(41, timeout=10)
    assert b.texts() == ["first", *(f"m-{i}" for i in range(40))]
