"""The worker pool: lazy, named, bounded workers; FIFO; a job's exception survived; idle
workers reused, then ended after their linger or by stop_idle; a fork forgets the parent's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Callable

import pytest

from cometchat_sync._pool import WorkerPool

WAIT = 5.0


@pytest.fixture
def pools() -> Iterator[Callable[..., WorkerPool]]:
    """``pools(max_workers, linger=...)``: a pool whose workers are ended at teardown."""
    made: list[WorkerPool] = []

    def make(max_workers: int, linger: float = 5.0) -> WorkerPool:
        pool = WorkerPool("cometchat-testpool", max_workers, linger=linger)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        pool.stop_idle(WAIT)


def until(condition: Callable[[], bool]) -> bool:
    """Wait (bounded) for a state another thread reaches."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def blocker(pool: WorkerPool) -> tuple[threading.Event, threading.Event]:
    """Submit a job that holds its worker: (entered, release)."""
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        entered.set()
        release.wait(WAIT)

    pool.submit(hold)
    return entered, release


def test_no_thread_before_the_first_job_then_one_named_worker_runs_them_in_order(pools):
    pool = pools(2)
    assert pool.threads() == []
    ran: list[tuple[int, str]] = []
    done = threading.Event()
    entered, release = blocker(pool)
    assert entered.wait(WAIT)
    for i in range(5):  # the first is held: a second worker starts, and takes them all
        pool.submit(lambda i=i: ran.append((i, threading.current_thread().name)))
    pool.submit(done.set)
    assert done.wait(WAIT)
    assert [i for i, _ in ran] == [0, 1, 2, 3, 4]
    assert {name for _, name in ran} == {"cometchat-testpool-2"}  # the first is still held
    release.set()
    assert until(lambda: pool.busy() == 0)
    assert sorted(t.name for t in pool.threads()) == [
        "cometchat-testpool-1",
        "cometchat-testpool-2",
    ]


def test_an_idle_worker_is_reused_rather_than_a_new_one_started(pools):
    pool = pools(4)
    first: list[threading.Thread] = []
    done = threading.Event()
    pool.submit(lambda: first.append(threading.current_thread()))
    assert until(lambda: len(first) == 1 and pool.busy() == 0)
    second: list[threading.Thread] = []

    def note() -> None:
        second.append(threading.current_thread())
        done.set()

    pool.submit(note)
    assert done.wait(WAIT)
    assert second == first
    assert pool.threads() == first


def test_never_more_than_max_workers_and_the_rest_wait_in_order(pools):
    pool = pools(2)
    a_in, a_release = blocker(pool)
    b_in, b_release = blocker(pool)
    assert a_in.wait(WAIT) and b_in.wait(WAIT)
    ran: list[int] = []
    for i in range(3):
        pool.submit(lambda i=i: ran.append(i))
    assert len(pool.threads()) == 2  # no third worker
    assert pool.busy() == 2 and pool.queued() == 3 and ran == []
    b_release.set()
    assert until(lambda: ran == [0, 1, 2])
    a_release.set()


@pytest.mark.parametrize("raised", [ValueError, SystemExit, KeyboardInterrupt, BaseException])
def test_any_exception_of_a_job_is_logged_and_the_worker_goes_on(pools, raised, caplog):
    pool = pools(1)
    seen: list[threading.Thread] = []
    done = threading.Event()

    def boom() -> None:
        seen.append(threading.current_thread())
        raise raised("bug")

    def after() -> None:
        seen.append(threading.current_thread())
        done.set()

    pool.submit(boom)
    pool.submit(after)
    assert done.wait(WAIT)
    assert seen[0] is seen[1] and seen[0].is_alive()
    assert "a job raised" in caplog.text


def test_an_idle_worker_ends_after_its_linger_and_a_later_job_starts_one_again(pools):
    pool = pools(2, linger=0.05)
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(WAIT)
    (worker,) = pool.threads()
    worker.join(WAIT)
    assert not worker.is_alive() and pool.threads() == []
    again = threading.Event()
    pool.submit(again.set)
    assert again.wait(WAIT)
    assert [t.name for t in pool.threads()] == ["cometchat-testpool-1"]


def test_stop_idle_ends_idle_workers_at_once_and_busy_ones_once_the_queue_is_run(pools):
    pool = pools(2)
    a_in, a_release = blocker(pool)
    b_in, b_release = blocker(pool)
    assert a_in.wait(WAIT) and b_in.wait(WAIT)
    b_release.set()
    assert until(lambda: pool.busy() == 1)  # one idle, one held
    queued = threading.Event()
    pool.submit(queued.set)  # the idle one takes it
    assert queued.wait(WAIT)
    late = threading.Event()
    workers = pool.threads()
    pool.stop_idle(0.0)  # asks; does not wait
    assert until(lambda: len([t for t in workers if t.is_alive()]) == 1)
    (held,) = [t for t in workers if t.is_alive()]
    pool.submit(late.set)  # after stop_idle: runs (on the held one, or a new worker)
    assert late.wait(WAIT)
    a_release.set()
    pool.stop_idle(WAIT)
    assert not held.is_alive()
    assert pool.threads() == []
    again = threading.Event()
    pool.submit(again.set)
    assert again.wait(WAIT)


def test_stop_idle_from_inside_a_job_does_not_join_its_own_worker(pools):
    pool = pools(2)
    outcome: list[object] = []
    done = threading.Event()

    def job() -> None:
        try:
            pool.stop_idle(WAIT)
            outcome.append("returned")
        except BaseException as exc:
            outcome.append(exc)
        done.set()

    pool.submit(job)
    assert done.wait(WAIT)
    assert outcome == ["returned"]
    assert until(lambda: pool.threads() == [])  # and the worker then ended


def test_after_fork_in_child_forgets_the_parents_workers_and_queue(pools):
    pool = pools(1)
    entered, release = blocker(pool)
    assert entered.wait(WAIT)
    (parents,) = pool.threads()
    pool.submit(lambda: None)
    pool.after_fork_in_child()  # as in a child: the parent's threads do not exist there
    assert pool.threads() == [] and pool.busy() == 0 and pool.queued() == 0
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(WAIT)
    assert [t.name for t in pool.threads()] == ["cometchat-testpool-1"]
    release.set()
    parents.join(WAIT)  # the old worker leaves the new state alone
    assert not parents.is_alive()
    assert pool.busy() == 0 and len(pool.threads()) == 1


def test_arguments_are_checked():
    with pytest.raises(ValueError):
        WorkerPool("x", 0)
    with pytest.raises(ValueError):
        WorkerPool("x", 1, linger=0)


def test_a_job_no_worker_can_ever_run_is_dropped_and_said_so(pools, monkeypatch):
    pool = pools(2)

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    with monkeypatch.context() as patch:
        patch.setattr(threading.Thread, "start", refuse)
        assert pool.submit(lambda: None) is False
    assert pool.queued() == 0 and pool.threads() == []
    done = threading.Event()
    assert pool.submit(done.set) is True
    assert done.wait(WAIT)
