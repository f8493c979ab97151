"""One catch-up after a reconnect, its REST calls off the dispatcher (see ``catch_up``).

:class:`CatchUpRun` keeps where the reading of each conversation stands, runs the fetching
as jobs on a worker pool (one page job at a time, round-robin over the conversations) and
hands each page to the client's dispatcher as one ordered item; the dispatcher items deliver
the messages, fill the gaps and end the run. At most :data:`WINDOW` fetched pages wait for the
dispatcher at a time.
"""

from __future__ import annotations

import collections
import enum
import logging
import threading
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import NamedTuple
from typing import Optional

from .ledger import Conversation
from .router import Event
from .router import route

if TYPE_CHECKING:
    from .catch_up import CatchUp

__all__ = ["PAGE", "WINDOW", "CatchUpRun", "Job", "Outcome"]

log = logging.getLogger(__name__)

PAGE = 100
#: Pages fetched and not yet delivered, per catch-up, before the fetching waits.
WINDOW = 2
Job = Callable[[], None]


class Outcome(enum.Enum):
    DONE = "done"
    RETRY = "retry"
    CANCELLED = "cancelled"


class _Kind(enum.Enum):
    PAGE = "page"
    GAVE_UP = "gave up"
    RETRY = "retry"
    CANCELLED = "cancelled"


class _Fetched(NamedTuple):
    kind: _Kind
    items: list[dict[str, Any]]
    upto: int  # the highest id read so far in the conversation
    last: bool  # the page is the conversation's last (shorter than asked for)


class _Cursor:
    """One conversation of a catch-up: where its reading stands."""

    __slots__ = (
        "after",
        "conversation",
        "done",
        "held",
        "held_max",
        "marks",
        "per_page",
        "read_again",
    )

    def __init__(self, conversation: Conversation, marks: int) -> None:
        self.conversation = conversation
        self.after = conversation.watermark  # written by the fetching job only
        self.per_page = PAGE
        self.marks = marks  # the ledger's gap marks when the catch-up began
        # Dispatcher thread only: live events held back by the gap meanwhile.
        self.held: list[Event] = []
        self.held_max = 0  # the highest id held back past the run's ``held_cap``
        self.read_again = False  # its last page was read once more for ``held_max``
        self.done = False


