"""Typed model objects parsed from CometChat's wire JSON."""

from .conversation import Conversation
from .conversation import Reaction
from .conversation import ReactionCount
from .events import RECEIPT_TYPES
from .events import MessageReceipt
from .events import ReactionEvent
from .events import TransientMessage
from .events import TypingIndicator
from .group import Group
from .group import GroupMember
from .interactive import Interaction
from .interactive import InteractionGoal
from .interactive import InteractionReceipt
from .interactive import InteractiveMessage
from .mentions import mention
from .messages import MEDIA_TYPES
from .messages import RECEIVER_TYPES
from .messages import Action
from .messages import Attachment
from .messages import BaseMessage
from .messages import Call
from .messages import CustomMessage
from .messages import MediaMessage
from .messages import TextMessage
from .moderation import FlagReason
from .moderation import ModerationStatus
from .user import User

__all__ = [
    "MEDIA_TYPES",
    "RECEIPT_TYPES",
    "RECEIVER_TYPES",
    "Action",
    "Attachment",
    "BaseMessage",
    "Call",
    "Conversation",
    "CustomMessage",
    "FlagReason",
    "Group",
    "GroupMember",
    "Interaction",
    "InteractionGoal",
    "InteractionReceipt",
    "InteractiveMessage",
    "MediaMessage",
    "MessageReceipt",
    "ModerationStatus",
    "Reaction",
    "ReactionCount",
    "ReactionEvent",
    "TextMessage",
    "TransientMessage",
    "TypingIndicator",
    "User",
    "mention",
]
