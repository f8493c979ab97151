"""cometchat_sync: a synchronous, thread-based Python SDK for CometChat real-time chat.

Start with :class:`CometChatClient` (or the static :class:`CometChat` facade) and
:class:`AppSettingsBuilder`; run everything locally with
:class:`cometchat_sync.testing.emulator.Emulator`.

The SDK logs to loggers under ``"cometchat_sync"`` and never configures logging itself.
"""

import logging

from ._engine import threads as sdk_threads
from ._version import __version__
from .builders import BannedMembersRequestBuilder
from .builders import BlockedUsersRequestBuilder
from .builders import ConversationsRequestBuilder
from .builders import GroupMembersRequestBuilder
from .builders import GroupsRequestBuilder
from .builders import MessagesRequestBuilder
from .builders import ReactionsRequestBuilder
from .builders import UsersRequestBuilder
from .client import CometChatClient
from .connection.state import AppState
from .connection.state import ConnectionStateChange
from .connection.state import ConnectionStatus
from .connection.state import DisconnectReason
from .errors import AlreadyConnectedError
from .errors import CometChatException
from .errors import CometChatTimeoutError
from .errors import ErrorCode
from .errors import NotLoggedInError
from .facade import CometChat
from .listeners import CallListener
from .listeners import ConnectionListener
from .listeners import GroupListener
from .listeners import LoginListener
from .listeners import MessageListener
from .listeners import UserListener
from .models import Action
from .models import Attachment
from .models import BaseMessage
from .models import Call
from .models import Conversation
from .models import CustomMessage
from .models import FlagReason
from .models import Group
from .models import GroupMember
from .models import InteractionGoal
from .models import InteractionReceipt
from .models import InteractiveMessage
from .models import MediaMessage
from .models import MessageReceipt
from .models import ModerationStatus
from .models import Reaction
from .models import ReactionCount
from .models import ReactionEvent
from .models import TextMessage
from .models import TransientMessage
from .models import TypingIndicator
from .models import User
from .models import mention
from .rest.admin import CreatedGroup
from .session import FileSessionStore
from .session import MemorySessionStore
from .session import Session
from .session import SessionStore
from .settings import AppSettings
from .settings import AppSettingsBuilder
from .stats import ClientStats

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Action",
    "AlreadyConnectedError",
    "AppSettings",
    "AppSettingsBuilder",
    "AppState",
    "Attachment",
    "BannedMembersRequestBuilder",
    "BaseMessage",
    "BlockedUsersRequestBuilder",
    "Call",
    "CallListener",
    "ClientStats",
    "CometChat",
    "CometChatClient",
    "CometChatException",
    "CometChatTimeoutError",
    "ConnectionListener",
    "ConnectionStateChange",
    "ConnectionStatus",
    "Conversation",
    "ConversationsRequestBuilder",
    "CreatedGroup",
    "CustomMessage",
    "DisconnectReason",
    "ErrorCode",
    "FileSessionStore",
    "FlagReason",
    "Group",
    "GroupListener",
    "GroupMember",
    "GroupMembersRequestBuilder",
    "GroupsRequestBuilder",
    "InteractionGoal",
    "InteractionReceipt",
    "InteractiveMessage",
    "LoginListener",
    "MediaMessage",
    "MemorySessionStore",
    "MessageListener",
    "MessageReceipt",
    "MessagesRequestBuilder",
    "ModerationStatus",
    "NotLoggedInError",
    "Reaction",
    "ReactionCount",
    "ReactionEvent",
    "ReactionsRequestBuilder",
    "Session",
    "SessionStore",
    "TextMessage",
    "TransientMessage",
    "TypingIndicator",
    "User",
    "UserListener",
    "UsersRequestBuilder",
    "__version__",
    "mention",
    "sdk_threads",
]
