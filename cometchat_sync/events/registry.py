"""Listeners of one family, keyed by id, and the safe way to call them all.

Registration is copy-on-write: ``emit`` iterates a snapshot, so a listener may add or remove
listeners (itself included) while it runs.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from typing import Callable
from typing import Generic
from typing import Optional
from typing import TypeVar

from ..errors import CometChatException
from ..errors import ErrorCode

__all__ = ["ErrorHook", "ListenerRegistry"]

log = logging.getLogger(__name__)

L = TypeVar("L")
ErrorHook = Callable[[BaseException, Any, str], None]
"""``on_listener_error(exception, listener, method_name)``."""


class ListenerRegistry(Generic[L]):
    """Listeners of one base class, keyed by a non-empty string id."""

    def __init__(self, base: type[L]) -> None:
        self._base = base
        self._family = base.__name__[: -len("Listener")].lower() or base.__name__
        self._lock = threading.Lock()
        self._listeners: dict[str, L] = {}

    def add(self, listener_id: str, listener: L) -> None:
        """Register ``listener`` under ``listener_id``; the same id replaces the old one."""
        if not isinstance(listener_id, str) or not listener_id.strip():
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS, f"A {self._family} listener id cannot be empty."
            )
        if not isinstance(listener, self._base):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"A {self._family} listener must be a {self._base.__name__}, "
                f"not {type(listener).__name__}.",
            )
        with self._lock:
            listeners = dict(self._listeners)
            listeners.pop(listener_id, None)  # a replaced listener moves to the end
            listeners[listener_id] = listener
            self._listeners = listeners

    def remove(self, listener_id: str) -> None:
        """Remove the listener registered under ``listener_id``; unknown ids are ignored."""
        with self._lock:
            if listener_id in self._listeners:
                listeners = dict(self._listeners)
                del listeners[listener_id]
                self._listeners = listeners

    def __len__(self) -> int:
        """How many listeners are registered."""
        return len(self._listeners)

    def after_fork_in_child(self) -> None:
        """In a forked child: a new lock (another thread may have held the old one)."""
        self._lock = threading.Lock()

    def emit(
        self,
        method: str,
        args: tuple[Any, ...],
        on_error: Optional[ErrorHook],
        allowed: Optional[Callable[[], bool]] = None,
    ) -> None:
        """Call ``method(*args)`` on every listener, while ``allowed()`` holds (checked
        before each call: the session the event belongs to may end meanwhile).

        A listener that raises anything at all — ``BaseException`` included, so
        ``SystemExit`` and ``KeyboardInterrupt`` too — is logged with its traceback and
        reported through ``on_error``, and the others still run. This runs on an SDK thread:
        a ``KeyboardInterrupt`` or ``SystemExit`` raised here would not reach the main
        thread anyway, it would only end the thread and cost every later event its
        delivery, so it is swallowed like any listener bug.
        """
        for listener in self._listeners.values():
            if allowed is not None and not allowed():
                return
            try:
                getattr(listener, method)(*args)
            except BaseException as exc:  # any exception at all: see the docstring
                log.exception(
                    "%s listener %s.%s raised", self._family, type(listener).__name__, method
                )
                if on_error is not None:
                    try:
                        on_error(exc, listener, method)
                    except BaseException:  # the hook is user code too
                        log.exception("on_listener_error itself raised")
