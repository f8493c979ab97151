"""Unit tests of the connection core, without sockets to a server.

Covered: the transition table and the lifecycle's single change method, backoff pacing (with
an injected ``rng``), the timer thread (with a fake clock), the lifecycle object driven by hand
as the reader would drive it, and the keepalive tick's sleep detection in the manager.

The only OS objects used are the socket pair inside each ``Dial`` (released by the tests) and
the timer thread, which each test stops.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Optional

import pytest

from cometchat_sync.connection.backoff import Backoff
from cometchat_sync.connection.dial_io import run_steps
from cometchat_sync.connection.lifecycle import Lifecycle
from cometchat_sync.connection.lifecycle import LinkState
from cometchat_sync.connection.manager import PING_FRAME
from cometchat_sync.connection.manager import ConnectionManager
from cometchat_sync.connection.reader import Reader
from cometchat_sync.connection.reader import Renewal
from cometchat_sync.connection.reader import _Try
from cometchat_sync.connection.state import TRANSITIONS
from cometchat_sync.connection.state import AppState
from cometchat_sync.connection.state import ConnectionStateChange
from cometchat_sync.connection.state import ConnectionStatus
from cometchat_sync.connection.state import DisconnectReason
from cometchat_sync.connection.timer import Timer
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import LinkClosed
from cometchat_sync.errors import CometChatException
from cometchat_sync.errors import ErrorCode
from cometchat_sync.settings import AppSettingsBuilder

S = ConnectionStatus
WAIT = 2.0  # every wait on a real thread is bounded by this


# -- fakes -----------------------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock that moves only when told to (``step`` per read, if given)."""

    def __init__(self, start: float = 1000.0, step: float = 0.0) -> None:
        self._now = start
        self._step = step
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            now = self._now
            self._now += self._step
            return now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class FakeLink:
    """A link that records what the SDK does with it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.shutdowns = 0
        self.closes: list[int] = []
        self.dead = False

    def send_text(self, text: str) -> None:
        if self.dead:
            raise LinkClosed(1006)
        self.sent.append(text)

    def try_send_text(self, text: str) -> bool:
        self.send_text(text)
        return True

    def recv_text(self) -> str:
        raise LinkClosed(1006)

    def buffered(self) -> bool:
        return False

    def shutdown(self) -> None:
        self.shutdowns += 1
        self.dead = True

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.closes.append(code)
        self.dead = True

    def fileno(self) -> int:
        return -1

    def read_ready(self) -> list[bytes]:
        raise LinkClosed(1006)

    def read_one(self) -> Optional[bytes]:
        raise LinkClosed(1006)

    def claim_for_loop(self) -> bool:
        return not self.dead

    def release(self) -> None:
        self.dead = True


class NoDialTransport:
    """Unit tests never dial."""

    def open(self, url: str, *, timeout: float, dial: Dial) -> Any:
        raise AssertionError("a unit test tried to open a socket")


class Calls:
    """``on_change``/``on_error`` sinks for a lifecycle; notes whether each change was
    delivered with the lifecycle's lock held and what the events said at that moment."""

    def __init__(self) -> None:
        self.changes: list[ConnectionStateChange] = []
        self.errors: list[CometChatException] = []
        self.lock_held: list[bool] = []
        self.events_seen: list[tuple[bool, bool]] = []
        self.lc: Optional[Lifecycle] = None

    def on_change(self, change: ConnectionStateChange) -> None:
        self.changes.append(change)
        if self.lc is not None:
            self.lock_held.append(self.lc._lock.locked())
            self.events_seen.append((self.lc._connected.is_set(), self.lc._disconnected.is_set()))

    def on_error(self, error: CometChatException) -> None:
        self.errors.append(error)

    def pairs(self) -> list[tuple[S, S]]:
        return [(c.previous, c.current) for c in self.changes]


def new_lifecycle(clock: Callable[[], float] = time.monotonic) -> tuple[Lifecycle, Calls]:
    calls = Calls()
    lc = Lifecycle(on_change=calls.on_change, on_error=calls.on_error, clock=clock)
    calls.lc = lc
    return lc, calls


def err(text: str = "boom", code: str = ErrorCode.WEBSOCKET_ERROR) -> CometChatException:
    return CometChatException(code, text)


def attempt(lc: Lifecycle) -> tuple[int, Dial]:
    """What the reader does to start an attempt (the link must be wanted, no delay)."""
    answer = lc.poll_attempt(0.0, None)
    assert answer.dial is not None, answer
    return answer.epoch, answer.dial


def finish(lc: Lifecycle, dial: Dial) -> None:
    """What the reader does when an attempt is over, whatever its outcome."""
    lc.end_attempt(dial)
    dial.release()


