"""The catch-up: fetch over REST, in order, what conversations received while they could not
be delivered live, and hand each message to delivery.

The REST calls run off the client's dispatcher, as jobs on the process's worker pool (one
page call at a time per catch-up); each page fetched is handed to the dispatcher as one
ordered item that delivers its messages. Live events therefore never wait for a catch-up:
only the live messages of a conversation with a gap wait (the ledger holds them back), until
the item that delivers that conversation's last page fills the gap. Conversations are read
round-robin, one page of each in turn, so a small conversation's gap is filled after its
first page while a big one is still being read. At most ``WINDOW`` fetched pages wait for the
dispatcher at a time (a slow listener slows the fetching down; it does not fill memory).

Once its first page is read, a catch-up also asks ``discover()`` (beside the pages) for the
conversations new to the client, which are then read like the others. Until the answer is
taken, live messages of conversations the ledger does not follow wait in the catch-up
(*parked*), so a new conversation's live message never comes before the messages it missed.
A live message held back by a gap while its conversation is being read is kept and delivered
right after the conversation's last page (if that page did not bring it); past ``held_cap``
of them only the highest id is kept, and the conversation is read once more if its last page
ended below it.

A catch-up ends with one of three outcomes:

* ``DONE``: every conversation was read to its end (or the server said it cannot be read by
  this user: HTTP 403 or 404, e.g. the user left the group; that one is given up, with an
  INFO log);
* ``RETRY``: any other failure (no network, a timeout, a 5xx answer, rate limiting, an answer
  this SDK does not understand, ...). The fetching stops; that conversation and the ones not
  finished stay gapped in the ledger: their live messages are held until a later catch-up
  fills the gap. A page too large for ``max_response_size`` is asked for again at half the
  size (down to one message) before that;
* ``CANCELLED``: the session or link it ran for ended (``current()`` turned false, or the
  session is over on the server); nothing more of it is delivered, and no outcome is
  reported.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
from typing import Any
from typing import Callable
from typing import Optional
from typing import Protocol

from .. import _engine
from ..errors import CometChatException
from ..errors import ErrorCode
from .catch_up_run import PAGE
from .catch_up_run import CatchUpRun
from .catch_up_run import Job
from .catch_up_run import Outcome
from .catch_up_run import _Cursor
from .catch_up_run import _Fetched
from .catch_up_run import _int_id
from .catch_up_run import _Kind
from .dispatcher import Dispatcher
from .ledger import Conversation
from .ledger import MessageLedger
from .router import Event

__all__ = ["PAGE", "Cancellable", "CatchUp", "CatchUpRun", "CatchUps", "FetchPage", "Outcome"]

log = logging.getLogger(__name__)
# A catch-up's end is told on the delivery's logger (docs/logging.md).
delivery_log = logging.getLogger("cometchat_sync.events.delivery")

FetchPage = Callable[[Conversation, int, int], Any]
"""``fetch(conversation, after_id, per_page)``: the JSON list of its messages after
``after_id``, oldest first."""

# HTTP statuses that say this user cannot read the conversation at all: given up. Every
# other failure keeps the gap (giving up on an error we do not understand would lose it).
_CANNOT_READ_STATUSES = frozenset({403, 404})
# The session is over: nothing more of it is fetched or delivered.
_SESSION_OVER_CODES = frozenset({ErrorCode.NOT_LOGGED_IN, ErrorCode.AUTH_TOKEN_NOT_FOUND})


class Cancellable(Protocol):
    """A delayed call that can be dropped (``_engine.timer().call_later``'s handle)."""

    def cancel(self) -> None: ...


#: Catch-up jobs of every client share half the dispatch workers at most (the engine's gate
#: for REST jobs: the renewals of refused socket credentials go through it too).
JobGate = _engine.JobGate
GATE = _engine.rest_gate()


def pool_job(job: Job) -> None:
    """Run ``job`` (a catch-up's REST call) on the process's dispatch pool, through
    :data:`GATE`."""
    _engine.rest_gate().submit(job)


def timer_call(delay: float, fn: Job) -> Cancellable:
    """Call ``fn`` on the process's timer thread after ``delay`` seconds (it must only
    queue work: no I/O, no user code)."""
    return _engine.timer().call_later(delay, fn)


class CatchUp:
    """The fetching of catch-ups over one ledger; ``fetches`` and ``failures`` count REST
    pages asked for and failed (thread-safe counters, read without a lock)."""

    def __init__(self, ledger: MessageLedger, fetch: FetchPage) -> None:
        self.ledger = ledger
        self._fetch = fetch
        self._count_lock = threading.Lock()
        self.fetches = 0
        self.failures = 0

    def after_fork_in_child(self) -> None:
        """In a forked child: a fresh lock (a parent's thread may have held it)."""
        self._count_lock = threading.Lock()

    def run(
        self,
        conversations: list[Conversation],
        current: Callable[[], bool],
        deliver: Callable[[Event], None],
    ) -> Outcome:
        """Catch ``conversations`` up on this thread (jobs and dispatcher items run here, in
        the order they would run apart), while ``current()`` holds; ``deliver(event)``
        hands each fetched message on, in order of id within its conversation."""
        work: collections.deque[Job] = collections.deque()
        outcome = [Outcome.CANCELLED]

        def hand_over(item: Job) -> bool:
            work.append(item)
            return True

        def ended(_run: CatchUpRun, result: Outcome) -> None:
            outcome[0] = result

        run = CatchUpRun(
            self,
            conversations,
            current=current,
            hand_over=hand_over,
            run_job=work.append,
            deliver=deliver,
            on_end=ended,
        )
        run.start()
        while work:
            work.popleft()()
        return outcome[0]

    def fetch_page(self, cursor: _Cursor, current: Callable[[], bool]) -> _Fetched:
        """One page of ``cursor``'s conversation (a worker thread; no lock held), asked for
        again at half the size while it is too large."""
        conversation = cursor.conversation
        while True:
            if not current():
                return _Fetched(_Kind.CANCELLED, [], cursor.after, False)
            self._count(fetches=1)
            try:
                page = self._fetch(conversation, cursor.after, cursor.per_page)
            except CometChatException as exc:
                self._count(failures=1)
                if exc.code == ErrorCode.RESPONSE_TOO_LARGE and cursor.per_page > 1:
                    cursor.per_page = max(1, cursor.per_page // 2)  # large messages
                    continue
                return _Fetched(self._failed(conversation, exc), [], cursor.after, False)
            except Exception:  # not a REST error: a bug; keep the gap, try again later
                self._count(failures=1)
                log.exception("catch-up of %r failed", conversation)
                return _Fetched(_Kind.RETRY, [], cursor.after, False)
            if not current():  # the page of an ended session or link: dropped unread
                return _Fetched(_Kind.CANCELLED, [], cursor.after, False)
            items = [i for i in page if isinstance(i, dict)] if isinstance(page, list) else []
            for item in items:
                cursor.after = max(cursor.after, _int_id(item))
            return _Fetched(_Kind.PAGE, items, cursor.after, len(items) < cursor.per_page)

    def _count(self, *, fetches: int = 0, failures: int = 0) -> None:
        with self._count_lock:
            self.fetches += fetches
            self.failures += failures

    @staticmethod
    def _failed(conversation: Conversation, exc: CometChatException) -> _Kind:
        if exc.code in _SESSION_OVER_CODES:
            return _Kind.CANCELLED
        if exc.details.get("status") in _CANNOT_READ_STATUSES:
            log.info("catch-up gave up %r (%s)", conversation, exc.code)
            return _Kind.GAVE_UP
        why = (
            "a single message is larger than max_response_size"
            if exc.code == ErrorCode.RESPONSE_TOO_LARGE
            else exc.code
        )
        log.warning("catch-up of %r failed (%s); the gap stays until a retry", conversation, why)
        return _Kind.RETRY


class CatchUps:
    """The catch-ups of one client's delivery: when one starts, what it covers, its hand-over
    to the dispatcher, its end and its retries. A part of :class:`~.delivery.Delivery`
    (which holds the state below); every method runs on the dispatcher, except
    :meth:`_hand_over` (a worker) and the retry timer's callback (which only queues)."""

    ledger: MessageLedger
    dispatcher: Dispatcher
    discover: Callable[[set[str]], list[Conversation]]
    discovery_pending: Callable[[], bool]
    discovery_floor: int
    _catch_up: CatchUp
    _gen_lock: threading.Lock
    _gen: int
    _link_gen: int
    _connected: bool
    _gap_fill_queued: bool
    _run: Optional[CatchUpRun]
    _run_gen: int
    _retry: Optional[Cancellable]
    _retries: int
    _retry_backoff: tuple[float, float]
    _run_job: Callable[[Job], None]
    _call_later: Callable[[float, Job], Cancellable]
    _max_queued_events: int

    def _deliver(self, event: Event, gen: int, *, live: bool) -> None:
        """Deliver one event of session ``gen`` (the delivery's)."""
        raise NotImplementedError

    def conversations_to_catch_up(self, *, full: bool) -> list[Conversation]:
        """The one place that says which conversations a catch-up covers: after a connect
        (``full``) every followed conversation, otherwise (a retry, or a queue that was full)
        the gapped ones. Each comes with the id after which its catch-up starts. Then
        :attr:`discover` names the ones the ledger does not follow yet."""
        return self.ledger.conversations() if full else self.ledger.gapped()

    def _queue_catch_up(self, *, full: bool) -> None:
        gen, link = self._gen, self._link_gen
        self.dispatcher.submit(lambda: self._run_catch_up(gen, link, full=full))

    def _request_gap_fill(self) -> None:
        """Reader thread, at the bound: one catch-up of the gapped conversations, queued
        behind everything already queued (so it starts once the queue drained)."""
        with self._gen_lock:
            if self._gap_fill_queued:
                return
            self._gap_fill_queued = True
        self._queue_catch_up(full=False)

    def _run_catch_up(self, gen: int, link: int, *, full: bool) -> None:
        """Dispatcher thread: start the catch-up of link ``link`` of session ``gen`` (its
        REST calls then run on the worker pool, its pages come back here); one at a time:
        asked for while one of the same link is under way, it runs again after it."""
        if not full:
            with self._gen_lock:
                self._gap_fill_queued = False
        run = self._run
        if run is not None and not run.live():  # superseded, cancelled or failed
            self._run = None
            parked, parked_gen = run.take_parked(), self._run_gen
            try:
                self._start_catch_up(gen, link, full=full)
            finally:  # to the new catch-up (which may park them again), or delivered
                self._unpark(parked, parked_gen)
        elif run is not None:
            run.rerun = True  # after this one, the gaps marked meanwhile
        else:
            self._start_catch_up(gen, link, full=full)

    def _start_catch_up(self, gen: int, link: int, *, full: bool) -> None:
        def current() -> bool:
            return gen == self._gen and link == self._link_gen

        if not current() or not self._connected:
            return  # superseded: the next connect (or a newer link's catch-up) does it
        followed = self.ledger.conversations()
        known = {c.key for c in followed}
        # Read before any page of this catch-up is delivered: the newest id seen so far.
        self.discovery_floor = max((c.watermark for c in followed), default=0)

        def ended(run: CatchUpRun, outcome: Outcome) -> None:
            self._catch_up_ended(run, outcome, gen, link, current)

        self._run = CatchUpRun(
            self._catch_up,
            self.conversations_to_catch_up(full=full),
            current=current,
            hand_over=lambda item: self._hand_over(gen, item),
            run_job=self._run_job,
            deliver=lambda event: self._deliver(event, gen, live=False),
            redeliver=lambda events, rehold: self._redeliver(events, gen, rehold),
            # Nothing to look at (the first link of a session, say): no look, no parking.
            discover=(lambda: self.discover(known)) if self.discovery_pending() else None,
            on_end=ended,
            held_cap=self._max_queued_events,
        )
        self._run_gen = gen
        self._run.start()

    def _hand_over(self, gen: int, item: Callable[[], None]) -> bool:
        """Worker thread: queue a catch-up item unless session ``gen`` ended. Under the lock
        that :meth:`end_session` bumps the generation with, so once it returned nothing of
        the ended session is handed over (and what was is dropped by the item's check)."""
        with self._gen_lock:
            if gen != self._gen:
                return False
            self.dispatcher.submit(item)
        return True

    def _redeliver(self, events: list[Event], gen: int, rehold: bool) -> None:
        """Deliver live events the catch-up kept back (parked, or held by a gap)."""
        if rehold:  # admit() releases a hold for each live message again
            self.ledger.hold([e.message for e in events if e.message is not None])
        for event in events:
            self._deliver(event, gen, live=True)

    def _unpark(self, parked: list[Event], gen: int) -> None:
        """A catch-up ended before its discovery: deliver what it parked (or, of an ended
        session, let go of their holds)."""
        if not parked:
            return
        if gen == self._gen:
            self._redeliver(parked, gen, False)
        else:
            self.ledger.release([e.message for e in parked if e.message is not None])

    def _catch_up_ended(
        self, run: CatchUpRun, outcome: Outcome, gen: int, link: int, current: Callable[[], bool]
    ) -> None:
        if self._run is run:
            self._run = None
        # A catch-up that failed before its look for new conversations: what it parked goes.
        self._unpark(run.take_parked(), gen)
        if run.conversations:
            delivery_log.info(
                "catch-up fetched %d messages from %d conversations (%s)",
                run.messages,
                run.conversations,
                outcome.value,
            )
        if outcome is Outcome.DONE:
            self._retries = 0
            if run.rerun and current():
                self._queue_catch_up(full=False)
        elif outcome is Outcome.RETRY and current() and self._connected:
            self._schedule_retry(gen, link)

    def _schedule_retry(self, gen: int, link: int) -> None:
        """Try the gapped conversations again after a growing, jittered wait (the reconnect
        backoff of the settings); the timer only queues it on the dispatcher."""
        base, cap = self._retry_backoff
        ceiling = min(cap, base * (2.0 ** min(self._retries, 30)))
        self._retries += 1
        delay = random.uniform(ceiling / 2, ceiling)

        def due() -> None:
            self.dispatcher.submit(lambda: self._run_catch_up(gen, link, full=False))

        with self._gen_lock:
            if gen != self._gen:
                return
            self._cancel_retry_locked()
            self._retry = self._call_later(delay, due)

    def _cancel_retry_locked(self) -> None:
        retry, self._retry = self._retry, None
        if retry is not None:
            retry.cancel()
