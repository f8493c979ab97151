"""The catch-up off the dispatcher, step by step: its REST calls are jobs (run here when the
test says), its pages come back as ordered dispatcher items (run here when the test says),
so every interleaving of a fetch, a page's delivery and a live frame can be played exactly.

Each test drives a real :class:`Delivery` (ledger, routing, listeners, generations) with a
hand-run job list, a hand-run dispatcher queue and a fake timer.
"""

from __future__ import annotations

import collections
import threading
from typing import Any
from typing import Callable
from typing import Optional

from cometchat_sync import CometChatException
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync import _engine
from cometchat_sync.connection.state import ConnectionStateChange
from cometchat_sync.connection.state import ConnectionStatus
from cometchat_sync.events.catch_up import JobGate
from cometchat_sync.events.catch_up_run import WINDOW
from cometchat_sync.events.delivery import Delivery
from cometchat_sync.events.dispatcher import QueueFigures
from cometchat_sync.events.ledger import Conversation

ME = "me"
WAIT = 5.0
Job = Callable[[], None]


def body(mid: int, peer: str) -> dict[str, Any]:
    return {
        "id": mid,
        "sender": peer,
        "receiver": ME,
        "receiverType": "user",
        "category": "message",
        "type": "text",
        "data": {"text": f"{peer}-{mid}"},
        "conversationId": "_user_".join(sorted((peer, ME))),
    }


class Queue:
    """The client's dispatcher, run by hand: ``run()`` runs what is queued, in order."""

    thread = None

    def __init__(self) -> None:
        self.items: collections.deque[Job] = collections.deque()

    def submit(self, item: Job) -> None:
        self.items.append(item)

    def offer(self, item: Job, events: int) -> bool:
        self.items.append(item)
        return True

    def stop(self, timeout: float = 1.0) -> None:
        self.run()

    def figures(self) -> QueueFigures:
        return QueueFigures(len(self.items), 0)

    def run(self) -> None:
        while self.items:
            self.items.popleft()()


class Handle:
    def __init__(self, delay: float, fn: Job) -> None:
        self.delay = delay
        self.fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Texts(MessageListener):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    def on_text_message_received(self, message: TextMessage) -> None:
        self.heard.append(message.text)


class Rig:
    """A Delivery for ``ME`` with a server holding ``stored`` (peer -> message ids)."""

    def __init__(self, discover: Optional[Callable[[set[str]], list[Conversation]]] = None):
        self.stored: dict[str, list[int]] = collections.defaultdict(list)
        self.asked: list[str] = []  # the peer of each page fetched
        self.during_fetch: Optional[Job] = None  # runs once, inside the next fetch
        self.failure: Optional[Exception] = None  # raised by the next fetch
        self.jobs: collections.deque[Job] = collections.deque()
        self.timers: list[Handle] = []
        self.delivery = Delivery(
            lambda: "test",
            ME,
            fetch=self.fetch,
            run_job=self.jobs.append,
            call_later=self.call_later,
        )
        self.queue = Queue()
        self.delivery.dispatcher = self.queue  # type: ignore[assignment]
        if discover is not None:
            self.delivery.discover = discover
        self.texts = Texts()
        self.delivery.registry(MessageListener).add("texts", self.texts)
        self.status = ConnectionStatus.DISCONNECTED

    def fetch(self, conversation: Conversation, after: int, per_page: int) -> Any:
        self.asked.append(conversation.receiver_id)
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        ids = [m for m in self.stored[conversation.receiver_id] if m > after][:per_page]
        if self.during_fetch is not None:
            during, self.during_fetch = self.during_fetch, None
            during()
        return [body(m, conversation.receiver_id) for m in ids]

    def call_later(self, delay: float, fn: Job) -> Handle:
        handle = Handle(delay, fn)
        self.timers.append(handle)
        return handle

    def change(self, status: ConnectionStatus) -> None:
        self.delivery.state_change(ConnectionStateChange(self.status, status))
        self.status = status

    def store(self, peer: str, *ids: int) -> None:
        self.stored[peer].extend(ids)

    def live(self, peer: str, *ids: int) -> None:
        """Messages ``ids`` of ``peer`` are stored and come over the socket now."""
        self.store(peer, *ids)
        frames = [{"type": "message", "body": body(m, peer)} for m in ids]
        self.delivery.frames(frames, "own-resource", ME)

    def step(self) -> bool:
        """Run one job if there is one, else what the dispatcher has queued."""
        if self.jobs:
            self.jobs.popleft()()
            return True
        if self.queue.items:
            self.queue.run()
            return True
        return False

    def settle(self) -> None:
        for _ in range(10_000):
            if not self.step():
                return
        raise AssertionError("the catch-up never ended")

    def heard(self, peer: str) -> list[int]:
        return [int(t.split("-")[1]) for t in self.texts.heard if t.startswith(peer + "-")]


def connected(rig: Rig, *follow: str) -> None:
    """``ME`` follows each of ``follow`` (one live message each), then the link drops."""
    rig.change(ConnectionStatus.CONNECTED)
    rig.settle()
    for n, peer in enumerate(follow, start=1):
        rig.live(peer, n)
    rig.settle()
    rig.change(ConnectionStatus.DISCONNECTED)
    rig.settle()


