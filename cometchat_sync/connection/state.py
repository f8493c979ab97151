"""Connection states, app states, disconnect reasons and the one transition table."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING
from typing import Optional

if TYPE_CHECKING:
    from ..errors import CometChatException

__all__ = [
    "TRANSITIONS",
    "AppState",
    "ConnectionStateChange",
    "ConnectionStatus",
    "DisconnectReason",
]


class _WireStr(str, Enum):
    """A ``str`` enum whose ``str()`` is its value (the official SDKs' string), as the
    ``StrEnum`` of Python 3.11 does."""

    def __str__(self) -> str:
        return str(self.value)


class ConnectionStatus(_WireStr):
    """What ``get_connection_status()`` returns; compares equal to the official strings."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    FEATURE_THROTTLED = "featureThrottled"


class AppState(_WireStr):
    """Whether the app is in front of the user; tell the SDK with ``set_app_state()``."""

    FOREGROUND = "foreground"
    BACKGROUND = "background"


class DisconnectReason(_WireStr):
    """Why the link went down, carried by every change to ``disconnected``."""

    USER = "user"
    """The app called ``disconnect()``."""
    LOGOUT = "logout"
    """The user logged out."""
    TOKEN_REVOKED = "token_revoked"
    """The server no longer accepts the auth token (revoked or deleted): the user was logged
    out locally and must log in again."""
    CLOSED = "closed"
    """The client was closed (``close()``, the end of a ``with`` block, or a fork)."""
    BACKGROUND = "background"
    """Auto mode: the app went to the background."""
    BACKGROUND_PING_DEADLINE = "background_ping_deadline"
    """Manual mode: no ``ping()`` within the background deadline."""
    LINK_LOST = "link_lost"
    """The link broke or stopped answering; the SDK reconnects when in the foreground."""
    CONNECT_FAILED = "connect_failed"
    """A ``connect()`` attempt failed."""
    AUTH_REJECTED = "auth_rejected"
    """The server refused the socket's credentials even after they were renewed with the
    auth token: no more attempts until ``connect()`` or a new login."""


TRANSITIONS: dict[ConnectionStatus, frozenset[ConnectionStatus]] = {
    ConnectionStatus.DISCONNECTED: frozenset({ConnectionStatus.CONNECTING}),
    ConnectionStatus.CONNECTING: frozenset(
        {ConnectionStatus.CONNECTED, ConnectionStatus.DISCONNECTED}
    ),
    ConnectionStatus.CONNECTED: frozenset(
        {ConnectionStatus.DISCONNECTED, ConnectionStatus.FEATURE_THROTTLED}
    ),
    ConnectionStatus.FEATURE_THROTTLED: frozenset(
        {ConnectionStatus.CONNECTED, ConnectionStatus.DISCONNECTED}
    ),
}
"""Every allowed change of status. Anything else is an SDK bug and raises ``RuntimeError``."""


class ConnectionStateChange:
    """One change of connection status, as delivered to ``on_state_change``.

    ``reason`` is set when ``current`` is ``disconnected``; ``error`` when a failure caused
    the change.
    """

    __slots__ = ("current", "error", "previous", "reason")

    def __init__(
        self,
        previous: ConnectionStatus,
        current: ConnectionStatus,
        reason: Optional[DisconnectReason] = None,
        error: Optional[CometChatException] = None,
    ) -> None:
        self.previous = previous
        self.current = current
        self.reason = reason
        self.error = error

    def __repr__(self) -> str:
        extra = f", reason={self.reason.value!r}" if self.reason else ""
        if self.error is not None:
            extra += f", error={self.error.code!r}"
        return f"ConnectionStateChange({self.previous.value!r} -> {self.current.value!r}{extra})"