def connect_by_hand(lc: Lifecycle, link: FakeLink, *, fail_fast: bool = False) -> LinkState:
    lc.request(fail_fast=fail_fast)
    epoch, dial = attempt(lc)
    finish(lc, dial)
    state = lc.succeeded(epoch, link)
    assert state is not None
    return state


# -- the transition table --------------------------------------------------------------------------

ALL_PAIRS = [(old, new) for old in S for new in S if old is not new]


def test_transition_table_shape() -> None:
    assert set(TRANSITIONS) == set(S)
    for old, targets in TRANSITIONS.items():
        assert old not in targets, "a status never changes to itself"
    # connected means "the server accepted the auth frame": only an attempt gets there.
    assert TRANSITIONS[S.DISCONNECTED] == frozenset({S.CONNECTING})
    # Every status can end in disconnected (logout, close, loss) except disconnected itself.
    assert all(S.DISCONNECTED in TRANSITIONS[s] for s in S if s is not S.DISCONNECTED)


PAIR_IDS = [f"{o.value}->{n.value}" for o, n in ALL_PAIRS]


@pytest.mark.parametrize(("old", "new"), ALL_PAIRS, ids=PAIR_IDS)
def test_change_accepts_exactly_the_table(old: S, new: S) -> None:
    lc, calls = new_lifecycle()
    lc._status = old  # put it there directly: the table is what is under test
    connected_before, disconnected_before = lc._connected.is_set(), lc._disconnected.is_set()
    error = err()
    with lc._lock:
        if new in TRANSITIONS[old]:
            lc._change(new, DisconnectReason.USER if new is S.DISCONNECTED else None, error)
            allowed = True
        else:
            with pytest.raises(RuntimeError, match=f"{old.value} -> {new.value}"):
                lc._change(new)
            allowed = False
    if allowed:
        assert lc.status is new
        assert len(calls.changes) == 1
        change = calls.changes[0]
        assert (change.previous, change.current) == (old, new)
        assert change.error is error
        assert lc._connected.is_set() is (new is S.CONNECTED)
        assert lc._disconnected.is_set() is (new is S.DISCONNECTED)
        if new is S.DISCONNECTED:
            assert change.reason is DisconnectReason.USER
            assert lc.last_reason is DisconnectReason.USER
    else:
        assert lc.status is old
        assert calls.changes == []
        assert (lc._connected.is_set(), lc._disconnected.is_set()) == (
            connected_before,
            disconnected_before,
        )


@pytest.mark.parametrize("status", list(S))
def test_change_to_the_same_status_is_a_silent_no_op(status: S) -> None:
    lc, calls = new_lifecycle()
    lc._status = status
    with lc._lock:
        lc._change(status)
    assert lc.status is status
    assert calls.changes == []


def test_one_notification_per_change_in_order_with_events_already_set() -> None:
    lc, calls = new_lifecycle()
    path = [
        S.CONNECTING,
        S.CONNECTED,
        S.FEATURE_THROTTLED,
        S.CONNECTED,
        S.DISCONNECTED,
        S.CONNECTING,
        S.DISCONNECTED,
    ]
    for status in path:
        with lc._lock:
            lc._change(status, DisconnectReason.LINK_LOST if status is S.DISCONNECTED else None)
    assert [c.current for c in calls.changes] == path
    assert [c.previous for c in calls.changes] == [S.DISCONNECTED, *path[:-1]]
    # Notified under the lock (so notifications cannot overtake each other) and after the
    # events were updated (a listener woken by the event sees the same state).
    assert all(calls.lock_held)
    assert calls.events_seen == [(s is S.CONNECTED, s is S.DISCONNECTED) for s in path]
    # The status events start as "disconnected".
    fresh, _ = new_lifecycle()
    assert fresh._disconnected.is_set() and not fresh._connected.is_set()


def test_notifications_form_one_chain_under_concurrent_requests_and_drops(
    run_in_threads: Callable[[list[Callable[[], None]], float], None],
) -> None:
    lc, calls = new_lifecycle()
    barrier = threading.Barrier(4)

    def churn(i: int) -> None:
        barrier.wait(WAIT)
        for _ in range(200):
            if i % 2:
                lc.request(fail_fast=False)
            else:
                lc.drop(DisconnectReason.USER)

    run_in_threads([functools.partial(churn, i) for i in range(4)], WAIT * 5)
    assert calls.changes, "the churn produced no change at all"
    previous = S.DISCONNECTED
    for change in calls.changes:
        assert change.previous is previous, "a notification overtook another"
        assert change.current in TRANSITIONS[change.previous]
        previous = change.current
    assert previous is lc.status


# -- backoff ---------------------------------------------------------------------------------------


