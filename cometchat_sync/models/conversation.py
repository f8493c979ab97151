"""The ``Conversation``, ``Reaction`` and ``ReactionCount`` models.

A conversation is one entry of the logged-in user's "recent chats": who it is with, its last
message, how many messages are unread and its tags (the conversation JSON of
https://www.cometchat.com/docs/rest-api/conversations and the ``Conversation`` class of
https://www.cometchat.com/docs/sdk/javascript/retrieve-conversations). A reaction is one
user's reaction to a message and a reaction count sums one reaction over a message
(https://www.cometchat.com/docs/sdk/javascript/reactions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional
from typing import Union

from ._coerce import as_bool
from ._coerce import as_int
from ._coerce import as_mapping
from ._coerce import as_opt_int
from ._coerce import as_str
from ._coerce import as_str_list
from .base_message import BaseMessage
from .group import Group
from .group import parse_user
from .user import User

__all__ = ["Conversation", "Reaction", "ReactionCount"]


class Conversation:
    """One conversation of the logged-in user, with a user or a group.

    Built from the wire JSON with :meth:`from_json`; the whole object stays in :attr:`raw`.

    Attributes (wire name in brackets):
        conversation_id: ``conversationId``, e.g. ``"superhero1_user_superhero2"`` or
            ``"group_g1"``.
        conversation_type: ``"user"`` or ``"group"`` (``conversationType``).
        conversation_with: the other :class:`User`, or the :class:`Group`
            (``conversationWith``).
        last_message: the latest message, typed by its category and type, or ``None`` (a
            deleted last message, or a group with no messages yet) (``lastMessage``).
        unread_message_count: messages the logged-in user has not read (int).
        unread_mentions_count: unread messages that mention the logged-in user (int).
        last_read_message_id, latest_message_id: message ids (int, 0 when absent).
        tags: the logged-in user's tags of this conversation (strings).
        updated_at: epoch seconds of the last change, when the server sends it.
        raw: the wire JSON.
    """

    __slots__ = (
        "conversation_id",
        "conversation_type",
        "conversation_with",
        "last_message",
        "last_read_message_id",
        "latest_message_id",
        "raw",
        "tags",
        "unread_mentions_count",
        "unread_message_count",
        "updated_at",
    )

    def __init__(
        self,
        conversation_id: str,
        conversation_type: str,
        conversation_with: Union[User, Group],
        *,
        last_message: Optional[BaseMessage] = None,
        unread_message_count: int = 0,
        unread_mentions_count: int = 0,
        last_read_message_id: int = 0,
        latest_message_id: int = 0,
        tags: Optional[list[str]] = None,
        updated_at: Optional[int] = None,
        raw: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.conversation_id = conversation_id
        self.conversation_type = conversation_type
        self.conversation_with = conversation_with
        self.last_message = last_message
        self.unread_message_count = unread_message_count
        self.unread_mentions_count = unread_mentions_count
        self.last_read_message_id = last_read_message_id
        self.latest_message_id = latest_message_id
        self.tags: list[str] = list(tags or [])
        self.updated_at = updated_at
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Conversation:
        """Build a conversation from its wire JSON; never raises on missing or odd fields."""
        ctype = as_str(data.get("conversationType"), "user")
        with_json = as_mapping(data.get("conversationWith")) or {}
        conversation_with: Union[User, Group]
        if ctype == "group":
            conversation_with = Group.from_json(with_json)
        else:
            conversation_with = parse_user(with_json)
        last = as_mapping(data.get("lastMessage"))
        last_message = BaseMessage.from_json(last) if last and last.get("id") else None
        return cls(
            conversation_id=as_str(data.get("conversationId")),
            conversation_type=ctype,
            conversation_with=conversation_with,
            last_message=last_message,
            unread_message_count=as_int(data.get("unreadMessageCount")),
            unread_mentions_count=as_int(data.get("unreadMentionsCount")),
            last_read_message_id=as_int(data.get("lastReadMessageId")),
            latest_message_id=as_int(data.get("latestMessageId")),
            tags=as_str_list(data.get("tags")),
            updated_at=as_opt_int(data.get("updatedAt")),
            raw=data,
        )

    @property
    def conversation_with_id(self) -> str:
        """The other user's uid, or the group's guid."""
        other = self.conversation_with
        return other.guid if isinstance(other, Group) else other.uid

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conversation):
            return NotImplemented
        return self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Conversation(conversation_id={self.conversation_id!r}, "
            f"with={self.conversation_with_id!r}, unread={self.unread_message_count})"
        )


class ReactionCount:
    """How many users reacted to a message with one reaction, and whether the logged-in user
    is one of them (an entry of a message's ``reactions`` list).

    Attributes:
        reaction: the reaction, e.g. an emoji.
        count: how many users reacted with it (int).
        reacted_by_me: whether the logged-in user did (``reactedByMe``).
    """

    __slots__ = ("count", "reacted_by_me", "reaction")

    def __init__(self, reaction: str, count: int, reacted_by_me: bool = False) -> None:
        self.reaction = reaction
        self.count = count
        self.reacted_by_me = reacted_by_me

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReactionCount:
        """Build from ``{"reaction", "count", "reactedByMe"}``; never raises."""
        return cls(
            as_str(data.get("reaction")),
            as_int(data.get("count")),
            as_bool(data.get("reactedByMe")),
        )

    @classmethod
    def of_message(cls, message: BaseMessage) -> list[ReactionCount]:
        """The reaction counts a fetched message carries, in wire order: its
        ``data.reactions``, where the official SDKs read them, else a top-level
        ``reactions``."""
        data = message.raw.get("data")
        items = data.get("reactions") if isinstance(data, Mapping) else None
        if items is None:
            items = message.raw.get("reactions")
        if not isinstance(items, list):
            return []
        return [cls.from_json(item) for item in items if isinstance(item, Mapping)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReactionCount):
            return NotImplemented
        return (self.reaction, self.count, self.reacted_by_me) == (
            other.reaction,
            other.count,
            other.reacted_by_me,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ReactionCount(reaction={self.reaction!r}, count={self.count}, "
            f"reacted_by_me={self.reacted_by_me})"
        )


class Reaction:
    """One user's reaction to a message, as the reactions list returns it.

    Attributes:
        id: the reaction's id (int).
        message_id: the message reacted to (int).
        reaction: the reaction, e.g. an emoji.
        uid: the reacting user's uid; ``reacted_by`` the :class:`User` (``reactedBy``).
        reacted_at: epoch seconds.
        raw: the wire JSON.
    """

    __slots__ = ("id", "message_id", "raw", "reacted_at", "reacted_by", "reaction", "uid")

    def __init__(
        self,
        id: int,
        message_id: int,
        reaction: str,
        uid: str,
        *,
        reacted_at: Optional[int] = None,
        reacted_by: Optional[User] = None,
        raw: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.id = id
        self.message_id = message_id
        self.reaction = reaction
        self.uid = uid
        self.reacted_at = reacted_at
        self.reacted_by: User = reacted_by if reacted_by is not None else User(uid)
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reaction:
        """Build from the wire JSON of one reaction; never raises."""
        by = as_mapping(data.get("reactedBy"))
        reacted_by = parse_user(by) if by is not None else None
        uid = as_str(data.get("uid")) or (reacted_by.uid if reacted_by is not None else "")
        return cls(
            id=as_int(data.get("id")),
            message_id=as_int(data.get("messageId")),
            reaction=as_str(data.get("reaction")),
            uid=uid,
            reacted_at=as_opt_int(data.get("reactedAt")),
            reacted_by=reacted_by,
            raw=data,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reaction):
            return NotImplemented
        return self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Reaction(id={self.id}, message_id={self.message_id}, reaction={self.reaction!r}, "
            f"uid={self.uid!r})"
        )
