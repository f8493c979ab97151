"""Recording listeners with bounded ``wait_for_...`` helpers, for tests and samples.

They record every call (on the dispatcher thread) and let another thread wait for a condition
with a timeout, without sleeping and hoping::

    recorder = ConnectionRecorder()
    client.add_connection_listener("rec", recorder)
    client.login("superhero1", key)
    assert recorder.wait_for_status("connected", timeout=5)
"""

from __future__ import annotations

import threading
from typing import Any
from typing import Callable
from typing import Optional

from .._waits import wait_until
from ..connection.state import ConnectionStateChange
from ..connection.state import ConnectionStatus
from ..connection.state import DisconnectReason
from ..errors import CometChatException
from ..listeners import CallListener
from ..listeners import ConnectionListener
from ..listeners import GroupListener
from ..listeners import LoginListener
from ..listeners import MessageListener
from ..listeners import UserListener

__all__ = [
    "CallRecorder",
    "ConnectionRecorder",
    "EventLog",
    "GroupRecorder",
    "LoginRecorder",
    "MessageRecorder",
    "UserRecorder",
]


class EventLog:
    """A thread-safe list of ``(method, args)`` with a bounded wait for a predicate."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def record(self, method: str, *args: Any) -> None:
        with self._cond:
            self.calls.append((method, args))
            self._cond.notify_all()

    def names(self) -> list[str]:
        with self._cond:
            return [name for name, _ in self.calls]

    def args_of(self, method: str) -> list[tuple[Any, ...]]:
        with self._cond:
            return [args for name, args in self.calls if name == method]

    def clear(self) -> None:
        with self._cond:
            self.calls.clear()

    def wait_for(
        self, predicate: Callable[[list[tuple[str, tuple[Any, ...]]]], bool], timeout: float
    ) -> bool:
        """Wait until ``predicate(calls)`` is true; False if ``timeout`` seconds pass first."""
        with self._cond:
            return wait_until(lambda: predicate(self.calls), timeout, sleep=self._cond.wait)

    def wait_for_count(self, method: str, count: int, timeout: float) -> bool:
        """Wait until ``method`` was called at least ``count`` times."""
        return self.wait_for(
            lambda calls: sum(1 for name, _ in calls if name == method) >= count, timeout
        )


def _recording(cls: type[Any]) -> type[Any]:
    """Give ``cls`` an :class:`EventLog` and a recording method for each of its events."""

    def make(name: str) -> Callable[..., None]:
        def method(self: Any, *args: Any) -> None:
            self.log.record(name, *args)

        method.__name__ = name
        return method

    for name in cls.EVENTS:
        if name not in cls.__dict__:  # a method the class wrote itself stays
            setattr(cls, name, make(name))
    return cls


@_recording
class ConnectionRecorder(ConnectionListener):
    """Records connection events; ``changes`` lists every :class:`ConnectionStateChange`.

    The first call a connection listener hears is a snapshot of the status as of its
    registration (``previous`` equal to ``current``) followed by that status's method; the
    recorder keeps that snapshot apart, in :attr:`initial`, so ``log``, ``changes`` and
    ``statuses()`` hold real changes only.
    """

    def __init__(self) -> None:
        super().__init__()
        self.log = EventLog()
        self.initial_log = EventLog()
        self._in_snapshot = False

    @property
    def initial(self) -> Optional[ConnectionStateChange]:
        """The snapshot heard first, or ``None`` before it came."""
        found = self.initial_log.args_of("on_state_change")
        return found[0][0] if found else None

    def wait_for_initial(self, timeout: float) -> Optional[ConnectionStateChange]:
        """Wait up to ``timeout`` seconds for the snapshot; ``None`` if it did not come."""
        self.initial_log.wait_for_count("on_state_change", 1, timeout)
        return self.initial

    def on_state_change(self, change: ConnectionStateChange) -> None:
        self._in_snapshot = change.previous is change.current
        (self.initial_log if self._in_snapshot else self.log).record("on_state_change", change)

    def _status(self, name: str) -> None:
        # Called right after on_state_change, on the same thread, for the same change.
        (self.initial_log if self._in_snapshot else self.log).record(name)
        self._in_snapshot = False

    def on_connecting(self) -> None:
        self._status("on_connecting")

    def on_connected(self) -> None:
        self._status("on_connected")

    def on_disconnected(self) -> None:
        self._status("on_disconnected")

    def on_feature_throttled(self) -> None:
        self._status("on_feature_throttled")

    @property
    def changes(self) -> list[ConnectionStateChange]:
        return [args[0] for args in self.log.args_of("on_state_change")]

    @property
    def errors(self) -> list[CometChatException]:
        return [args[0] for args in self.log.args_of("on_connection_error")]

    def statuses(self) -> list[str]:
        """The statuses reached, in order (``["connecting", "connected", ...]``)."""
        return [change.current.value for change in self.changes]

    def wait_for_status(self, status: str, timeout: float, count: int = 1) -> bool:
        """Wait until the link reached ``status`` ``count`` times in all."""
        wanted = ConnectionStatus(status)
        return self.log.wait_for(
            lambda calls: (
                sum(
                    1
                    for name, args in calls
                    if name == "on_state_change" and args[0].current is wanted
                )
                >= count
            ),
            timeout,
        )

    def wait_for_error(self, timeout: float) -> Optional[CometChatException]:
        if self.log.wait_for_count("on_connection_error", 1, timeout):
            return self.errors[0]
        return None

    def last_reason(self) -> Optional[DisconnectReason]:
        for change in reversed(self.changes):
            if change.current is ConnectionStatus.DISCONNECTED:
                return change.reason
        return None


@_recording
class MessageRecorder(MessageListener):
    """Records message events."""

    def __init__(self) -> None:
        super().__init__()
        self.log = EventLog()

    def texts(self) -> list[str]:
        return [args[0].text for args in self.log.args_of("on_text_message_received")]


@_recording
class UserRecorder(UserListener):
    """Records presence events."""

    def __init__(self) -> None:
        super().__init__()
        self.log = EventLog()


@_recording
class GroupRecorder(GroupListener):
    """Records group events."""

    def __init__(self) -> None:
        super().__init__()
        self.log = EventLog()


@_recording
class CallRecorder(CallListener):
    """Records call events."""

    def __init__(self) -> None:
        super().__init__()
        self.log = EventLog()


@_recording
class LoginRecorder(LoginListener):
    """Records login and logout events."""

    def __init__(self) -> None:
        super().__init__()
        self.log = EventLog()