class CatchUpRun:
    """One catch-up (see the module docstring).

    Built and started on the dispatcher thread (the conversations and their gap marks are
    read there, in the order of delivery). ``run_job(job)`` runs a job on a worker thread
    (the discovery, then one job per page); ``hand_over(item)`` queues an item on the
    dispatcher unless the run's session ended (False then: nothing more is handed over);
    ``deliver(event)`` delivers a fetched message (dispatcher); ``redeliver(events,
    rehold)`` delivers parked or held-back live events again, taking their ledger holds
    first when ``rehold``; ``discover()`` (worker thread) returns the conversations new to
    the client; ``on_end(run, outcome)`` is called on the dispatcher once, when the run is
    DONE or to be RETRIED. :meth:`parks`, :meth:`note_held` and :attr:`rerun` are for the
    dispatcher thread; the rest of the state is under a lock never held during I/O or a
    listener call.
    """

    def __init__(
        self,
        catch_up: CatchUp,
        conversations: list[Conversation],
        *,
        current: Callable[[], bool],
        hand_over: Callable[[Job], bool],
        run_job: Callable[[Job], None],
        deliver: Callable[[Event], None],
        on_end: Callable[[CatchUpRun, Outcome], None],
        redeliver: Callable[[list[Event], bool], None] = lambda _events, _rehold: None,
        discover: Optional[Callable[[], list[Conversation]]] = None,
        held_cap: int = 10_000,
    ) -> None:
        self._catch_up = catch_up
        self._ledger = catch_up.ledger
        self._current = current
        self._hand_over = hand_over
        self._run_job = run_job
        self._deliver = deliver
        self._redeliver = redeliver
        self._on_end = on_end
        self._discover = discover
        self._held_cap = held_cap
        self._held = 0
        self._lock = threading.Lock()
        self._cursors: dict[str, _Cursor] = {}
        self._active: collections.deque[_Cursor] = collections.deque()
        for conversation in conversations:
            self._add(conversation)
        self._in_flight = 0  # pages handed over and not delivered yet
        self._pumping = False  # a page job is queued or running
        # The discovery runs once, beside the pages from the first page on (so a failing
        # first page stops the run before it); parking lasts until its answer is taken.
        self._discover_due = discover is not None
        self._discovering = discover is not None
        self._fetched = 0  # page jobs done
        self._failed = False
        self._ended = False
        self._parked: list[Event] = []
        #: A gap-fill was asked for while this run was under way (dispatcher thread).
        self.rerun = False
        #: Messages delivered from fetched pages (dispatcher thread).
        self.messages = 0

    @property
    def conversations(self) -> int:
        return len(self._cursors)

    def live(self) -> bool:
        """Still under way (not ended, and its session and link are current)."""
        return not self._ended and self._current()

    def start(self) -> None:
        self._next()

    # -- live events meanwhile (dispatcher thread) -----------------------------------------

    def parks(self, event: Event) -> bool:
        """Park ``event`` (a live message) while the discovery is under way if its
        conversation is not followed: it is delivered once the discovery is known, or
        fetched with its conversation if that is new. True if parked."""
        message = event.message
        if message is None or not self._discovering or not self.live():
            return False
        if self._ledger.follows(message):
            return False
        self._parked.append(event)
        return True

    def take_parked(self) -> list[Event]:
        """The parked events of a run that ended (for the caller to deliver or release)."""
        parked, self._parked = self._parked, []
        return parked

    def note_held(self, event: Event) -> None:
        """A live message of ``event`` was held back (its conversation is gapped): if this
        run reads that conversation, deliver it after the conversation's last page."""
        message = event.message
        if message is None or not self.live():
            return
        key = self._ledger.key_of(message)
        cursor = self._cursors.get(key) if key is not None else None
        if cursor is None or cursor.done:
            return
        if self._held < self._held_cap:
            cursor.held.append(event)
            self._held += 1
        else:
            cursor.held_max = max(cursor.held_max, message.id)

    # -- the jobs (worker threads) ---------------------------------------------------------

    def _discovery_job(self) -> None:
        if not self._current():
            self._cancel()
            return
        assert self._discover is not None
        try:
            found = self._discover()
        except Exception:  # a bug: the next catch-up looks again; this one goes on
            log.exception("catch-up could not look for new conversations")
            found = []
        if not self._hand_over(lambda: self._found(found)):
            self._cancel()

    def _pump(self) -> None:
        with self._lock:
            cursor = self._active.popleft() if self._active and not self._ended else None
        if cursor is None:
            self._pumped()
            return
        fetched = self._catch_up.fetch_page(cursor, self._current)
        with self._lock:
            self._fetched += 1
        if fetched.kind is _Kind.CANCELLED:
            self._cancel()
            return
        if fetched.kind is _Kind.RETRY:
            with self._lock:
                self._failed = True
                self._pumping = False
                rest = [cursor, *self._active]
                self._active.clear()
            if not self._hand_over(lambda: self._give_way(rest)):
                self._cancel()
            return
        with self._lock:
            self._in_flight += 1
            if fetched.kind is _Kind.PAGE and not fetched.last:
                self._active.append(cursor)  # its next page after one of each other
        if not self._hand_over(lambda: self._page(cursor, fetched)):
            self._cancel()
            return
        self._pumped()

    def _pumped(self) -> None:
        """The page job is over: queue the next jobs, or end the run if nothing is left."""
        with self._lock:
            self._pumping = False
            jobs = self._kick_locked()
            finished = not jobs and self._finished_locked()
        for job in jobs:
            self._run_job(job)
        if finished and not self._hand_over(lambda: self._on_end(self, Outcome.DONE)):
            self._cancel()

    def _cancel(self) -> None:
        with self._lock:
            self._ended = True
            self._pumping = False

    # -- the items (dispatcher thread) -----------------------------------------------------

    def _found(self, found: list[Conversation]) -> None:
        if not self._current():
            return
        for conversation in found:
            if conversation.key in self._cursors:
                continue
            # Followed from now on, gapped until its catch-up (below) fills it.
            self._ledger.advance(conversation, conversation.watermark)
            self._ledger.mark_gapped(conversation.key)
            self._add(conversation)
        with self._lock:
            self._discovering = False
        parked, self._parked = self._parked, []
        if parked:
            self._redeliver(parked, False)  # their holds were never released
        self._next()

    def _page(self, cursor: _Cursor, fetched: _Fetched) -> None:
        if not self._current():
            return  # a newer link's catch-up reads it again
        key = cursor.conversation.key
        if fetched.kind is _Kind.GAVE_UP:
            self._ledger.filled(key, self._ledger.gap_marks(key))
            self._close(cursor)
        else:
            own_uid = self._ledger.own_uid
            self.messages += len(fetched.items)
            for item in fetched.items:
                for event in route({"type": "message", "body": item}, "", own_uid=own_uid):
                    self._deliver(event)
            self._ledger.advance(cursor.conversation, fetched.upto)
            if fetched.last:
                if cursor.held_max > fetched.upto and (fetched.items or not cursor.read_again):
                    # A live message held back (past the cap) is not in it yet: read on
                    # (while that brings messages: one the server never lists is dropped).
                    cursor.read_again = True
                    with self._lock:
                        self._active.append(cursor)
                else:
                    self._ledger.filled(key, cursor.marks)
                    self._close(cursor)
        with self._lock:
            self._in_flight -= 1
        self._next()

    def _close(self, cursor: _Cursor) -> None:
        """``cursor``'s conversation is read: its live messages held back meanwhile go now
        (those its pages brought are settled and skipped)."""
        cursor.done = True
        held, cursor.held = cursor.held, []
        self._held -= len(held)
        if held:
            self._redeliver(held, True)

    def _give_way(self, rest: list[_Cursor]) -> None:
        """A fetch failed: the conversations not finished keep their gaps until a retry."""
        for cursor in rest:
            self._ledger.mark_gapped(cursor.conversation.key)
        with self._lock:
            self._ended = True
        if self._current():
            self._on_end(self, Outcome.RETRY)

    def _next(self) -> None:
        with self._lock:
            jobs = self._kick_locked()
            finished = not jobs and self._finished_locked()
        for job in jobs:
            self._run_job(job)
        if finished:
            self._on_end(self, Outcome.DONE)

    # -- internals ---------------------------------------------------------------------------

    def _add(self, conversation: Conversation) -> None:
        cursor = _Cursor(conversation, self._ledger.gap_marks(conversation.key))
        self._cursors[conversation.key] = cursor
        with self._lock:
            self._active.append(cursor)

    def _kick_locked(self) -> list[Job]:
        """The jobs to start now (then marked as running): the discovery once the first
        page was fetched, beside one page job at a time while fewer than WINDOW pages
        wait for the dispatcher."""
        jobs: list[Job] = []
        if self._ended or self._failed:
            return jobs
        if self._discover_due and (self._fetched or not self._active):
            self._discover_due = False
            jobs.append(self._discovery_job)
        if not self._pumping and self._active and self._in_flight < WINDOW:
            self._pumping = True
            jobs.append(self._pump)
        return jobs

    def _finished_locked(self) -> bool:
        """True once (then the run is ended): nothing left to fetch, deliver or discover."""
        if (
            self._ended
            or self._failed
            or self._pumping
            or self._discover_due
            or self._discovering
            or self._active
            or self._in_flight
        ):
            return False
        self._ended = True
        return True


def _int_id(item: dict[str, Any]) -> int:
    try:
        return int(item.get("id", 0))
    except (TypeError, ValueError, OverflowError):
        return 0
