"""Delivery: from a routed event to the app's listeners, in order, once.

Owns the listener registries, the client's dispatcher (its ordered queue), the app's
callback executor and error hook, and the message ledger with the catch-up after a reconnect
(``docs/events.md``). The client feeds it (state changes from the lifecycle, events from the
router) and gives it a way to fetch history. Everything here that calls listeners runs as
dispatcher items; the catch-up's REST calls run as jobs on the worker pool
(``catch_up_run``), and each page they fetch comes back as a dispatcher item, so live events
of conversations without a gap never wait for a catch-up.

Every unit of delivery (a queued item, a catch-up page, each listener call) carries the
*session generation* it belongs to; :meth:`Delivery.end_session` (``close()``, ``logout()``)
starts a new one, so nothing of an ended session reaches a listener once it returned, and
nothing of one user reaches the listeners of the next. Catch-ups also carry the *link
generation* (one per ``connected``): a newer link's catch-up supersedes an older one.

At the queue's bound (``AppSettings.max_queued_events``) the reader does not queue message
events: their conversations are marked gapped in the ledger and a catch-up fetches them once
what is queued has been delivered. Presence, typing, receipts and other events that cannot be
fetched back are dropped there (and counted); status changes and login outcomes are always
queued.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any
from typing import Callable
from typing import NamedTuple
from typing import Optional
from typing import TypeVar

from ..connection.state import ConnectionStateChange
from ..connection.state import ConnectionStatus
from ..errors import CometChatException
from ..listeners import ConnectionListener
from ..listeners import LoginListener
from ..listeners import _family_of
from ..listeners import _Listener
from .catch_up import Cancellable
from .catch_up import CatchUp
from .catch_up import CatchUps
from .catch_up import FetchPage
from .catch_up import pool_job
from .catch_up import timer_call
from .catch_up_run import CatchUpRun
from .catch_up_run import Job
from .dispatcher import Dispatcher
from .dispatcher import Executor
from .ledger import Conversation
from .ledger import MessageLedger
from .registry import ErrorHook
from .registry import ListenerRegistry
from .router import FAMILIES
from .router import Event
from .router import ListenerMethod
from .router import route

__all__ = ["Delivery", "DeliveryCounters", "FetchPage"]

log = logging.getLogger(__name__)

_L = TypeVar("_L", bound=_Listener)


_STATUS_METHODS: dict[ConnectionStatus, ListenerMethod] = {
    ConnectionStatus.CONNECTING: ConnectionListener.on_connecting,
    ConnectionStatus.CONNECTED: ConnectionListener.on_connected,
    ConnectionStatus.DISCONNECTED: ConnectionListener.on_disconnected,
    ConnectionStatus.FEATURE_THROTTLED: ConnectionListener.on_feature_throttled,
}
# The statuses in which a socket is up (catch-ups and their retries run only then).
_LINK_UP = frozenset({ConnectionStatus.CONNECTED, ConnectionStatus.FEATURE_THROTTLED})

# Default bound of the dispatcher queue, in events. A queued message event (its parsed
# frame, the model objects, the Event tuple, its share of the batch's closure) takes about
# 4.3 KiB for a typical ~475-byte text frame queued one frame per batch (the worst case):
# ``bench/event_size.py`` measures it with tracemalloc through the real path (route, ledger
# hold, queue) and docs/benchmarks.md has the figures. 12 000 events then hold about 52 MiB,
# under 64 MiB with room for somewhat larger frames.
MAX_QUEUED_EVENTS = 12_000


class DeliveryCounters(NamedTuple):
    """Delivery figures since the client was made (see :meth:`Delivery.counters`)."""

    events_delivered: int
    events_deferred: int
    events_dropped: int
    catch_up_fetches: int
    catch_up_failures: int
    queue_depth: int
    queue_peak: int


class Delivery(CatchUps):
    """See the module docstring. Thread-safe entry points: every public method."""

    def __init__(
        self,
        thread_name: Callable[[], str],
        own_uid: Optional[str],
        *,
        fetch: Optional[FetchPage] = None,
        max_queued_events: int = MAX_QUEUED_EVENTS,
        retry_backoff: tuple[float, float] = (0.5, 30.0),
        run_job: Callable[[Job], None] = pool_job,
        call_later: Callable[[float, Job], Cancellable] = timer_call,
    ) -> None:
        # One registry per listener family: the two the SDK itself feeds, and the router's.
        families: tuple[type[_Listener], ...] = (ConnectionListener, LoginListener, *FAMILIES)
        self._registries: dict[type[_Listener], ListenerRegistry[Any]] = {
            family: ListenerRegistry(family) for family in families
        }
        self.ledger = MessageLedger(own_uid)
        self.executor: Optional[Executor] = None
        self.error_hook: Optional[ErrorHook] = None
        self.dispatcher = Dispatcher(thread_name, max_queued_events)
        self._catch_up = CatchUp(self.ledger, fetch or _no_history)
        self._max_queued_events = max_queued_events
        self._run_job = run_job
        self._call_later = call_later
        # The catch-up under way (dispatcher thread) and the session it belongs to.
        self._run: Optional[CatchUpRun] = None
        self._run_gen = 0
        self._retry: Optional[Cancellable] = None  # a scheduled retry (under _gen_lock)
        #: ``discover(followed_keys)``: conversations the ledger does not follow that
        #: received messages while the link was down (the client sets it; none by default).
        self.discover: Callable[[set[str]], list[Conversation]] = _discover_none
        #: ``discovery_pending()``: whether ``discover`` has anything to look at (a link was
        #: lost since its last look, or conversations it found are still to be followed);
        #: when not, a catch-up neither looks nor parks new conversations' live messages.
        self.discovery_pending: Callable[[], bool] = lambda: True
        #: The newest message id the ledger had seen when the catch-up under way began
        #: (before any of its pages was delivered): the floor ``discover`` should use, as
        #: messages its pages bring are newer than some a new conversation missed.
        self.discovery_floor = 0
        self._retry_backoff = retry_backoff
        self._retries = 0
        # Generations (see the module docstring). The lock makes "bump the generation" and
        # "may this unit still run?" one order; it is never held while a listener runs.
        self._gen_lock = threading.Lock()
        self._gen = 0
        self._draining: Optional[int] = None
        self._link_gen = 0
        self._connected = False
        self._gap_fill_queued = False
        # Counters for stats(); each has one writing thread (dispatcher or reader).
        self._delivered = 0
        self._deferred = 0
        self._dropped = 0
        # The status as of the last change queued, and the connection listeners waiting for
        # their first (snapshot) call; the lock keeps "note the change, queue it" and "read
        # the snapshot, queue it" in one order (taken under the lifecycle's lock, before the
        # dispatcher's).
        self._status_lock = threading.Lock()
        self._queued_change = ConnectionStateChange(
            ConnectionStatus.DISCONNECTED, ConnectionStatus.DISCONNECTED
        )
        self._joining: dict[str, object] = {}

    def registry(self, family: type[_L]) -> ListenerRegistry[_L]:
        """The listeners of ``family`` (``MessageListener``, ``ConnectionListener``, ...)."""
        registry: ListenerRegistry[_L] = self._registries[family]
        return registry

    # -- feeding it (any thread) ---------------------------------------------------------

    def state_change(self, change: ConnectionStateChange) -> None:
        """Queue the listener calls of ``change``; once connected, then a catch-up of every
        followed conversation. Called under the lifecycle's lock, so changes queue in order."""
        method = _STATUS_METHODS[change.current]

        def deliver(gen: int) -> None:
            self._emit(ConnectionListener.on_state_change, (change,), gen)
            self._emit(method, (), gen)

        up = change.current in _LINK_UP
        # A new socket (not the same one leaving or entering feature throttling).
        new_link = change.current is ConnectionStatus.CONNECTED and change.previous not in _LINK_UP
        with self._status_lock:
            self._queued_change = change
            if new_link:
                self._link_gen += 1
                self._retries = 0
            self._connected = up
            self._submit(deliver)
        if new_link:
            self.ledger.mark_all_gapped()  # before any frame of the new link is queued
            self._queue_catch_up(full=True)
        elif not up:
            with self._gen_lock:  # the next connect catches up anyway
                self._cancel_retry_locked()

    def add_connection_listener(self, listener_id: str, listener: ConnectionListener) -> None:
        """Register ``listener``; its first call is the status as of now (``on_state_change``
        with ``previous`` equal to ``current``, then that status's method), and then every
        later change, each once. Registration errors are raised here, at once."""
        alone: ListenerRegistry[ConnectionListener] = ListenerRegistry(ConnectionListener)
        alone.add(listener_id, listener)  # checks the id and the listener's type
        token = object()
        with self._status_lock:
            now = self._queued_change
            snapshot = ConnectionStateChange(now.current, now.current, now.reason, now.error)
            self._joining[listener_id] = token

            def join(gen: int) -> None:
                # Changes queued before this item are in the snapshot: the listener joins
                # the registry only now, so it hears none of them twice.
                with self._status_lock:
                    if self._joining.get(listener_id) is not token:
                        return  # removed or replaced before its first call
                    del self._joining[listener_id]
                    self.registry(ConnectionListener).add(listener_id, listener)
                self._call(alone, "on_state_change", (snapshot,), gen)
                self._call(alone, _STATUS_METHODS[snapshot.current].__name__, (), gen)

            self._submit(join)

    def remove_connection_listener(self, listener_id: str) -> None:
        """Remove the connection listener of ``listener_id``, also one not yet joined."""
        with self._status_lock:
            self._joining.pop(listener_id, None)
            self.registry(ConnectionListener).remove(listener_id)

    def connection_error(self, error: CometChatException) -> None:
        self._submit(lambda gen: self._emit(ConnectionListener.on_connection_error, (error,), gen))

    def login_event(self, method: ListenerMethod, args: tuple[Any, ...]) -> None:
        """Queue a call of ``method`` (a :class:`LoginListener` method) on login listeners;
        with none registered, nothing is queued (and no dispatcher thread starts: a REST-only
        client runs no thread)."""
        if not len(self._registries[LoginListener]):
            return
        self._submit(lambda gen: self._emit(method, args, gen))

    def frames(
        self, frames: list[dict[str, Any]], own_resource: str, own_uid: Optional[str]
    ) -> None:
        """Reader thread: route frames that arrived together; queue their listener calls as
        one item (one hand-off per burst, not per frame) if they fit under the queue's bound.
        Never blocks: past the bound, message events become gaps (fetched later, in order)
        and the other events are dropped (see the module docstring)."""
        events = [e for frame in frames for e in route(frame, own_resource, own_uid=own_uid)]
        if not events:
            return
        gen = self._gen
        messages = [e.message for e in events if e.message is not None]
        if messages:
            self.ledger.hold(messages)  # before queueing: admit() releases the holds

        def deliver() -> None:
            if not self._may_run(gen, final=True):
                self.ledger.release(messages)
                return
            for event in events:
                self._deliver(event, gen, live=True)

        if self.dispatcher.offer(deliver, len(events)):
            return
        if messages:
            self.ledger.release(messages)
        gapped = 0
        for event in events:
            if event.message is not None and self.ledger.mark_gap(event.message):
                gapped += 1
        self._deferred += gapped
        self._dropped += len(events) - gapped
        if gapped:
            self._request_gap_fill()

    # -- on the dispatcher thread ------------------------------------------------------------

    def _may_run(self, gen: int, *, final: bool) -> bool:
        """May a unit of session ``gen`` still reach a listener? ``final``: it is a status
        change, a login outcome or a live event, which the end of a session still delivers
        while it drains the queue (within ``end_session``); catch-up pages are not."""
        return gen == self._gen or (final and gen == self._draining)

    def _submit(self, work: Callable[[int], None]) -> None:
        """Queue one of the SDK's own items (never dropped), stamped with the generation."""
        gen = self._gen

        def item() -> None:
            if self._may_run(gen, final=True):
                work(gen)

        self.dispatcher.submit(item)

    def _emit(self, method: ListenerMethod, args: tuple[Any, ...], gen: int) -> None:
        """Call ``method`` (a family's unbound event method) on that family's listeners: a
        status change, a connection error or a login outcome. These tell the app what its
        own calls did (``on_logout_success``, the last ``on_disconnected``), so once the
        dispatcher took them they reach the listeners even when an app executor (a Tk
        bridge) runs them after ``logout()`` or ``close()`` returned; only the session's
        messages and catch-up pages end with it."""
        self._call(self._registries[_family_of(method)], method.__name__, args, gen, always=True)

    def _call(
        self,
        registry: ListenerRegistry[Any],
        name: str,
        args: tuple[Any, ...],
        gen: int,
        *,
        final: bool = True,
        always: bool = False,
    ) -> None:
        """Call the listeners here, or hand the call to the app's executor; each listener
        call first checks that session ``gen`` may still be delivered (``always``: no
        check, see :meth:`_emit`)."""
        hook, executor = self.error_hook, self.executor
        # No closure per event: a bound check, or none at all.
        allowed = None if always else functools.partial(self._may_run, gen, final=final)
        if executor is None:
            registry.emit(name, args, hook, allowed)
        else:
            executor(lambda: registry.emit(name, args, hook, allowed))

    def _deliver(self, event: Event, gen: int, *, live: bool) -> None:
        message = event.message
        if message is not None:
            run = self._run
            if live and run is not None and run.parks(event):
                return  # a conversation the catch-up may find new: it decides
            if not self.ledger.admit(message, live=live):
                if live and run is not None:
                    run.note_held(event)  # held for the catch-up under way, maybe
                return  # already delivered, sent by this client, or held for a catch-up
        self._delivered += 1
        try:
            self._call(
                self._registries[event.listener_type], event.method, event.args, gen, final=live
            )
        except BaseException:  # the app's executor failed; the next event still goes
            log.exception("delivering %s.%s failed", event.listener_type.__name__, event.method)

    # -- figures -----------------------------------------------------------------------------

    def counters(self) -> DeliveryCounters:
        """Delivery figures (plain reads: no lock, no I/O; safe from a listener)."""
        queue = self.dispatcher.figures()
        return DeliveryCounters(
            self._delivered,
            self._deferred,
            self._dropped,
            self._catch_up.fetches,
            self._catch_up.failures,
            queue.depth,
            queue.peak,
        )

    # -- life ----------------------------------------------------------------------------------

    def end_session(self, timeout: float) -> None:
        """End the current session's delivery: from now on no catch-up page of it is
        delivered and no retry runs; what is queued (status changes, login outcomes, live
        events) is delivered while the dispatcher drains, for up to ``timeout`` seconds;
        once this returns nothing of the session reaches a listener. Called from inside a
        listener, the drain ends when the queue is empty (nothing joins the own thread)."""
        with self._gen_lock:
            ended = self._gen
            self._gen += 1
            self._draining = ended
            self._cancel_retry_locked()
        on_own_thread = threading.current_thread() is self.dispatcher.thread
        self.dispatcher.stop(timeout)
        if on_own_thread:
            self.dispatcher.submit(lambda: self._drained(ended))
        else:
            self._drained(ended)

    def _drained(self, ended: int) -> None:
        with self._gen_lock:
            if self._draining == ended:
                self._draining = None

    def after_fork_in_child(self) -> None:
        """In a forked child: fresh locks and no inherited thread or queue."""
        for registry in self._registries.values():
            registry.after_fork_in_child()
        self._status_lock = threading.Lock()
        self._gen_lock = threading.Lock()
        self._gap_fill_queued = False
        self._run = None
        self._retry = None  # the parent's timer: nothing of it runs here
        self._catch_up.after_fork_in_child()
        self._queued_change = ConnectionStateChange(
            ConnectionStatus.DISCONNECTED, ConnectionStatus.DISCONNECTED
        )
        self._joining.clear()
        self.ledger.after_fork_in_child()
        self.dispatcher.after_fork_in_child()


def _discover_none(_known: set[str]) -> list[Conversation]:
    return []


def _no_history(conversation: Conversation, after: int, per_page: int) -> Any:
    """The fetch of a delivery built without one: no history to catch up."""
    return []
