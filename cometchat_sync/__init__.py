"""cometchat_sync: a synchronous, thread-based Python SDK for CometChat real-time chat.

Start with :class:`CometChatClient` (or the static :class:`CometChat` facade) and
:class:`AppSettingsBuilder`; run everything locally with
:class:`cometchat_sync.testing.emulator.Emulator`.

The SDK logs to loggers under ``"cometchat_sync"`` and never configures logging itself.
"""

import logging

from ._version import __version__
from .client import CometChatClient
from .connection.state import AppState, ConnectionStateChange, ConnectionStatus, DisconnectReason
from .errors import (
    AlreadyConnectedError,
    CometChatException,
    CometChatTimeoutError,
    ErrorCode,
    NotLoggedInError,
)
from .facade import CometChat
from .listeners import (
    CallListener,
    ConnectionListener,
    GroupListener,
    LoginListener,
    MessageListener,
    UserListener,
)
from .models import (
    Action,
    Attachment,
    BaseMessage,
    Call,
    CustomMessage,
    Group,
    GroupMember,
    MediaMessage,
    MessageReceipt,
    ReactionEvent,
    TextMessage,
    TransientMessage,
    TypingIndicator,
    User,
)
from .session import FileSessionStore, MemorySessionStore, Session, SessionStore
from .settings import AppSettings, AppSettingsBuilder

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Action",
    "AlreadyConnectedError",
    "AppSettings",
    "AppSettingsBuilder",
    "AppState",
    "Attachment",
    "BaseMessage",
    "Call",
    "CallListener",
    "CometChat",
    "CometChatClient",
    "CometChatException",
    "CometChatTimeoutError",
    "ConnectionListener",
    "ConnectionStateChange",
    "ConnectionStatus",
    "CustomMessage",
    "DisconnectReason",
    "ErrorCode",
    "FileSessionStore",
    "Group",
    "GroupListener",
    "GroupMember",
    "LoginListener",
    "MediaMessage",
    "MemorySessionStore",
    "MessageListener",
    "MessageReceipt",
    "NotLoggedInError",
    "ReactionEvent",
    "Session",
    "SessionStore",
    "TextMessage",
    "TransientMessage",
    "TypingIndicator",
    "User",
    "UserListener",
    "__version__",
]
