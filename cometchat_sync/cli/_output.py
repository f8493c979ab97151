"""How the command line prints what happens: one line per event, plain text or one JSON
object per line (``--json``). Secrets (auth tokens, JWTs) are never printed."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any
from typing import TextIO

from ..connection.state import ConnectionStateChange
from ..errors import CometChatException
from ..models import BaseMessage
from ..models import User

__all__ = ["Printer", "to_json"]

# Keys left out of every printed object, wherever they are.
_SECRET_KEYS = frozenset({"authToken", "auth_token", "jwt", "JWT", "authKey", "apiKey"})


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _SECRET_KEYS}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def to_json(value: Any) -> Any:
    """A JSON-ready form of an event argument (a model, a status change, an error)."""
    if isinstance(value, ConnectionStateChange):
        return {
            "previous": value.previous.value,
            "current": value.current.value,
            "reason": value.reason.value if value.reason is not None else None,
            "error": value.error.code if value.error is not None else None,
        }
    if isinstance(value, CometChatException):
        return {"code": value.code, "message": value.message}
    if isinstance(value, User):
        return {"uid": value.uid, "name": value.name}
    raw = getattr(value, "raw", None)
    if isinstance(raw, dict) and raw:
        return _scrub(raw)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (dict, list, tuple)):
        return _scrub(value)
    return repr(value)


def _text(event: str, args: tuple[Any, ...]) -> str:
    """The plain-text line of one event."""
    if len(args) == 1 and isinstance(args[0], ConnectionStateChange):
        change = args[0]
        if change.previous is change.current:
            return f"connection: {change.current.value}"
        reason = f" ({change.reason.value})" if change.reason is not None else ""
        return f"connection: {change.previous.value} -> {change.current.value}{reason}"
    if len(args) == 1 and isinstance(args[0], BaseMessage):
        message = args[0]
        text = getattr(message, "text", None)
        body = text if isinstance(text, str) else f"<{message.type}>"
        receiver = f"{message.receiver_type} {message.receiver_id}"
        return f"{event}: #{message.id} {message.sender_uid} -> {receiver}: {body}"
    shown = " ".join(json.dumps(to_json(a), separators=(",", ":")) for a in args)
    return f"{event}: {shown}" if shown else event


class Printer:
    """Prints events, one line each, from any thread (a lock keeps lines whole)."""

    def __init__(self, *, as_json: bool, out: TextIO = sys.stdout) -> None:
        self._as_json = as_json
        self._out = out
        self._lock = threading.Lock()

    def event(self, family: str, event: str, args: tuple[Any, ...]) -> None:
        """Print one listener call of ``family`` (``message``, ``connection``, ...)."""
        if self._as_json:
            data = [to_json(a) for a in args]
            line = json.dumps(
                {"type": family, "event": event, "data": data[0] if len(data) == 1 else data},
                separators=(",", ":"),
            )
        else:
            line = _text(event, args)
        self.line(line)

    def line(self, text: str) -> None:
        """Print ``text`` and flush, so a pipe sees each line at once."""
        with self._lock:
            self._out.write(text + "\n")
            self._out.flush()
