"""The one exception type of the SDK, its few subclasses, and the error codes it raises.

Every error the SDK raises is a :class:`CometChatException` carrying a ``code`` (a string a
program can branch on), a human ``message`` and optional ``details``. Errors that came from
the CometChat REST API keep the server's own code (``ERR_UID_NOT_FOUND``,
``AUTH_ERR_AUTH_TOKEN_NOT_FOUND``, ...). Subclasses exist only where a caller is likely to
want to catch one case on its own.

No message or ``details`` built by the SDK ever contains an auth token, API key or JWT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional

__all__ = [
    "AlreadyConnectedError",
    "CometChatException",
    "CometChatTimeoutError",
    "ErrorCode",
    "NotLoggedInError",
]


class ErrorCode:
    """The SDK-side error codes, spelled exactly as the behaviour text and official SDKs do."""

    # Connection (spelled as in CometChat's connection-behaviour documentation).
    ALREADY_CONNECTED = "ERROR_WEBSOCKETS_ALLREADY_IN_CONNECTED_STATE"
    PING_NOT_AVAILABLE = "ERROR_PING_NOT_AVAILABLE"
    NOT_LOGGED_IN = "ERR_NOT_LOGGED_IN"
    WEBSOCKET_ERROR = "ERR_WEBSOCKET_ERROR"
    NO_INTERNET = "ERR_NO_INTERNET"
    NO_WEBSOCKET_CONNECTION = "NO_WEBSOCKET_CONNECTION"
    # Raised when a blocking call runs out of time.
    TIMEOUT = "ERR_TIMEOUT"
    # The link was dropped by the manual-mode background ping deadline.
    BACKGROUND_DEADLINE = "ERR_BACKGROUND_PING_DEADLINE"

    # Login, REST and input validation (official SDK names).
    LOGIN_IN_PROGRESS = "LOGIN_IN_PROGRESS"
    FAILED_TO_FETCH = "FAILED_TO_FETCH"
    MISSING_PARAMETERS = "MISSING_PARAMETERS"
    INVALID_PARAMETER = "ERR_INVALID_PARAMETER"
    INIT_NOT_CALLED = "ERROR_INIT_NOT_CALLED"
    SESSION_LOCKED = "ERR_SESSION_LOCKED"

    # Raised when the app's MODE setting blocks receipts (as the official SDKs do).
    RECEIPTS_TEMPORARILY_BLOCKED = "RECEIPTS_TEMPORARILY_BLOCKED"
    # HTTP 429 without a CometChat error body; ``details["retry_after"]`` holds Retry-After.
    TOO_MANY_REQUESTS = "ERR_TOO_MANY_REQUESTS"
    # A REST answer's body is larger than the settings' max response size
    # (``details["limit"]`` holds it, in bytes).
    RESPONSE_TOO_LARGE = "ERR_RESPONSE_TOO_LARGE"

    # Media uploads and flags, checked before anything is sent (official SDK names).
    INVALID_FILE_OBJECT = "ERR_INVALID_FILE_OBJECT"
    FILE_SIZE_EXCEEDED = "ERR_FILE_SIZE_EXCEEDED"
    FILE_COUNT_EXCEEDED = "ERR_FILE_COUNT_EXCEEDED"
    INVALID_REASON_ID = "INVALID_REASON_ID"

    # Server codes the SDK itself reacts to.
    AUTH_TOKEN_NOT_FOUND = "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"


class CometChatException(Exception):
    """An error from the SDK or from the CometChat service.

    Attributes:
        code: a stable string to branch on, e.g. ``"ERR_NOT_LOGGED_IN"`` or the server's
            ``"ERR_UID_NOT_FOUND"``.
        message: a sentence for humans.
        details: extra data (the server's per-field errors, ``Retry-After``, the HTTP
            status, ...) or an empty dict.
    """

    def __init__(
        self, code: str, message: str, details: Optional[Mapping[str, Any]] = None
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses keep their own __init__ signature, and an OSError subclass (the timeout)
        # can't be made by Exception.__new__: rebuild through the class's own __new__ and the
        # base __init__, then restore any other attribute set on the instance.
        extra = {k: v for k, v in vars(self).items() if k not in ("code", "message", "details")}
        return (_rebuild, (type(self), self.code, self.message, self.details), extra or None)


def _rebuild(
    cls: type[CometChatException], code: str, message: str, details: dict[str, Any]
) -> CometChatException:
    exc = cls.__new__(cls)
    CometChatException.__init__(exc, code, message, details)
    return exc


class AlreadyConnectedError(CometChatException):
    """``connect()`` was called while the socket is already connected."""

    def __init__(self, message: str = "The WebSocket is already connected.") -> None:
        super().__init__(ErrorCode.ALREADY_CONNECTED, message)


class NotLoggedInError(CometChatException):
    """The call needs a logged-in user and there is none."""

    def __init__(self, message: str = "No user is logged in. Call login() first.") -> None:
        super().__init__(ErrorCode.NOT_LOGGED_IN, message)


class CometChatTimeoutError(CometChatException, TimeoutError):
    """A blocking call ran out of time. Also an instance of the built-in ``TimeoutError``."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.TIMEOUT, message)