class RecordingRng:
    """An injected ``rng`` that records its bounds and returns one of them."""

    def __init__(self, pick: str) -> None:
        self.pick = pick
        self.bounds: list[tuple[float, float]] = []

    def __call__(self, low: float, high: float) -> float:
        self.bounds.append((low, high))
        return high if self.pick == "high" else low


def test_backoff_ceiling_doubles_from_base_to_cap_and_stays() -> None:
    rng = RecordingRng("high")
    backoff = Backoff(0.5, 30.0, probe_interval=1.0, rng=rng)
    delays = [backoff.next_delay(unreachable=False) for _ in range(10)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    assert backoff.failures == 10
    # Far past the point where 2**n would overflow a float: still the cap.
    for _ in range(2000):
        assert backoff.next_delay(unreachable=False) == 30.0


def test_backoff_full_jitter_lower_bound_is_zero() -> None:
    rng = RecordingRng("low")
    backoff = Backoff(0.5, 30.0, rng=rng)
    assert [backoff.next_delay(unreachable=False) for _ in range(8)] == [0.0] * 8
    assert all(low == 0.0 for low, _ in rng.bounds)
    # And with the real generator every delay lies in [0, ceiling].
    real = Backoff(0.5, 4.0)
    ceilings = [0.5, 1.0, 2.0, 4.0] + [4.0] * 200
    for ceiling in ceilings:
        assert 0.0 <= real.next_delay(unreachable=False) <= ceiling


def test_backoff_healthy_resets_to_base() -> None:
    backoff = Backoff(0.5, 30.0, rng=RecordingRng("high"))
    for _ in range(6):
        backoff.next_delay(unreachable=False)
    assert backoff.next_delay(unreachable=False) == 30.0
    backoff.healthy()
    assert backoff.failures == 0
    assert [backoff.next_delay(unreachable=False) for _ in range(3)] == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("failures", [0, 1, 7, 500])
def test_probe_pacing_ignores_backoff_and_is_not_a_failure(failures: int) -> None:
    rng = RecordingRng("high")
    backoff = Backoff(0.5, 30.0, probe_interval=0.8, rng=rng)
    for _ in range(failures):
        backoff.next_delay(unreachable=False)
    rng.bounds.clear()
    for pick in ("high", "low"):
        rng.pick = pick
        delay = backoff.next_delay(unreachable=True)
        assert 0.4 <= delay <= 0.8
    assert rng.bounds == [(0.4, 0.8), (0.4, 0.8)]
    assert backoff.failures == failures
    # The exponential pace resumes exactly where it was.
    rng.pick = "high"
    assert backoff.next_delay(unreachable=False) == min(30.0, 0.5 * 2 ** min(failures, 30))


def test_probe_pacing_with_the_real_generator_stays_in_range() -> None:
    backoff = Backoff(0.5, 30.0, probe_interval=1.0)
    for _ in range(200):
        assert 0.5 <= backoff.next_delay(unreachable=True) <= 1.0
    assert backoff.failures == 0


# -- timer -----------------------------------------------------------------------------------------


@pytest.fixture
def fake_timer() -> Iterator[tuple[Timer, FakeClock]]:
    clock = FakeClock()
    timer = Timer(lambda: "cometchat-timer-unit", clock)
    try:
        yield timer, clock
    finally:
        timer.stop(WAIT)


_barrier_ids = iter(range(1_000_000))


def flush(timer: Timer) -> None:
    """Wait until every callback due by now has run: a deadline of 0 from now sorts after all
    of them (heap order is deadline, then scheduling order), and scheduling also wakes the
    thread so it re-reads the clock."""
    done = threading.Event()
    timer.schedule(f"barrier-{next(_barrier_ids)}", 0.0, lambda _late: done.set())
    assert done.wait(WAIT), "the timer thread did not reach the barrier"


def test_timer_runs_due_callbacks_in_deadline_order_with_lateness(
    fake_timer: tuple[Timer, FakeClock],
) -> None:
    timer, clock = fake_timer
    ran: list[tuple[str, float]] = []
    for key, delay in (("c", 30.0), ("a", 10.0), ("d", 40.0), ("b", 20.0)):
        timer.schedule(key, delay, functools.partial(lambda k, late: ran.append((k, late)), key))
    assert timer.pending("a") == 10.0 and timer.pending("d") == 40.0
    flush(timer)
    assert ran == [], "nothing is due before the clock moves"
    clock.advance(35.0)
    flush(timer)
    assert ran == [("a", 25.0), ("b", 15.0), ("c", 5.0)]
    assert timer.pending("c") is None
    assert timer.pending("d") == 5.0
    clock.advance(5.0)
    flush(timer)
    assert ran[-1] == ("d", 0.0)


def test_timer_scheduling_a_key_again_replaces_it(fake_timer: tuple[Timer, FakeClock]) -> None:
    timer, clock = fake_timer
    ran: list[str] = []
    timer.schedule("k", 100.0, lambda _l: ran.append("first"))
    timer.schedule("k", 5.0, lambda _l: ran.append("second"))
    assert timer.pending("k") == 5.0
    clock.advance(10.0)
    flush(timer)
    assert ran == ["second"]
    # The replaced deadline (at +100) must never fire, even once the clock is past it.
    clock.advance(200.0)
    flush(timer)
    assert ran == ["second"]
    # Replacing with a later deadline postpones it.
    timer.schedule("k", 1.0, lambda _l: ran.append("third"))
    timer.schedule("k", 50.0, lambda _l: ran.append("fourth"))
    clock.advance(10.0)
    flush(timer)
    assert ran == ["second"]
    assert timer.pending("k") == 40.0


def test_timer_cancel(fake_timer: tuple[Timer, FakeClock]) -> None:
    timer, clock = fake_timer
    ran: list[str] = []
    timer.schedule("a", 5.0, lambda _l: ran.append("a"))
    timer.schedule("b", 5.0, lambda _l: ran.append("b"))
    timer.schedule("c", 5.0, lambda _l: ran.append("c"))
    timer.cancel("a", "c", "never-scheduled")
    assert timer.pending("a") is None and timer.pending("c") is None
    assert timer.pending("b") == 5.0
    clock.advance(10.0)
    flush(timer)
    assert ran == ["b"]


def test_timer_survives_a_failing_callback(
    fake_timer: tuple[Timer, FakeClock], caplog: pytest.LogCaptureFixture
) -> None:
    timer, _clock = fake_timer

    def explode(_late: float) -> None:
        raise ValueError("callback bug")

    with caplog.at_level(logging.ERROR, logger="cometchat_sync._timers"):
        timer.schedule("boom", 0.0, explode)
        timer.schedule("later", 100.0, lambda _late: None)  # keeps the thread alive
        flush(timer)
    thread = timer.thread
    assert thread is not None and thread.is_alive()
    assert any("timer callback failed" in r.getMessage() for r in caplog.records)
    flush(timer)  # and it still serves deadlines


def test_timer_stop_joins_the_thread_and_restart_allows_scheduling_again(
    fake_timer: tuple[Timer, FakeClock],
) -> None:
    timer, clock = fake_timer
    assert timer.thread is None, "the thread starts lazily"
    ran: list[str] = []
    timer.schedule("later", 100.0, lambda _l: ran.append("later"))
    thread = timer.thread
    assert thread is not None and thread.is_alive()

    timer.stop(WAIT)
    assert not thread.is_alive()
    assert timer.thread is None
    assert timer.pending("later") is None, "stop() drops every deadline"

    # Stopped: scheduling is ignored and starts no thread.
    timer.schedule("ignored", 0.0, lambda _l: ran.append("ignored"))
    assert timer.thread is None and timer.pending("ignored") is None

    timer.restart()
    clock.advance(500.0)
    flush(timer)
    timer.schedule("again", 100.0, lambda _l: ran.append("again"))
    new_thread = timer.thread
    assert new_thread is not None and new_thread is not thread and new_thread.is_alive()
    assert ran == []
    timer.cancel("again")
    assert new_thread.join(WAIT) is None and not new_thread.is_alive(), (
        "with no deadline left the timer thread ends by itself"
    )


def test_timer_stop_from_its_own_callback_ends_the_thread(
    fake_timer: tuple[Timer, FakeClock],
) -> None:
    timer, _clock = fake_timer
    returned = threading.Event()

    def stop_self(_late: float) -> None:
        timer.stop(WAIT)  # must not try to join itself
        returned.set()

    timer.schedule("stop", 0.0, stop_self)
    thread = timer.thread
    assert thread is not None
    assert returned.wait(WAIT)
    thread.join(WAIT)
    assert not thread.is_alive()


def test_timer_with_the_real_clock_fires_a_short_deadline_and_an_earlier_one_wakes_it() -> None:
    timer = Timer(lambda: "cometchat-timer-unit-real")
    try:
        fired: list[tuple[str, float]] = []
        done = threading.Event()
        timer.schedule("far", 3600.0, lambda late: fired.append(("far", late)))

        def near(late: float) -> None:
            fired.append(("near", late))
            done.set()

        start = time.monotonic()
        timer.schedule("near", 0.02, near)  # wakes the thread sleeping for "far"
        assert done.wait(WAIT)
        assert time.monotonic() - start >= 0.02
        assert fired[0][0] == "near" and fired[0][1] >= 0.0
        assert len(fired) == 1
    finally:
        timer.stop(WAIT)


# -- lifecycle driven by hand ----------------------------------------------------------------------


def test_request_then_next_attempt_starts_a_dial() -> None:
    lc, calls = new_lifecycle(FakeClock())
    lc.request(fail_fast=True)
    assert lc.status is S.CONNECTING and lc.want and lc._fail_fast
    assert calls.pairs() == [(S.DISCONNECTED, S.CONNECTING)]
    assert not lc._connected.is_set() and not lc._disconnected.is_set()
    epoch, dial = attempt(lc)
    try:
        assert epoch == lc.epoch == 1
        assert lc._dial is dial
        assert calls.pairs() == [(S.DISCONNECTED, S.CONNECTING)], "no second notification"
    finally:
        finish(lc, dial)
    assert lc._dial is None


def test_fail_fast_failure_disconnects_with_connect_failed_and_one_report() -> None:
    lc, calls = new_lifecycle(FakeClock())
    lc.request(fail_fast=True)
    epoch, dial = attempt(lc)
    error = err("handshake failed")
    try:
        again = lc.failed(epoch, error)
    finally:
        finish(lc, dial)
    assert again is False
    assert lc.status is S.DISCONNECTED and not lc.want
    assert lc.last_reason is DisconnectReason.CONNECT_FAILED
    assert lc._disconnected.is_set()
    assert calls.errors == [error]
    last = calls.changes[-1]
    assert (last.previous, last.current, last.reason) == (
        S.CONNECTING,
        S.DISCONNECTED,
        DisconnectReason.CONNECT_FAILED,
    )
    assert last.error is error
    assert (lc._outcomes, lc._last_outcome_error) == (1, error)


def test_background_retries_report_the_error_once_until_a_success() -> None:
    lc, calls = new_lifecycle(FakeClock())
    lc.request(fail_fast=False)
    first = err("first")
    for i in range(3):
        epoch, dial = attempt(lc)
        try:
            assert lc.failed(epoch, first if i == 0 else err(f"again {i}")) is True
        finally:
            finish(lc, dial)
        assert lc.status is S.CONNECTING and lc.want
    assert calls.errors == [first]
    assert calls.pairs() == [(S.DISCONNECTED, S.CONNECTING)], "failures while retrying are silent"
    assert lc._outcomes == 3

    link = FakeLink()
    epoch, dial = attempt(lc)
    finish(lc, dial)
    state = lc.succeeded(epoch, link)
    assert state is not None and lc.status is S.CONNECTED and lc._connected.is_set()
    assert lc._last_outcome_error is None
    lc.lost(state, err("link broke"))
    assert lc.status is S.DISCONNECTED and lc.want, "foreground: still wanted"
    assert lc.last_reason is DisconnectReason.LINK_LOST
    assert calls.errors == [first], "a non-fatal loss is not an error report"

    after = err("after a success")
    epoch, dial = attempt(lc)  # the reader's next attempt moves it back to connecting
    try:
        assert lc.status is S.CONNECTING
        assert lc.failed(epoch, after) is True
    finally:
        finish(lc, dial)
    assert calls.errors == [first, after]


def test_fatal_failure_is_auth_rejected_and_ends_the_wish() -> None:
    lc, calls = new_lifecycle(FakeClock())
    lc.request(fail_fast=False)
    epoch, dial = attempt(lc)
    transient = err("transient")
    assert lc.failed(epoch, transient) is True
    finish(lc, dial)
    epoch, dial = attempt(lc)
    rejected = err("auth rejected")
    try:
        assert lc.failed(epoch, rejected, drop=DisconnectReason.AUTH_REJECTED) is False
    finally:
        finish(lc, dial)
    assert lc.status is S.DISCONNECTED and not lc.want
    assert lc.last_reason is DisconnectReason.AUTH_REJECTED
    assert calls.changes[-1].error is rejected
    assert calls.errors == [transient, rejected], "a fatal failure is always reported"


def test_stale_reports_are_ignored() -> None:
    lc, calls = new_lifecycle(FakeClock())
    lc.request(fail_fast=True)
    epoch, dial = attempt(lc)
    finish(lc, dial)
    link = FakeLink()
    assert lc.succeeded(epoch + 1, link) is None
    assert lc.succeeded(epoch - 1, link) is None
    assert lc.status is S.CONNECTING and lc.current is None
    assert lc.failed(epoch - 1, err(), drop=DisconnectReason.AUTH_REJECTED) is True, (
        "a stale failure changes nothing"
    )
    assert lc.status is S.CONNECTING and lc.want and calls.errors == []
    state = lc.succeeded(epoch, link)
    assert state is not None and state.epoch == epoch and lc.current is state
    assert link.closes == [] and link.shutdowns == 0
    # A loss reported for a socket that is no longer current is ignored too.
    other = LinkState(epoch, FakeLink(), 0.0)
    lc.lost(other, err())
    assert lc.status is S.CONNECTED and lc.current is state and calls.errors == []


def test_loss_in_background_ends_the_wish_and_in_foreground_keeps_it() -> None:
    lc, calls = new_lifecycle(FakeClock())
    state = connect_by_hand(lc, FakeLink())
    lc.change_app_state(AppState.BACKGROUND, lambda _view: None)
    lc.lost(state, err("broke"))
    assert lc.status is S.DISCONNECTED and not lc.want and lc.current is None
    assert lc.last_reason is DisconnectReason.LINK_LOST
    assert calls.errors == []

    lc.change_app_state(AppState.FOREGROUND, lambda _view: None)
    state = connect_by_hand(lc, FakeLink())
    kicked = err("closed with 4001")
    lc.lost(state, kicked)
    assert lc.status is S.DISCONNECTED and lc.want, "every close is retried in the foreground"
    assert lc.last_reason is DisconnectReason.LINK_LOST
    assert calls.errors == [], "a loss is no error report: listeners hear the state change"


def test_counters_count_attempts_reconnects_time_in_states_and_pong_age() -> None:
    clock = FakeClock()
    lc, _calls = new_lifecycle(clock)
    clock.advance(2.0)  # disconnected, before anything
    lc.request(fail_fast=False)
    epoch, dial = attempt(lc)
    finish(lc, dial)
    lc.failed(epoch, err())
    clock.advance(1.0)  # connecting, between attempts
    epoch, dial = attempt(lc)
    finish(lc, dial)
    link = FakeLink()
    state = lc.succeeded(epoch, link)
    assert state is not None
    first = lc.counters()
    assert first.attempts == 2 and first.reconnects == 0, "the first connect is no reconnect"
    assert first.last_pong_age is None, "no pong yet"
    clock.advance(4.0)
    state.last_inbound = clock()
    lc.pong(state)
    clock.advance(0.5)
    lc.lost(state, err("broke"))
    epoch, dial = attempt(lc)
    finish(lc, dial)
    assert lc.succeeded(epoch, FakeLink()) is not None
    clock.advance(0.25)
    counters = lc.counters()
    assert counters.attempts == 3 and counters.reconnects == 1
    assert counters.seconds_in[S.DISCONNECTED] == pytest.approx(2.0)
    assert counters.seconds_in[S.CONNECTING] == pytest.approx(1.0)
    assert counters.seconds_in[S.CONNECTED] == pytest.approx(4.5 + 0.25), "up to now"
    assert counters.last_pong_age is None, "a new socket starts without a pong"
    lc.drop(DisconnectReason.USER)
    lc.request(fail_fast=True)
    epoch, dial = attempt(lc)
    finish(lc, dial)
    assert lc.succeeded(epoch, FakeLink()) is not None
    assert lc.counters().reconnects == 1, "a connect after disconnect() is no reconnect"


def test_drop_bumps_the_epoch_so_an_older_attempt_cannot_succeed() -> None:
    lc, calls = new_lifecycle(FakeClock())
    lc.request(fail_fast=False)
    old_epoch, dial = attempt(lc)
    lc.drop(DisconnectReason.USER)
    assert dial.cancelled, "drop() cancels the attempt in flight"
    assert lc.epoch > old_epoch
    assert lc.status is S.DISCONNECTED and lc.last_reason is DisconnectReason.USER
    finish(lc, dial)

    lc.request(fail_fast=False)  # wanted again before the old attempt reports
    late_link = FakeLink()
    assert lc.succeeded(old_epoch, late_link) is None
    assert lc.status is S.CONNECTING and lc.current is None
    # The fresh attempt works, and dropping it closes its link.
    link = FakeLink()
    epoch, dial = attempt(lc)
    finish(lc, dial)
    assert epoch > old_epoch
    assert lc.succeeded(epoch, link) is not None
    lc.drop(DisconnectReason.LOGOUT)
    assert link.closes == [1000]
    assert lc.current is None and lc.last_reason is DisconnectReason.LOGOUT
    assert calls.pairs()[-1] == (S.CONNECTED, S.DISCONNECTED)


def test_wait_idle_waits_for_the_attempt_in_flight() -> None:
    # A clock that runs 1 s per read: the timeout passes without real waiting.
    lc, _calls = new_lifecycle(FakeClock(step=1.0))
    lc.request(fail_fast=False)
    _epoch, dial = attempt(lc)
    try:
        assert lc.wait_idle(0.5) is False
    finally:
        finish(lc, dial)
    assert lc.wait_idle(0.5) is True

    # And with the real clock, a waiter wakes when the reader ends the attempt.
    lc, _calls = new_lifecycle()
    lc.request(fail_fast=False)
    _epoch, dial = attempt(lc)
    lc.end_attempt(Dial.__new__(Dial))  # someone else's dial: no effect
    assert lc._dial is dial
    assert lc.wait_idle(0.01) is False
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(lc.wait_idle(WAIT * 2)))
    waiter.start()
    finish(lc, dial)
    waiter.join(WAIT)
    assert not waiter.is_alive() and result == [True]


