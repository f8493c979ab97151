"""Test kit: a faithful local CometChat emulator, a fault proxy and recording listeners.

Needs the extra ``cometchat-sync[emulator]`` (the emulator serves with ``websockets``).
"""

from .emulator import Emulator
from .listeners import CallRecorder
from .listeners import ConnectionRecorder
from .listeners import EventLog
from .listeners import GroupRecorder
from .listeners import LoginRecorder
from .listeners import MessageRecorder
from .listeners import UserRecorder
from .proxy import ConnectProxy
from .proxy import FaultProxy
from .wiring import emulator_settings

__all__ = [
    "CallRecorder",
    "ConnectProxy",
    "ConnectionRecorder",
    "Emulator",
    "EventLog",
    "FaultProxy",
    "GroupRecorder",
    "LoginRecorder",
    "MessageRecorder",
    "UserRecorder",
    "emulator_settings",
]
