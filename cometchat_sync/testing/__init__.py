"""Test kit: a faithful local CometChat emulator, a fault proxy, recording listeners, and a
pytest plugin with fixtures built from them.

The fault proxy, the recorders and :func:`emulator_settings` need only the standard library
and the SDK. The :class:`Emulator` serves with ``websockets``, from the extra
``cometchat-sync[emulator]``: it is imported on first use, and without the extra that use
raises an ``ImportError`` that names the command to install it. See ``docs/testing.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from .full_backlog import FullBacklog
from .listeners import CallRecorder
from .listeners import ConnectionRecorder
from .listeners import EventLog
from .listeners import GroupRecorder
from .listeners import LoginRecorder
from .listeners import MessageRecorder
from .listeners import UserRecorder
from .proxy import ConnectProxy
from .proxy import FaultProxy
from .wiring import EmulatorAddress
from .wiring import emulator_settings

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = [
    "CallRecorder",
    "ConnectProxy",
    "ConnectionRecorder",
    "Emulator",
    "EmulatorAddress",
    "EventLog",
    "FaultProxy",
    "FullBacklog",
    "GroupRecorder",
    "LoginRecorder",
    "MessageRecorder",
    "UserRecorder",
    "emulator_settings",
]


def __getattr__(name: str) -> Any:
    # PEP 562: ``from cometchat_sync.testing import Emulator`` imports the emulator (and
    # websockets) only when asked for, so the rest of the kit works without the extra.
    if name == "Emulator":
        from .emulator import Emulator  # noqa: PLC0415 (the optional extra, on first use)

        return Emulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