def test_poll_attempt_ends_when_nothing_is_wanted_or_on_stop_reader() -> None:
    lc, _calls = new_lifecycle()
    assert lc.poll_attempt(0.0, None).end, "nothing wanted: the reader goes idle"
    lc.request(fail_fast=False)
    lc.stop_reader()
    assert lc.poll_attempt(0.0, None).end, "stop_reader() ends the reader"


def test_a_new_request_after_a_drop_skips_the_backoff_wait() -> None:
    lc, _calls = new_lifecycle()
    lc.request(fail_fast=False)
    epoch, dial = attempt(lc)
    lc.failed(epoch, err())
    finish(lc, dial)
    not_before = lc.clock() + 3600.0
    waiting = lc.poll_attempt(not_before, None)
    assert waiting.dial is None and 3500 < waiting.wait <= 3600.0
    lc.drop(DisconnectReason.USER)
    lc.request(fail_fast=True)
    answer = lc.poll_attempt(not_before, waiting.requests)
    assert answer.dial is not None, "the backoff delay was not skipped"
    assert answer.epoch == lc.epoch
    finish(lc, answer.dial)


def test_an_explicit_connect_skips_an_automatic_reconnect_wait_but_an_auto_request_does_not():
    lc, _calls = new_lifecycle()
    lc.request(fail_fast=False)
    epoch, dial = attempt(lc)
    lc.failed(epoch, err())  # still wanted: the reader backs off
    finish(lc, dial)
    not_before = lc.clock() + 3600.0
    waiting = lc.poll_attempt(not_before, None)
    lc.request(fail_fast=False)  # e.g. a foreground event: the backoff still applies
    again = lc.poll_attempt(not_before, waiting.requests)
    assert again.dial is None and again.wait > 3500, "an automatic request bypassed the backoff"
    lc.request(fail_fast=True)  # connect(): the app asks for a link now
    answer = lc.poll_attempt(not_before, again.requests)
    assert answer.dial is not None, "connect() did not skip the backoff wait"
    finish(lc, answer.dial)


