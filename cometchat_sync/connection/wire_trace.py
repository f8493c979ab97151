"""The wire trace: every text frame the SDK sends or receives on the socket, one DEBUG line
each, with secrets masked.

Off by default and cheap when off (one ``isEnabledFor`` check per frame). Turn it on with
``logging.getLogger("cometchat_sync.connection.wire_trace").setLevel(logging.DEBUG)`` and a
handler (see ``docs/logging.md``). The values of ``auth``, ``authToken``, ``jwt`` and
``apiKey`` keys are replaced by ``"***"`` at any depth, so the ``auth`` frame's JWT never
reaches a log line; a frame that is not JSON is logged by its length only.
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["trace", "tracing"]

log = logging.getLogger(__name__)

_SECRET_KEYS = frozenset({"auth", "authToken", "jwt", "apiKey"})
_MAX_CHARS = 2000  # a longer frame is cut in the log line (the frame itself is untouched)


def tracing() -> bool:
    """True when the wire trace is on (a caller may skip building the text otherwise)."""
    return log.isEnabledFor(logging.DEBUG)


def trace(direction: str, text: str) -> None:
    """Log ``text`` (one frame) with ``direction`` ``">"`` (sent) or ``"<"`` (received)."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    log.debug("%s %s", direction, _masked(text))


def _masked(text: str) -> str:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return f"<{len(text)} chars, not JSON>"
    shown = json.dumps(_mask(value), separators=(",", ":"), ensure_ascii=False)
    return shown if len(shown) <= _MAX_CHARS else shown[:_MAX_CHARS] + "…"


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "***" if k in _SECRET_KEYS else _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value