def test_a_small_conversation_is_filled_after_its_first_page_while_a_big_one_reads_on():
    rig = Rig()
    connected(rig, "big", "small")
    rig.store("big", *range(10, 260))  # three pages
    rig.store("small", 300, 301)  # one
    rig.change(ConnectionStatus.CONNECTED)
    rig.settle()
    assert rig.asked == ["big", "small", "big", "big"]  # round-robin, page by page
    # small's missed messages came right after big's first page, not after all of big.
    order = [t.split("-")[0] for t in rig.texts.heard[2:]]
    assert order == ["big"] * 100 + ["small"] * 2 + ["big"] * 150
    assert rig.heard("big") == [1, *range(10, 260)]
    assert rig.heard("small") == [2, 300, 301]
    assert rig.delivery.ledger.gapped() == []


def test_a_live_message_of_a_conversation_without_gap_is_not_held_by_the_catch_up():
    rig = Rig()
    connected(rig, "big", "small")
    rig.store("big", *range(10, 410))
    rig.change(ConnectionStatus.CONNECTED)
    for _ in range(6):  # big's first page, the look for new conversations, small's page
        rig.step()
    assert rig.heard("small") == [2] and len(rig.heard("big")) < 400
    rig.live("small", 500)
    rig.queue.run()
    assert rig.heard("small") == [2, 500], "a live message waited for another catch-up"
    rig.settle()
    assert rig.heard("big") == [1, *range(10, 410)]


def test_a_live_message_that_came_after_the_last_page_was_read_is_delivered_once():
    """The last page of a conversation is fetched; before it reaches the dispatcher, a new
    message of that conversation comes live: the dispatcher holds it back (the gap is still
    open) and the page does not have it. It is delivered right after the page."""
    rig = Rig()
    connected(rig, "a")
    rig.store("a", 5, 6)
    rig.during_fetch = lambda: rig.live("a", 7)  # queued before the page is handed over
    rig.change(ConnectionStatus.CONNECTED)
    rig.settle()
    assert rig.heard("a") == [1, 5, 6, 7]
    assert rig.delivery.ledger.gapped() == []
    rig.live("a", 8)
    rig.settle()
    assert rig.heard("a") == [1, 5, 6, 7, 8]


def test_live_messages_held_past_the_cap_are_read_again_from_the_server():
    rig = Rig()
    rig.delivery._max_queued_events = 1  # keep one held event, then only the highest id
    connected(rig, "a")
    rig.store("a", 5)
    rig.during_fetch = lambda: rig.live("a", 7, 8, 9)
    rig.change(ConnectionStatus.CONNECTED)
    rig.settle()
    assert rig.heard("a") == [1, 5, 7, 8, 9]
    assert rig.asked == ["a", "a"], "the last page was read once more"


def test_a_new_conversations_live_message_waits_for_its_missed_ones():
    """A peer never heard from wrote while the link was down and writes again now: its live
    message is parked while the catch-up looks for new conversations, and comes after the
    missed ones, once."""
    rig = Rig(discover=lambda known: [Conversation("user", "new", 9)])
    connected(rig, "a")
    rig.store("a", 20)
    rig.store("new", 10, 11)
    rig.change(ConnectionStatus.CONNECTED)
    rig.queue.run()  # the catch-up starts
    rig.live("new", 12)
    rig.settle()
    assert rig.heard("new") == [10, 11, 12]
    assert rig.heard("a") == [1, 20]


def test_a_live_message_parked_by_a_catch_up_that_failed_is_delivered():
    """The first page fails, before the look for new conversations: a live message of a
    conversation not followed, parked meanwhile, is delivered anyway (not lost)."""
    rig = Rig(discover=lambda known: [])
    connected(rig, "a")
    rig.failure = CometChatException("ERR_INTERNAL", "5xx", {"status": 503})
    rig.change(ConnectionStatus.CONNECTED)
    rig.queue.run()  # the catch-up starts
    rig.live("new", 40)
    rig.queue.run()
    assert rig.heard("new") == [], "parked while the catch-up may still look"
    rig.settle()
    assert rig.heard("new") == [40]


def test_a_slow_dispatcher_keeps_at_most_a_window_of_pages_fetched():
    rig = Rig()
    connected(rig, "a")
    rig.store("a", *range(10, 1010))
    rig.change(ConnectionStatus.CONNECTED)

    def only_jobs() -> None:
        while rig.jobs:
            rig.jobs.popleft()()

    rig.queue.run()  # the catch-up starts
    only_jobs()  # the dispatcher is stuck (a slow listener): pages pile up to WINDOW
    assert len(rig.asked) == WINDOW
    assert len(rig.queue.items) == WINDOW + 1  # and the look for new conversations
    rig.queue.run()
    only_jobs()
    assert len(rig.asked) == 2 * WINDOW
    rig.settle()
    assert rig.heard("a") == [1, *range(10, 1010)]