# -- the manager's keepalive tick ------------------------------------------------------------------


@pytest.fixture
def connection() -> Iterator[tuple[ConnectionManager, LinkState, FakeLink, FakeClock]]:
    clock = FakeClock()
    settings = AppSettingsBuilder().set_ping_interval(1.0).set_pong_timeout(0.5).build()
    conn = ConnectionManager(
        settings,
        transport=NoDialTransport(),
        url=lambda: "ws://127.0.0.1:9/unused",
        auth_frame=lambda: None,
        logged_in=lambda: True,
        thread_suffix=lambda: "unit",
        on_change=lambda _c: None,
        on_error=lambda _e: None,
        on_frames=lambda _f: None,
        renew_credentials=lambda _dial: (Renewal.FAILED, err("unused")),
        credentials_revoked=lambda _e: None,
        clock=clock,
    )
    link = FakeLink()
    state = connect_by_hand(conn._lc, link)
    try:
        yield conn, state, link, clock
    finally:
        conn.close(DisconnectReason.CLOSED, timeout=WAIT)


def test_keepalive_tick_sends_a_ping_and_rearms(
    connection: tuple[ConnectionManager, LinkState, FakeLink, FakeClock],
) -> None:
    conn, state, link, _clock = connection
    conn._keepalive_tick(state, 0.01, time.time() - 0.01)
    assert link.sent == [PING_FRAME]
    assert json.loads(link.sent[0]) == {"action": "ping", "ack": "true"}
    assert link.shutdowns == 0 and state.dead_error is None
    timer = conn._timer
    assert timer.pending("keepalive") == 1.0, "the next keepalive is one ping interval away"
    assert timer.pending("pong") == 0.5, "the pong deadline is armed"


