"""The dispatcher: a bound counted in events, SDK items past it, any exception survived, a
cancellable scheduled item; served by a shared pool (no thread of its own, order kept across
fairness turns, a blocked listener holds one worker only); and how delivery uses it across
status changes."""

from __future__ import annotations

import collections
import functools
import threading
import time
from collections.abc import Iterator
from typing import Callable

import pytest

from cometchat_sync import ConnectionStateChange
from cometchat_sync import ConnectionStatus as S
from cometchat_sync import TextMessage
from cometchat_sync import _engine
from cometchat_sync._pool import WorkerPool
from cometchat_sync._timers import SharedTimer
from cometchat_sync.events import dispatcher as dispatcher_module
from cometchat_sync.events.delivery import Delivery
from cometchat_sync.events.dispatcher import Dispatcher

WAIT = 5.0


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    """A dispatch pool of four, as the engine's; its workers are ended at teardown."""
    p = WorkerPool("cometchat-dispatch", 4)
    yield p
    p.stop_idle(WAIT)


@pytest.fixture
def timer() -> Iterator[SharedTimer]:
    t = SharedTimer("cometchat-timer")
    yield t
    t.stop_idle(WAIT)


@pytest.fixture
def make(pool, timer) -> Iterator[Callable[..., Dispatcher]]:
    """``make(uid, max_events=...)``: a Dispatcher on the test's pool and timer."""
    made: list[Dispatcher] = []

    def build(uid: str = "test", max_events: int = 1_000_000) -> Dispatcher:
        d = Dispatcher(lambda: f"client {uid}", max_events, pool=pool, timer=timer)
        made.append(d)
        return d

    yield build
    for d in made:
        d.stop(WAIT)


@pytest.fixture
def dispatcher(make):
    return make(max_events=10)


