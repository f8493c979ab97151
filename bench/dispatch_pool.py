"""Listener dispatch on the shared pool against the per-client thread it replaced.

No socket, no emulator: ``Dispatcher`` objects are fed zero-argument items directly, as the
reader feeds them in the SDK. :class:`PerClientThreadDispatcher` below is the former
dispatcher (one ``cometchat-dispatch-<uid>`` thread per client), kept here as the reference.

1. Throughput through one dispatcher, items of no work (the queue's own cost):
   * burst: ``--items`` queued behind a held first item, then drained (also the process's
     CPU time per item meanwhile, which other load on the machine barely moves);
   * stream: one producer thread offering them while the dispatcher drains.
2. Hand-off latency: one item submitted to an idle dispatcher, from ``submit()`` to the
   item's first line; ``--samples`` samples, the worker back asleep between them.
3. The fairness slice: four clients flooded (every worker busy) and a fifth, light client
   submitting one probe item per millisecond; the probe's hand-off latency and the floods'
   throughput, per slice size, with items of no work and of ~50 microseconds of work.

    python bench/dispatch_pool.py [--items 200000] [--samples 2000] [--quick] [--wait-quiet 5]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import logging
import math
import threading
import time
from typing import Callable
from typing import Optional
from typing import Protocol

from _common import add_wait_quiet
from _common import machine_line
from _common import percentile
from _common import print_table
from _common import wait_quiet

from cometchat_sync import _engine
from cometchat_sync._pool import WorkerPool
from cometchat_sync.events import dispatcher as dispatcher_module
from cometchat_sync.events.dispatcher import Dispatcher

log = logging.getLogger(__name__)

Item = Callable[[], None]
WAIT = 60.0


# -- the reference: the former per-client dispatcher thread (verbatim but for its name) ------


class PerClientThreadDispatcher:
    """An ordered, batched, bounded work queue served by one lazily started daemon thread."""

    def __init__(
        self,
        name: Callable[[], str],
        max_events: int = 1_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._max_events = max_events
        self._clock = clock
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._items: collections.deque[tuple[Item, int]] = collections.deque()
        self._events = 0
        self._peak = 0
        self._scheduled: Optional[tuple[float, Item]] = None
        self._thread: Optional[threading.Thread] = None
        self._idle_waiting = False
        self._stopping = False

    @property
    def thread(self) -> Optional[threading.Thread]:
        return self._thread

    def submit(self, item: Item) -> None:
        with self._lock:
            self._append_locked(item, 0)

    def offer(self, item: Item, events: int) -> bool:
        with self._lock:
            if self._events + events > self._max_events:
                return False
            self._events += events
            self._peak = max(self._peak, self._events)
            self._append_locked(item, events)
            return True

    def _append_locked(self, item: Item, events: int) -> None:
        self._items.append((item, events))
        if self._thread is None:
            self._start_locked()
        elif self._idle_waiting:
            self._cond.notify()

    def _start_locked(self) -> None:
        self._stopping = False
        thread = threading.Thread(target=self._run, name=self._name(), daemon=True)
        self._thread = thread
        thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        with self._lock:
            self._scheduled = None
            thread = self._thread
            if thread is None:
                return
            self._stopping = True
            self._cond.notify()
        if thread is not threading.current_thread():
            thread.join(timeout)

    def _next_batch_locked(self) -> Optional[collections.deque[tuple[Item, int]]]:
        while True:
            scheduled = self._scheduled
            if scheduled is not None and scheduled[0] <= self._clock():
                self._scheduled = None
                self._items.append((scheduled[1], 0))
            if self._items:
                batch = self._items
                self._items = collections.deque()
                return batch
            if self._stopping:
                return None
            self._idle_waiting = True
            wait = None if scheduled is None else max(0.0, scheduled[0] - self._clock())
            self._cond.wait(wait)
            self._idle_waiting = False

    def _run(self) -> None:
        while True:
            with self._lock:
                batch = self._next_batch_locked()
                if batch is None:
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
            for item, events in batch:
                if events:
                    with self._lock:
                        self._events -= events
                try:
                    item()
                except BaseException:
                    log.exception("a callback raised; the next one still runs")


# -- the two kinds, behind one shape -----------------------------------------------------------


class AnyDispatcher(Protocol):
    def submit(self, item: Item) -> None: ...
    def offer(self, item: Item, events: int) -> bool: ...
    def stop(self, timeout: float = 1.0) -> None: ...


class Kind:
    """Makes dispatchers of one kind; ``close()`` ends every thread it made."""

    def __init__(self, pooled: bool) -> None:
        self.pooled = pooled
        self.pool = WorkerPool("cometchat-dispatch", 4) if pooled else None
        self.made: list[AnyDispatcher] = []
        self._numbers = itertools.count()

    def make(self) -> AnyDispatcher:
        uid = f"user{next(self._numbers)}"
        d: AnyDispatcher
        if self.pool is not None:
            d = Dispatcher(lambda: uid, pool=self.pool, timer=_engine.timer())
        else:
            d = PerClientThreadDispatcher(lambda: f"cometchat-dispatch-{uid}")
        self.made.append(d)
        return d

    def close(self) -> None:
        for d in self.made:
            d.stop(WAIT)
        if self.pool is not None:
            self.pool.stop_idle(WAIT)


def kinds() -> list[tuple[str, bool]]:
    return [("per-client thread (reference)", False), ("shared pool", True)]


def hold(d: AnyDispatcher) -> threading.Event:
    entered, release = threading.Event(), threading.Event()

    def wait() -> None:
        entered.set()
        release.wait(WAIT)

    d.submit(wait)
    entered.wait(WAIT)
    return release


def noop() -> None:
    pass


def busy_item(seconds: float) -> Item:
    def item() -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    return item


# -- 1. throughput -----------------------------------------------------------------------------


def burst(pooled: bool, items: int) -> tuple[float, float]:
    """Items/s and process CPU seconds per item while the queue drains (the main thread
    only waits meanwhile, so the CPU is the serving threads')."""
    kind = Kind(pooled)
    try:
        d = kind.make()
        release = hold(d)
        done = threading.Event()
        for _ in range(items - 1):
            d.offer(noop, 1)
        d.offer(done.set, 1)
        start, cpu = time.perf_counter(), time.process_time()
        release.set()
        done.wait(WAIT)
        return items / (time.perf_counter() - start), (time.process_time() - cpu) / items
    finally:
        kind.close()


def stream(pooled: bool, items: int) -> float:
    kind = Kind(pooled)
    try:
        d = kind.make()
        done = threading.Event()
        start = time.perf_counter()
        for _ in range(items - 1):
            d.offer(noop, 1)
        d.offer(done.set, 1)
        done.wait(WAIT)
        return items / (time.perf_counter() - start)
    finally:
        kind.close()


# -- 2. hand-off latency -----------------------------------------------------------------------


def handoff(pooled: bool, samples: int) -> list[float]:
    kind = Kind(pooled)
    try:
        d = kind.make()
        gaps: list[float] = []
        for _ in range(samples):
            ran = threading.Event()
            started: list[float] = []

            def item(started: list[float] = started, ran: threading.Event = ran) -> None:
                started.append(time.perf_counter())
                ran.set()

            t0 = time.perf_counter()
            d.submit(item)
            ran.wait(WAIT)
            gaps.append(started[0] - t0)
            time.sleep(0.0005)  # the worker goes back to sleep
        return gaps
    finally:
        kind.close()


# -- 3. fairness: four floods and a light client -------------------------------------------------


def fairness(
    pooled: bool, slice_items: int, slice_seconds: float, work: float, seconds: float
) -> tuple[list[float], float]:
    """The light client's probe latencies and the floods' items/s over ``seconds``."""
    saved = dispatcher_module.SLICE_ITEMS, dispatcher_module.SLICE_SECONDS
    dispatcher_module.SLICE_ITEMS, dispatcher_module.SLICE_SECONDS = slice_items, slice_seconds
    kind = Kind(pooled)
    stop = threading.Event()
    counts = [0]
    item = noop if work <= 0 else busy_item(work)

    def flood_item() -> None:
        item()
        counts[0] += 1  # one writer at a time per flood: a close-enough total

    def feeder(d: AnyDispatcher) -> None:  # keeps about 2000 items queued
        while not stop.is_set():
            for _ in range(500):
                d.submit(flood_item)
            time.sleep(0.001)

    try:
        floods = [kind.make() for _ in range(4)]
        light = kind.make()
        feeders = [threading.Thread(target=feeder, args=(d,), daemon=True) for d in floods]
        for t in feeders:
            t.start()
        time.sleep(0.2)  # warm up: every worker busy
        gaps: list[float] = []
        counts[0] = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            ran = threading.Event()
            started: list[float] = []

            def probe(started: list[float] = started, ran: threading.Event = ran) -> None:
                started.append(time.perf_counter())
                ran.set()

            t0 = time.perf_counter()
            light.submit(probe)
            if not ran.wait(seconds):  # starved: no turn within the whole row's time
                gaps.append(math.inf)
                break
            gaps.append(started[0] - t0)
            time.sleep(0.001)
        rate = counts[0] / (time.perf_counter() - start)
        stop.set()
        for t in feeders:
            t.join(WAIT)
        return gaps, rate
    finally:
        stop.set()
        kind.close()
        dispatcher_module.SLICE_ITEMS, dispatcher_module.SLICE_SECONDS = saved


def us(seconds: float) -> str:
    return "starved" if math.isinf(seconds) or math.isnan(seconds) else f"{seconds * 1e6:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=2.0, help="per fairness row")
    parser.add_argument("--quick", action="store_true", help="a tenth of everything")
    add_wait_quiet(parser)
    args = parser.parse_args()
    if args.quick:
        args.items, args.samples, args.seconds = args.items // 10, args.samples // 10, 0.5
    print(machine_line())
    wait_quiet(args.wait_quiet)

    rows = []
    for label, pooled in kinds():
        bursts = [burst(pooled, args.items) for _ in range(3)]
        s = max(stream(pooled, args.items) for _ in range(3))
        rows.append(
            [label, f"{max(b for b, _ in bursts):,.0f}",
             f"{min(c for _, c in bursts) * 1e9:.0f}", f"{s:,.0f}"]
        )  # fmt: skip
    print_table(
        f"1. Items/s through one dispatcher ({args.items:,} items of no work, best of 3)",
        ["dispatcher", "burst items/s", "burst CPU ns/item", "stream items/s (producer thread)"],
        rows,
    )

    rows = []
    for label, pooled in kinds():
        gaps = handoff(pooled, args.samples)
        rows.append([label, us(percentile(gaps, 50)), us(percentile(gaps, 99))])
    print_table(
        f"2. Hand-off latency, submit() to the item on an idle dispatcher ({args.samples} samples)",
        ["dispatcher", "p50 us", "p99 us"],
        rows,
    )

    inf = 1 << 60
    for work in (0.0, 50e-6):
        rows = []
        gaps, rate = fairness(False, 256, 0.02, work, args.seconds)
        rows.append(
            ["per-client thread (reference)", "-", us(percentile(gaps, 50)),
             us(percentile(gaps, 99)), f"{rate:,.0f}"]
        )  # fmt: skip
        for slice_items, slice_seconds in (
            (16, inf), (64, inf), (256, inf), (1024, inf), (inf, inf),
            (64, 0.02), (256, 0.005), (256, 0.02), (inf, 0.02),
        ):  # fmt: skip
            gaps, rate = fairness(True, slice_items, slice_seconds, work, args.seconds)
            name = (
                ("all" if slice_items == inf else str(slice_items))
                + " items"
                + ("" if slice_seconds == inf else f" / {slice_seconds * 1000:.0f} ms")
            )
            rows.append(
                ["shared pool", name, us(percentile(gaps, 50)), us(percentile(gaps, 99)),
                 f"{rate:,.0f}"]
            )  # fmt: skip
        print_table(
            f"3. Four flooded clients and a light one; items of {work * 1e6:.0f} us of work",
            ["dispatcher", "slice", "light p50 us", "light p99 us", "floods items/s"],
            rows,
        )


if __name__ == "__main__":
    main()
