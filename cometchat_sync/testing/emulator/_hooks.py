"""Every fault switch and test knob of one emulator, in one :class:`Hooks` object.

The :class:`~cometchat_sync.testing.emulator.Emulator` methods (``reject_auth``, ``drop_pongs``,
``fail_next_request``, ``set_request_delay``, ``advertise_ws``, ``set_mode``) write these fields;
the REST app, the settings and the WebSocket code read them on every request or frame, so a
change applies from the next one on. Each write is a single attribute assignment and the failure
queue is a ``deque`` (``append``/``popleft`` are atomic), so no lock is needed here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from dataclasses import field
from typing import Optional

from ._records import ApiError

__all__ = ["Hooks"]


@dataclass
class Hooks:
    """The switches, all off by default (the emulator then behaves like the service)."""

    #: Close every WebSocket ``auth`` frame with 4001 "AUTH_FAILED".
    reject_auth: bool = False
    #: Record ``{"action":"ping"}`` frames but send no ``pong``.
    drop_pongs: bool = False
    #: Seconds every REST answer waits first (``stop()`` cuts the wait).
    request_delay: float = 0.0
    #: ``(host, port)`` the settings advertise for the WebSocket instead of the real one.
    advertised: Optional[tuple[str, int]] = None
    #: The ``MODE`` setting: ``DEFAULT``, ``LIMITED_TRANSIENT`` or ``NO_TRANSIENT``.
    mode: str = "DEFAULT"
    #: Errors the next REST requests answer instead, one each, oldest first.
    failures: deque[ApiError] = field(default_factory=deque)

    def take_failure(self) -> Optional[ApiError]:
        """The next queued failure (removed), or ``None``."""
        try:
            return self.failures.popleft()
        except IndexError:
            return None
