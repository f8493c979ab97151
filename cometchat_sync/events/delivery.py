"""Delivery: from a routed event to the app's listeners, in order, once.

Owns the listener registries, the dispatcher thread, the app's callback executor and error
hook, and the message ledger with the catch-up after a reconnect (``docs/events.md``). The
client feeds it (state changes from the lifecycle, events from the router) and gives it a way
to fetch history; everything here that touches listeners or the ledger runs on the dispatcher
thread.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from ..connection.state import ConnectionStateChange, ConnectionStatus
from ..errors import CometChatException, ErrorCode
from ..listeners import (
    CallListener,
    ConnectionListener,
    GroupListener,
    LoginListener,
    MessageListener,
    UserListener,
)
from .dispatcher import Dispatcher, Executor
from .ledger import Conversation, MessageLedger
from .registry import ErrorHook, ListenerRegistry
from .router import Event, route

__all__ = ["Delivery", "FetchPage"]

log = logging.getLogger(__name__)

FetchPage = Callable[[Conversation, int, int], Any]
"""``fetch(conversation, after_id, per_page)``: the JSON list of its messages after
``after_id``."""

_STATUS_METHODS = {
    ConnectionStatus.CONNECTING: "on_connecting",
    ConnectionStatus.CONNECTED: "on_connected",
    ConnectionStatus.DISCONNECTED: "on_disconnected",
    ConnectionStatus.FEATURE_THROTTLED: "on_feature_throttled",
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
        self.connection = ListenerRegistry(ConnectionListener, "connection")
        self.login = ListenerRegistry(LoginListener, "login")
        self.families: dict[str, ListenerRegistry[Any]] = {
            "message": ListenerRegistry(MessageListener, "message"),
            "user": ListenerRegistry(UserListener, "user"),
            "group": ListenerRegistry(GroupListener, "group"),
            "call": ListenerRegistry(CallListener, "call"),
        }
        self.ledger = MessageLedger(own_uid)
        self.executor: Optional[Executor] = None
        self.error_hook: Optional[ErrorHook] = None
        self.dispatcher = Dispatcher(thread_name)

    # -- feeding it (any thread) ---------------------------------------------------------

    def state_change(self, change: ConnectionStateChange, catch_up: Callable[[], None]) -> None:
        """Queue the listener calls of ``change``; once connected, then ``catch_up``."""
        method = _STATUS_METHODS[change.current]

        def deliver() -> None:
            self._emit(self.connection, "on_state_change", (change,))
            self._emit(self.connection, method, ())

        self.dispatcher.submit(deliver)
        if change.current is ConnectionStatus.CONNECTED:
            self.dispatcher.submit(catch_up)

    def connection_error(self, error: CometChatException) -> None:
        self.dispatcher.submit(lambda: self._emit(self.connection, "on_connection_error", (error,)))

    def login_event(self, method: str, args: tuple[Any, ...]) -> None:
        self.dispatcher.submit(lambda: self._emit(self.login, method, args))

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
                    log.exception("delivering %s.%s failed", event.kind, event.method)

        self.dispatcher.submit(deliver)

    # -- on the dispatcher thread ------------------------------------------------------------

    def _emit(self, registry: ListenerRegistry[Any], method: str, args: tuple[Any, ...]) -> None:
        """Call the listeners here, or hand the call to the app's executor."""
        hook, executor = self.error_hook, self.executor
        if executor is None:
            registry.emit(method, args, hook)
        else:
            executor(lambda: registry.emit(method, args, hook))

    def _deliver(self, event: Event) -> None:
        message = event.message
        if message is not None and not self.ledger.admit(message):
            return  # already delivered, or sent by this client
        self._emit(self.families[event.kind], event.method, event.args)

    def catch_up(self, fetch: FetchPage, own_uid: str, still_current: Callable[[], bool]) -> None:
        """Fetch and deliver, in order, what every followed conversation received while the
        link was down. Runs on the dispatcher thread, so live events wait behind it."""
        for conversation in self.ledger.conversations():
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
                for item in items:
                    for event in route({"type": "message", "body": item}, "", own_uid=own_uid):
                        self._deliver(event)
                    after = max(after, _int_id(item))
                if len(items) < _CATCH_UP_PAGE:
                    break

    # -- life ----------------------------------------------------------------------------------

    def stop(self, timeout: float) -> None:
        """Deliver what is queued, then end the dispatcher thread (see ``Dispatcher.stop``)."""
        self.dispatcher.stop(timeout)

    def after_fork_in_child(self) -> None:
        """In a forked child: fresh locks and no inherited thread or queue."""
        for registry in (self.connection, self.login, *self.families.values()):
            registry.after_fork_in_child()
        self.ledger.after_fork_in_child()
        self.dispatcher.after_fork_in_child()


def _int_id(item: dict[str, Any]) -> int:
    try:
        return int(item.get("id", 0))
    except (TypeError, ValueError, OverflowError):
        return 0