def until(condition: Callable[[], bool]) -> bool:
    """Wait (bounded) for a state another thread reaches."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def block(d: Dispatcher) -> threading.Event:
    """Occupy the worker serving ``d`` until the returned event is set."""
    entered, release = threading.Event(), threading.Event()

    def wait() -> None:
        entered.set()
        release.wait(WAIT)

    d.submit(wait)
    assert entered.wait(WAIT)
    return release


def test_offer_refuses_past_the_bound_without_blocking_and_submit_never_does(dispatcher):
    release = block(dispatcher)
    ran: list[str] = []
    assert dispatcher.offer(lambda: ran.append("a"), 6)
    assert dispatcher.offer(lambda: ran.append("b"), 4)
    assert not dispatcher.offer(lambda: ran.append("c"), 1)  # 11 > 10
    dispatcher.submit(lambda: ran.append("status"))  # the SDK's own: always queued
    assert dispatcher.figures() == (10, 10)
    done = threading.Event()
    dispatcher.submit(done.set)
    release.set()
    assert done.wait(WAIT)
    assert ran == ["a", "b", "status"]
    assert dispatcher.figures().depth == 0
    assert dispatcher.offer(lambda: None, 10)  # room again


@pytest.mark.parametrize("raised", [ValueError, SystemExit, KeyboardInterrupt, BaseException])
def test_any_exception_of_an_item_leaves_the_thread_running(dispatcher, raised):
    ran_on: list[threading.Thread] = []

    def boom() -> None:
        ran_on.append(threading.current_thread())
        raise raised("bug")

    def after() -> None:
        ran_on.append(threading.current_thread())
        done.set()

    done = threading.Event()
    dispatcher.submit(boom)
    dispatcher.submit(after)
    assert done.wait(WAIT)
    assert ran_on[0] is ran_on[1] and ran_on[0].is_alive()


def test_a_scheduled_item_runs_on_the_thread_unless_cancelled(dispatcher):
    ran = threading.Event()
    on_own: list[bool] = []

    def item() -> None:
        on_own.append(threading.current_thread() is dispatcher.thread)
        ran.set()

    dispatcher.schedule(item, 0.05)
    assert ran.wait(WAIT)
    assert on_own == [True]
    cancelled = threading.Event()
    dispatcher.schedule(cancelled.set, 0.3)
    dispatcher.cancel_scheduled()
    later = threading.Event()
    dispatcher.schedule(later.set, 0.5)  # replaces: only the last one is kept
    assert later.wait(WAIT)
    assert not cancelled.is_set()


def test_stop_drops_a_scheduled_item():
    d = Dispatcher(lambda: "client test")  # the engine's pool and timer
    ran = threading.Event()
    d.schedule(ran.set, 0.2)
    d.stop(WAIT)
    assert d.thread is None
    assert not ran.wait(0.4)
    assert _engine.timer().live() == 0


# -- on the shared pool ---------------------------------------------------------------------------


POOL_NAMES = {f"cometchat-dispatch-{n}" for n in range(1, 5)}


def test_no_thread_of_its_own_a_dozen_clients_run_on_at_most_four_pool_workers(make, pool):
    clients = [make(f"user{i}") for i in range(12)]
    assert pool.threads() == [] and all(d.thread is None for d in clients)
    lock = threading.Lock()
    inside, most, names = [0], [0], set()
    release = threading.Event()
    done = threading.Semaphore(0)

    def item() -> None:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            names.add(threading.current_thread().name)
        release.wait(WAIT)
        with lock:
            inside[0] -= 1
        done.release()

    for d in clients:
        d.submit(item)
    assert until(lambda: inside[0] == 4)
    assert pool.busy() == 4 and pool.queued() == 8  # the other eight clients wait their turn
    release.set()
    assert all(done.acquire(timeout=WAIT) for _ in clients)
    assert most[0] == 4
    assert names <= POOL_NAMES  # no thread is named after a client
    assert len(pool.threads()) <= 4


def test_a_listener_blocked_for_long_holds_one_worker_and_other_clients_still_run(make):
    slow, others = make("slow"), [make("a"), make("b"), make("c")]
    release = block(slow)
    ran: list[str] = []
    finished = threading.Event()
    for d in others:
        for i in range(50):
            d.submit(lambda d=d, i=i: ran.append(f"{d!r}{i}"))
    last = threading.Semaphore(0)
    for d in others:
        d.submit(last.release)
    assert all(last.acquire(timeout=WAIT) for _ in others)
    assert len(ran) == 150
    slow.submit(finished.set)
    assert not finished.is_set()  # the slow client's own items wait behind its listener
    release.set()
    assert finished.wait(WAIT)


def test_four_blocked_listeners_hold_every_worker_and_a_fifth_clients_items_wait(make, pool):
    blocked = [make(f"blocked{i}") for i in range(4)]
    releases = [block(d) for d in blocked]
    fifth = make("fifth")
    ran = threading.Event()
    fifth.submit(ran.set)
    assert pool.busy() == 4 and len(pool.threads()) == 4  # the bound: no fifth worker
    assert pool.queued() == 1 and not ran.is_set()
    releases[2].set()  # one listener returns: its worker takes the fifth client
    assert ran.wait(WAIT)
    for release in releases:
        release.set()


def test_order_is_kept_across_fairness_turns_and_a_flooded_client_lets_another_in(timer):
    one = WorkerPool("cometchat-dispatch", 1)  # one worker: turns are the only way in
    try:
        gate = Dispatcher(lambda: "gate", pool=one, timer=timer)
        flooded = Dispatcher(lambda: "flood", pool=one, timer=timer)
        other = Dispatcher(lambda: "other", pool=one, timer=timer)
        release = block(gate)
        log: list[tuple[str, int]] = []
        on_own: list[bool] = []
        count = 3 * dispatcher_module.SLICE_ITEMS + 5

        def flood_item(i: int) -> None:
            on_own.append(threading.current_thread() is flooded.thread)
            log.append(("flood", i))

        for i in range(count):
            flooded.submit(functools.partial(flood_item, i))
        other.submit(lambda: log.append(("other", 0)))
        release.set()
        flooded.stop(WAIT)
        other.stop(WAIT)
        assert [i for who, i in log if who == "flood"] == list(range(count))
        assert all(on_own)
        # the other client ran after the flooded one's first turn, not after all of it
        assert log.index(("other", 0)) <= dispatcher_module.SLICE_ITEMS
    finally:
        one.stop_idle(WAIT)


def test_a_turn_also_ends_after_its_time_slice(timer):
    one = WorkerPool("cometchat-dispatch", 1)
    ticks = [0.0]

    def clock() -> float:  # every reading is a time slice later than the one before
        ticks[0] += dispatcher_module.SLICE_SECONDS
        return ticks[0]

    try:
        gate = Dispatcher(lambda: "gate", pool=one, timer=timer)
        flooded = Dispatcher(lambda: "flood", clock=clock, pool=one, timer=timer)
        other = Dispatcher(lambda: "other", pool=one, timer=timer)
        release = block(gate)
        log: list[str] = []
        for i in range(10):
            flooded.submit(functools.partial(log.append, f"flood{i}"))
        other.submit(lambda: log.append("other"))
        release.set()
        flooded.stop(WAIT)
        other.stop(WAIT)
        assert log.index("other") < 3
        assert [x for x in log if x != "other"] == [f"flood{i}" for i in range(10)]
    finally:
        one.stop_idle(WAIT)


def test_thread_is_the_serving_worker_inside_an_item_and_none_when_idle(dispatcher):
    seen: list[object] = []
    done = threading.Event()

    def item() -> None:
        seen.append(dispatcher.thread)
        seen.append(threading.current_thread())
        done.set()

    dispatcher.submit(item)
    assert done.wait(WAIT)
    assert seen[0] is seen[1]
    assert getattr(seen[0], "name", None) in POOL_NAMES
    dispatcher.stop(WAIT)
    assert dispatcher.thread is None


def test_stop_from_inside_an_item_returns_at_once_and_later_items_still_run(dispatcher):
    returned, later, again = threading.Event(), threading.Event(), threading.Event()

    def item() -> None:
        dispatcher.stop(60.0)  # waiting for its own queue would hold the test far past WAIT
        returned.set()

    dispatcher.submit(item)
    dispatcher.submit(later.set)
    assert returned.wait(WAIT)
    assert later.wait(WAIT)
    dispatcher.submit(again.set)
    assert again.wait(WAIT)


def test_stop_waits_until_everything_queued_has_run_and_accepts_work_after(dispatcher):
    release = block(dispatcher)
    ran: list[int] = []
    for i in range(3):
        dispatcher.submit(lambda i=i: ran.append(i))
    dispatcher.stop(0.01)  # still blocked: it gives up at its timeout
    assert ran == []
    seen_by_stop: list[list[int]] = []

    def stop() -> None:
        dispatcher.stop(WAIT)
        seen_by_stop.append(ran[:])

    stopper = threading.Thread(target=stop)
    stopper.start()
    release.set()
    stopper.join(WAIT)
    assert seen_by_stop == [[0, 1, 2]]
    assert dispatcher.thread is None
    done = threading.Event()
    dispatcher.submit(done.set)
    assert done.wait(WAIT)


def test_stop_from_another_clients_item_waits_for_this_clients_queue(make):
    first, second = make("first"), make("second")
    release = block(second)
    ran: list[int] = []
    for i in range(3):
        second.submit(lambda i=i: ran.append(i))
    seen: list[list[int]] = []
    done = threading.Event()

    def item() -> None:
        release.set()
        second.stop(WAIT)
        seen.append(ran[:])
        done.set()

    first.submit(item)
    assert done.wait(WAIT)
    assert seen == [[0, 1, 2]]


def test_events_leave_the_count_when_their_item_starts(dispatcher):
    release = block(dispatcher)
    depths: list[int] = []
    assert dispatcher.offer(lambda: depths.append(dispatcher.figures().depth), 3)
    assert dispatcher.offer(lambda: depths.append(dispatcher.figures().depth), 4)
    assert dispatcher.figures() == (7, 7)
    release.set()
    dispatcher.stop(WAIT)
    assert depths == [4, 0]
    assert dispatcher.figures() == (0, 7)


def test_pool_threads_all_end_after_stop_idle(make, pool):
    clients = [make(f"user{i}") for i in range(6)]
    workers: set[threading.Thread] = set()
    done = threading.Semaphore(0)
    release = threading.Event()

    def item() -> None:
        workers.add(threading.current_thread())
        release.wait(WAIT)
        done.release()

    for d in clients:
        d.submit(item)
    assert until(lambda: pool.busy() == 4)
    release.set()
    assert all(done.acquire(timeout=WAIT) for _ in clients)
    pool.stop_idle(WAIT)
    assert pool.threads() == []
    assert len(workers) == 4 and not any(t.is_alive() for t in workers)
    again = threading.Event()
    clients[0].submit(again.set)  # later work starts a worker again
    assert again.wait(WAIT)


def test_after_fork_in_child_forgets_what_the_parent_had_queued(dispatcher, pool):
    release = block(dispatcher)
    inherited = threading.Event()
    assert dispatcher.offer(inherited.set, 2)
    dispatcher.after_fork_in_child()  # as in a child (the pool is renewed by the engine)
    assert dispatcher.thread is None and dispatcher.figures() == (0, 0)
    fresh = threading.Event()
    dispatcher.submit(fresh.set)
    assert fresh.wait(WAIT)
    release.set()
    assert until(lambda: pool.busy() == 0)
    assert not inherited.is_set()


def test_at_interpreter_shutdown_items_are_dropped_and_stop_does_not_wait(make, monkeypatch):
    d = make()

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    ran = threading.Event()
    with monkeypatch.context() as patch:
        patch.setattr(threading.Thread, "start", refuse)
        assert d.offer(ran.set, 3)
    assert d.figures().depth == 0
    d.stop(60.0)  # nothing queued: it does not wait for a worker that cannot come
    assert not ran.is_set()


# -- delivery's use of it -------------------------------------------------------------------------


def test_feature_throttling_is_the_same_link_so_no_second_catch_up():
    fetched: list[str] = []

    def fetch(conversation, after, per_page):
        fetched.append(conversation.receiver_id)
        return []

    jobs: collections.deque[Callable[[], None]] = collections.deque()  # the catch-up's REST
    delivery = Delivery(lambda: "client test", "me", fetch=fetch, run_job=jobs.append)
    message = TextMessage.from_json(
        {
            "id": 1,
            "sender": "a",
            "receiver": "me",
            "receiverType": "user",
            "type": "text",
            "category": "message",
            "data": {"text": "hi"},
        }
    )
    assert delivery.ledger.admit(message)
    steps = [
        (S.DISCONNECTED, S.CONNECTING),
        (S.CONNECTING, S.CONNECTED),  # a new socket: one catch-up
        (S.CONNECTED, S.FEATURE_THROTTLED),
        (S.FEATURE_THROTTLED, S.CONNECTED),  # the same socket: none
    ]
    for previous, current in steps:
        delivery.state_change(ConnectionStateChange(previous, current))
    while True:  # run the catch-up's jobs here until neither they nor the queue hold work
        done = threading.Event()
        delivery.dispatcher.submit(done.set)
        assert done.wait(WAIT)
        if not jobs:
            break
        while jobs:
            jobs.popleft()()
    assert fetched == ["a"]
    delivery.end_session(WAIT)
    _engine.dispatch_pool().stop_idle(WAIT)
