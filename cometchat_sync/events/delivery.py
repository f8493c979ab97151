"""Delivery: from a routed event to the app's listeners, in order, once.

Owns the listener registries, the dispatcher thread, the app's callback executor and error
hook, and the message ledger with the catch-up after a reconnect (``docs/events.md``). The
client feeds it (state changes from the lifecycle, events from the router) and gives it a way
to fetch history; everything here that touches listeners or the ledger runs on the dispatcher
thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from typing import Callable
from typing import Optional
from typing import TypeVar

from ..connection.state import ConnectionStateChange
from ..connection.state import ConnectionStatus
from ..errors import CometChatException
from ..errors import ErrorCode
from ..listeners import ConnectionListener
from ..listeners import LoginListener
from ..listeners import _family_of
from ..listeners import _Listener
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

__all__ = ["Delivery", "FetchPage"]

log = logging.getLogger(__name__)

_L = TypeVar("_L", bound=_Listener)

FetchPage = Callable[[Conversation, int, int], Any]
"""``fetch(conversation, after_id, per_page)``: the JSON list of its messages after
``after_id``."""

_STATUS_METHODS: dict[ConnectionStatus, ListenerMethod] = {
    ConnectionStatus.CONNECTING: ConnectionListener.on_connecting,
    ConnectionStatus.CONNECTED: ConnectionListener.on_connected,
    ConnectionStatus.DISCONNECTED: ConnectionListener.on_disconnected,
    ConnectionStatus.FEATURE_THROTTLED: ConnectionListener.on_feature_throttled,
}
_CATCH_UP_PAGE = 100
# Errors after which the catch-up stops (to be retried at the next reconnect), rather than
# skipping one unreadable conversation.
_NETWORK_CODES = frozenset(
    {ErrorCode.NO_INTERNET, ErrorCode.FAILED_TO_FETCH, ErrorCode.TIMEOUT, ErrorCode.NOT_LOGGED_IN}
)


class Delivery:
    """See the module docstring. Thread-safe entry points: every public method."""

    def __init__(self, thread_name: Callable[[], str], own_uid: Optional[str]) -> None:
        # One registry per listener family: the two the SDK itself feeds, and the router's.
        families: tuple[type[_Listener], ...] = (ConnectionListener, LoginListener, *FAMILIES)
        self._registries: dict[type[_Listener], ListenerRegistry[Any]] = {
            family: ListenerRegistry(family) for family in families
        }
        self.ledger = MessageLedger(own_uid)
        self.executor: Optional[Executor] = None
        self.error_hook: Optional[ErrorHook] = None
        self.dispatcher = Dispatcher(thread_name)
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

    def state_change(self, change: ConnectionStateChange, catch_up: Callable[[], None]) -> None:
        """Queue the listener calls of ``change``; once connected, then ``catch_up``."""
        method = _STATUS_METHODS[change.current]

        def deliver() -> None:
            self._emit(ConnectionListener.on_state_change, (change,))
            self._emit(method, ())

        with self._status_lock:
            self._queued_change = change
            self.dispatcher.submit(deliver)
        if change.current is ConnectionStatus.CONNECTED:
            self.dispatcher.submit(catch_up)

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

            def join() -> None:
                # Changes queued before this item are in the snapshot: the listener joins
                # the registry only now, so it hears none of them twice.
                with self._status_lock:
                    if self._joining.get(listener_id) is not token:
                        return  # removed or replaced before its first call
                    del self._joining[listener_id]
                    self.registry(ConnectionListener).add(listener_id, listener)
                self._call(alone, "on_state_change", (snapshot,))
                self._call(alone, _STATUS_METHODS[snapshot.current].__name__, ())

            self.dispatcher.submit(join)

    def remove_connection_listener(self, listener_id: str) -> None:
        """Remove the connection listener of ``listener_id``, also one not yet joined."""
        with self._status_lock:
            self._joining.pop(listener_id, None)
            self.registry(ConnectionListener).remove(listener_id)

    def connection_error(self, error: CometChatException) -> None:
        self.dispatcher.submit(lambda: self._emit(ConnectionListener.on_connection_error, (error,)))

    def login_event(self, method: ListenerMethod, args: tuple[Any, ...]) -> None:
        """Queue a call of ``method`` (a :class:`LoginListener` method) on login listeners;
        with none registered, nothing is queued (and no dispatcher thread starts: a REST-only
        client runs no thread)."""
        if not len(self._registries[LoginListener]):
            return
        self.dispatcher.submit(lambda: self._emit(method, args))

    def frames(
        self, frames: list[dict[str, Any]], own_resource: str, own_uid: Optional[str]
    ) -> None:
        """Reader thread: route frames that arrived together; queue their listener calls as
        one item (one hand-off per burst, not per frame)."""
        events = [e for frame in frames for e in route(frame, own_resource, own_uid=own_uid)]
        if not events:
            return

        def deliver() -> None:
            for event in events:
                try:
                    self._deliver(event)
                except Exception:  # the app's executor failed; the next event still goes
                    log.exception(
                        "delivering %s.%s failed", event.listener_type.__name__, event.method
                    )

        self.dispatcher.submit(deliver)

    # -- on the dispatcher thread ------------------------------------------------------------

    def _emit(self, method: ListenerMethod, args: tuple[Any, ...]) -> None:
        """Call ``method`` (a family's unbound event method) on that family's listeners."""
        self._call(self._registries[_family_of(method)], method.__name__, args)

    def _call(self, registry: ListenerRegistry[Any], name: str, args: tuple[Any, ...]) -> None:
        """Call the listeners here, or hand the call to the app's executor."""
        hook, executor = self.error_hook, self.executor
        if executor is None:
            registry.emit(name, args, hook)
        else:
            executor(lambda: registry.emit(name, args, hook))

    def _deliver(self, event: Event) -> None:
        message = event.message
        if message is not None and not self.ledger.admit(message):
            return  # already delivered, or sent by this client
        self._call(self._registries[event.listener_type], event.method, event.args)

    def catch_up(self, fetch: FetchPage, own_uid: str, still_current: Callable[[], bool]) -> None:
        """Fetch and deliver, in order, what every followed conversation received while the
        link was down. Runs on the dispatcher thread, so live events wait behind it."""
        conversations = self.ledger.conversations()
        fetched = 0
        for conversation in conversations:
            after = conversation.watermark
            while still_current():
                try:
                    page = fetch(conversation, after, _CATCH_UP_PAGE)
                except CometChatException as exc:
                    if exc.code in _NETWORK_CODES:
                        log.warning("catch-up stopped (%s); the next reconnect retries", exc.code)
                        return
                    # This conversation cannot be read now (the user left the group, ...);
                    # the others still can.
                    log.info("catch-up skipped %r (%s)", conversation, exc.code)
                    break
                items = [i for i in page if isinstance(i, dict)] if isinstance(page, list) else []
                fetched += len(items)
                for item in items:
                    for event in route({"type": "message", "body": item}, "", own_uid=own_uid):
                        self._deliver(event)
                    after = max(after, _int_id(item))
                if len(items) < _CATCH_UP_PAGE:
                    break
        log.info("catch-up fetched %d messages from %d conversations", fetched, len(conversations))

    # -- life ----------------------------------------------------------------------------------

    def stop(self, timeout: float) -> None:
        """Deliver what is queued, then end the dispatcher thread (see ``Dispatcher.stop``)."""
        self.dispatcher.stop(timeout)

    def after_fork_in_child(self) -> None:
        """In a forked child: fresh locks and no inherited thread or queue."""
        for registry in self._registries.values():
            registry.after_fork_in_child()
        self._status_lock = threading.Lock()
        self._queued_change = ConnectionStateChange(
            ConnectionStatus.DISCONNECTED, ConnectionStatus.DISCONNECTED
        )
        self._joining.clear()
        self.ledger.after_fork_in_child()
        self.dispatcher.after_fork_in_child()


def _int_id(item: dict[str, Any]) -> int:
    try:
        return int(item.get("id", 0))
    except (TypeError, ValueError, OverflowError):
        return 0
