"""Typed model objects parsed from CometChat's wire JSON."""

from .events import (
    RECEIPT_TYPES,
    MessageReceipt,
    ReactionEvent,
    TransientMessage,
    TypingIndicator,
)
from .group import Group, GroupMember
from .messages import (
    MEDIA_TYPES,
    RECEIVER_TYPES,
    Action,
    Attachment,
    BaseMessage,
    Call,
    CustomMessage,
    MediaMessage,
    TextMessage,
)
from .user import User

__all__ = [
    "MEDIA_TYPES",
    "RECEIPT_TYPES",
    "RECEIVER_TYPES",
    "Action",
    "Attachment",
    "BaseMessage",
    "Call",
    "CustomMessage",
    "Group",
    "GroupMember",
    "MediaMessage",
    "MessageReceipt",
    "ReactionEvent",
    "TextMessage",
    "TransientMessage",
    "TypingIndicator",
    "User",
]