@pytest.mark.parametrize(
    ("lateness", "wall_extra"),
    [
        (2.5, 0.0),  # the tick came 2.5 s late (threshold: max(ping interval 1 s, 2 s))
        (60.0, 0.0),  # a long stall
        (0.0, 10.0),  # monotonic time stood still but the wall clock moved: suspend
    ],
    ids=["late-tick", "long-stall", "wall-clock-jump"],
)
def test_keepalive_tick_after_a_sleep_declares_the_link_dead(
    connection: tuple[ConnectionManager, LinkState, FakeLink, FakeClock],
    lateness: float,
    wall_extra: float,
) -> None:
    conn, state, link, _clock = connection
    planned_wall = time.time() - lateness - wall_extra
    conn._keepalive_tick(state, lateness, planned_wall)
    assert link.shutdowns == 1, "the raw socket is shut down so the reader wakes at once"
    assert link.sent == [], "no ping on a presumed-dead link"
    assert state.dead_error is not None
    assert state.dead_error.code == ErrorCode.WEBSOCKET_ERROR
    assert "slept" in state.dead_error.message
    assert conn._timer.pending("keepalive") is None


def test_keepalive_tick_of_an_old_link_or_in_background_does_nothing(
    connection: tuple[ConnectionManager, LinkState, FakeLink, FakeClock],
) -> None:
    conn, state, link, _clock = connection
    old = LinkState(state.epoch - 1, FakeLink(), 0.0)
    conn._keepalive_tick(old, 60.0, time.time() - 60.0)
    assert old.link.shutdowns == 0 and old.link.sent == []  # type: ignore[attr-defined]
    conn._lc.change_app_state(AppState.BACKGROUND, lambda _view: None)
    conn._keepalive_tick(state, 0.0, time.time())
    assert link.sent == [] and link.shutdowns == 0