def test_nothing_fetched_after_the_session_ended_is_handed_over():
    rig = Rig()
    connected(rig, "a")
    rig.store("a", *range(10, 310))
    rig.change(ConnectionStatus.CONNECTED)
    rig.queue.run()
    rig.during_fetch = lambda: rig.delivery.end_session(1.0)  # close() meanwhile
    rig.settle()
    assert rig.heard("a") == [1]
    assert rig.asked == ["a"], "the catch-up went on after the session ended"


def test_a_failed_page_keeps_the_gaps_and_retries_later():
    rig = Rig()
    connected(rig, "a", "b")
    rig.store("a", 10)
    rig.store("b", 20)
    rig.failure = CometChatException("ERR_INTERNAL", "5xx", {"status": 503})
    rig.change(ConnectionStatus.CONNECTED)
    rig.settle()
    assert rig.asked == ["a"], "the fetching stops at a failure"
    assert sorted(c.receiver_id for c in rig.delivery.ledger.gapped()) == ["a", "b"]
    (retry,) = rig.timers
    assert retry.delay > 0 and not retry.cancelled
    rig.live("b", 21)  # held: b is still gapped
    rig.settle()
    assert rig.heard("b") == [2]
    retry.fn()  # the timer fires: the retry is queued on the dispatcher
    rig.settle()
    assert rig.heard("a") == [1, 10]
    assert rig.heard("b") == [2, 20, 21]
    assert rig.delivery.ledger.gapped() == []
    assert rig.delivery.counters().catch_up_failures == 1


def test_a_retry_waiting_is_dropped_when_the_link_or_the_session_ends():
    rig = Rig()
    connected(rig, "a")
    rig.failure = CometChatException("ERR_INTERNAL", "5xx", {"status": 503})
    rig.change(ConnectionStatus.CONNECTED)
    rig.settle()
    rig.change(ConnectionStatus.DISCONNECTED)
    assert [t.cancelled for t in rig.timers] == [True]
    rig.failure = CometChatException("ERR_INTERNAL", "5xx", {"status": 503})
    rig.change(ConnectionStatus.CONNECTED)
    rig.settle()
    rig.delivery.end_session(1.0)
    assert [t.cancelled for t in rig.timers] == [True, True]


def test_a_gap_fill_asked_for_during_a_catch_up_runs_after_it():
    """The queue bound is hit while a catch-up is under way: the conversation gapped then is
    read by one more catch-up once this one is done (never two at a time)."""
    rig = Rig()
    connected(rig, "a", "b")
    rig.store("a", *range(10, 210))
    rig.change(ConnectionStatus.CONNECTED)
    rig.step()
    rig.step()  # a's first page fetched
    rig.store("b", 30)
    assert rig.delivery.ledger.mark_gap(
        TextMessage.from_json(body(30, "b"))
    )  # as the reader does at the bound
    rig.delivery._request_gap_fill()
    rig.settle()
    assert rig.heard("b") == [2, 30]
    assert rig.heard("a") == [1, *range(10, 210)]
    assert rig.delivery.ledger.gapped() == []


def run_gated(limit: int, jobs: int) -> tuple[list[int], list[int], int, bool]:
    """``jobs`` jobs through a ``JobGate(limit)``, each held until released: the ones
    running before the release, the order they started in, the most at once, and whether an
    item submitted to the dispatch pool meanwhile ran."""
    gate = JobGate(limit)
    release = threading.Event()
    lock = threading.Lock()
    running: list[int] = []
    started: list[int] = []
    most = [0]
    all_ran = threading.Event()

    def job(n: int) -> Job:
        def run() -> None:
            with lock:
                running.append(n)
                started.append(n)
                most[0] = max(most[0], len(running))
            release.wait(WAIT)
            with lock:
                running.remove(n)
                if len(started) == jobs and not running:
                    all_ran.set()

        return run

    pool = _engine.dispatch_pool()
    try:
        for n in range(jobs):
            gate.submit(job(n))
        listener_item = threading.Event()
        pool.submit(listener_item.set)
        item_ran = listener_item.wait(WAIT)
        with lock:
            before = sorted(running)
        release.set()
        assert all_ran.wait(WAIT)
    finally:
        release.set()
        pool.stop_idle(WAIT)
    return before, started, most[0], item_ran


def test_catch_up_jobs_of_every_client_leave_dispatch_workers_free():
    """However many clients catch up against a slow server, at most ``limit`` of their REST
    jobs occupy the shared dispatch pool at a time; a listener item submitted to the pool
    meanwhile runs at once."""
    before, started, most, item_ran = run_gated(limit=2, jobs=6)
    assert item_ran, "a listener item waited behind catch-up jobs"
    assert before == [0, 1] and started[:2] == [0, 1]
    assert sorted(started) == list(range(6))
    assert most == 2


def test_catch_up_jobs_waiting_at_the_gate_start_first_in_first_out():
    before, started, most, _ = run_gated(limit=1, jobs=4)
    assert before == [0]
    assert started == [0, 1, 2, 3]
    assert most == 1