def test_pong_deadline_declares_dead_only_without_inbound_traffic(
    connection: tuple[ConnectionManager, LinkState, FakeLink, FakeClock],
) -> None:
    conn, state, link, clock = connection
    sent = clock()
    clock.advance(0.1)
    state.last_inbound = clock()  # any inbound frame counts as alive
    conn._pong_due(state, sent)
    assert link.shutdowns == 0 and state.dead_error is None
    clock.advance(0.1)
    sent = clock()  # a later ping, with nothing received since
    clock.advance(0.6)
    conn._pong_due(state, sent)
    assert link.shutdowns == 1
    assert state.dead_error is not None and "ping" in state.dead_error.message


# -- the reader's accounting of a link's end -------------------------------------------------------


class AuthOkLink(FakeLink):
    """Answers the auth frame with OK."""

    def read_one(self) -> Optional[bytes]:
        return json.dumps({"type": "auth", "body": {"code": "200", "status": "OK"}}).encode()


def run_one_link(end: Callable[[Lifecycle, AuthOkLink], None]) -> Backoff:
    """Let the reader open one (fake) link, end it with ``end`` and report its end as the
    read loop would; return the reader's backoff. No engine thread dials or reads."""
    lc, _calls = new_lifecycle()
    link = AuthOkLink()
    backoff = Backoff(0.5, 30.0, rng=RecordingRng("high"))

    class OneLink:
        def open(self, url: str, *, timeout: float, dial: Dial) -> AuthOkLink:
            return link

    reading = threading.Event()

    class Host:
        """A reader host that only notes when the link is up."""

        connect_timeout = 1.0

        def socket_url(self) -> str:
            return "ws://127.0.0.1:9/unused"

        def auth_frame(self) -> str:
            return '{"action":"auth"}'

        def renew_credentials(self, dial: Dial) -> tuple[Renewal, Optional[CometChatException]]:
            raise AssertionError("the fake link never refuses the credentials")

        def credentials_revoked(self, error: CometChatException) -> None:
            raise AssertionError("the fake link never refuses the credentials")

        def link_up(self, state: LinkState) -> None:
            reading.set()

        def frames_in(self, state: LinkState, frames: list[dict[str, Any]]) -> None:
            pass

    reader = Reader(Host(), lifecycle=lc, transport=OneLink(), backoff=backoff)
    lc.request(fail_fast=True)
    epoch, dial = attempt(lc)
    deadline = time.monotonic() + 1.0
    opened = run_steps(reader._attempt_steps(dial, deadline), deadline, dial)
    _delay, state = reader._outcome(_Try(epoch, dial, lc.clock(), False), opened, None)
    assert state is not None and reading.is_set(), "the fake link never authenticated"
    assert lc.status is S.CONNECTED
    end(lc, link)
    reader._lost(state, LinkClosed(1000 if link.closes else 1006))  # as the read loop does
    lc.drop(DisconnectReason.CLOSED)
    lc.stop_reader()
    reader.join(WAIT)
    assert not reader.busy
    return backoff


def test_a_link_the_server_drops_before_any_pong_counts_as_a_failure() -> None:
    # Design §5 / backoff.py: a server that accepts and then drops at once must not cause a
    # tight loop, so such a loss grows the backoff.
    backoff = run_one_link(lambda _lc, link: link.shutdown())
    assert backoff.failures == 1


def test_a_link_the_app_disconnects_does_not_count_as_a_failure() -> None:
    backoff = run_one_link(lambda lc, _link: lc.drop(DisconnectReason.USER))
    assert backoff.failures == 0
