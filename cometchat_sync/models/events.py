"""Real-time event models: typing, receipts, transient messages, reactions.

The frames are those the official SDKs send and receive on the WebSocket (observed traffic).

Received events are built from the whole WebSocket frame (envelope + ``body``) with
``from_frame``, which never raises on missing or odd fields; the frame stays in ``raw``.
``TypingIndicator`` and ``TransientMessage`` are also built by the app to be sent; their
``to_send_json`` gives the frame without the envelope fields only the client knows
(``appId``, ``deviceId``, ``sender``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ._coerce import as_dict
from ._coerce import as_int
from ._coerce import as_mapping
from ._coerce import as_opt_int
from ._coerce import as_opt_str
from ._coerce import as_str
from .group import parse_user
from .user import User

__all__ = [
    "RECEIPT_TYPES",
    "MessageReceipt",
    "ReactionEvent",
    "TransientMessage",
    "TypingIndicator",
]

RECEIPT_TYPES = ("delivered", "read", "deliveredToAll", "readByAll")
_EMPTY: Mapping[str, Any] = {}


def _body(frame: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_mapping(frame.get("body")) or _EMPTY


def _frame_sender(frame: Mapping[str, Any], body: Mapping[str, Any]) -> Optional[User]:
    """``body.user`` as a User, else a bare User from the envelope's ``sender`` uid."""
    user = as_mapping(body.get("user"))
    if user is not None:
        return parse_user(user)
    uid = as_str(frame.get("sender"))
    return User(uid) if uid else None


class _Outgoing:
    """The envelope an event the app can also send carries: the conversation
    (``receiver_id``/``receiver_type``), who sent it (received events) and the whole frame
    (``raw``, received events)."""

    __slots__ = ("raw", "receiver_id", "receiver_type", "sender")

    def __init__(self, receiver_id: str, receiver_type: str) -> None:
        check.receiver(receiver_id, receiver_type)
        self.receiver_id = receiver_id
        self.receiver_type = receiver_type
        self.sender: Optional[User] = None
        self.raw: dict[str, Any] = {}

    def _read_envelope(self, frame: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        self.receiver_id = as_str(frame.get("receiver"))
        self.receiver_type = as_str(frame.get("receiverType"), "user")
        self.sender = _frame_sender(frame, body)
        self.raw = dict(frame)

    def _frame(
        self, frame_type: str, body: dict[str, Any], sender: Optional[User]
    ) -> dict[str, Any]:
        """The frame to send; ``sender`` (the logged-in user) becomes ``body.user``."""
        if sender is not None:
            body["user"] = sender.to_json()
        return {
            "type": frame_type,
            "receiver": self.receiver_id,
            "receiverType": self.receiver_type,
            "body": body,
        }

    def _repr_head(self) -> str:
        who = self.sender.uid if self.sender else None
        return (
            f"{type(self).__name__}(sender={who!r}, receiver_id={self.receiver_id!r}, "
            f"receiver_type={self.receiver_type!r}"
        )


class TypingIndicator(_Outgoing):
    """Someone typing: ``receiver_id``/``receiver_type`` is the conversation, ``sender`` who.

    Build one to send with ``TypingIndicator(receiver_id, receiver_type="user",
    metadata=None)``; received ones also carry :attr:`sender` and :attr:`action`
    (``"started"``/``"ended"``).
    """

    __slots__ = ("action", "metadata")

    def __init__(
        self,
        receiver_id: str,
        receiver_type: str = "user",
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(receiver_id, receiver_type)
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.action: Optional[str] = None

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> TypingIndicator:
        """Build from a ``typing_indicator`` frame; never raises on odd fields."""
        body = _body(frame)
        obj = cls.__new__(cls)
        obj._read_envelope(frame, body)
        obj.metadata = as_dict(body.get("metadata"))
        obj.action = as_opt_str(body.get("action"))
        return obj

    def to_send_json(
        self, action: str = "started", sender: Optional[User] = None
    ) -> dict[str, Any]:
        """The ``typing_indicator`` frame for ``action`` ``"started"`` or ``"ended"``.

        ``sender`` (the logged-in user) becomes ``body.user``; the client adds ``appId``,
        ``deviceId`` and ``sender`` to the envelope.
        """
        if action not in ("started", "ended"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"action must be 'started' or 'ended', not {str(action)[:40]!r}.",
            )
        body: dict[str, Any] = {"action": action}
        if self.metadata:
            body["metadata"] = dict(self.metadata)
        return self._frame("typing_indicator", body, sender)

    def __repr__(self) -> str:
        return f"{self._repr_head()}, action={self.action!r})"


class TransientMessage(_Outgoing):
    """A message that is relayed live and never stored (``transient_message`` frame).

    Build one to send with ``TransientMessage(receiver_id, receiver_type="user", data=None)``;
    received ones also carry :attr:`sender`.
    """

    __slots__ = ("data",)

    def __init__(
        self,
        receiver_id: str,
        receiver_type: str = "user",
        data: Optional[Mapping[str, Any]] = None,
    ) -> None:
        super().__init__(receiver_id, receiver_type)
        if data is not None and not isinstance(data, Mapping):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"data must be a mapping, not {type(data).__name__}.",
            )
        self.data: dict[str, Any] = dict(data or {})

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> TransientMessage:
        """Build from a ``transient_message`` frame; never raises on odd fields."""
        body = _body(frame)
        obj = cls.__new__(cls)
        obj._read_envelope(frame, body)
        obj.data = as_dict(body.get("data"))
        return obj

    def to_send_json(self, sender: Optional[User] = None) -> dict[str, Any]:
        """The ``transient_message`` frame; the client adds ``appId``/``deviceId``/``sender``."""
        return self._frame("transient_message", {"data": dict(self.data)}, sender)

    def __repr__(self) -> str:
        return f"{self._repr_head()}, keys={sorted(map(str, self.data))[:5]})"


class MessageReceipt:
    """A delivery or read receipt (``receipts`` frame).

    Attributes:
        message_id: the message the receipt is about (int).
        sender: the :class:`User` who received or read it (``body.user``).
        receiver_id, receiver_type: the frame's ``receiver``/``receiverType`` verbatim.
        receipt_type: ``"delivered"``, ``"read"``, ``"deliveredToAll"`` or ``"readByAll"``.
        timestamp: epoch seconds (``body.timestamp``).
        delivered_at, read_at: set from ``timestamp`` according to ``receipt_type`` (or from
            ``body.deliveredAt``/``readAt``).
        message_sender: uid of the message's author (envelope ``messageSender``), if given.
    """

    __slots__ = (
        "delivered_at",
        "message_id",
        "message_sender",
        "raw",
        "read_at",
        "receipt_type",
        "receiver_id",
        "receiver_type",
        "sender",
        "timestamp",
    )

    def __init__(
        self,
        message_id: int,
        receipt_type: str,
        *,
        sender: Optional[User] = None,
        receiver_id: str = "",
        receiver_type: str = "user",
        timestamp: Optional[int] = None,
        delivered_at: Optional[int] = None,
        read_at: Optional[int] = None,
        message_sender: Optional[str] = None,
        raw: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.message_id = message_id
        self.receipt_type = receipt_type
        self.sender = sender
        self.receiver_id = receiver_id
        self.receiver_type = receiver_type
        self.timestamp = timestamp
        self.delivered_at = delivered_at
        self.read_at = read_at
        self.message_sender = message_sender
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> MessageReceipt:
        """Build from a ``receipts`` frame; never raises on odd fields."""
        body = _body(frame)
        rtype = as_str(body.get("action"))
        timestamp = as_opt_int(body.get("timestamp"))
        delivered_at = as_opt_int(body.get("deliveredAt"))
        read_at = as_opt_int(body.get("readAt"))
        if rtype in ("delivered", "deliveredToAll") and delivered_at is None:
            delivered_at = timestamp
        elif rtype in ("read", "readByAll") and read_at is None:
            read_at = timestamp
        return cls(
            message_id=as_int(body.get("messageId")),
            receipt_type=rtype,
            sender=_frame_sender(frame, body),
            receiver_id=as_str(frame.get("receiver")),
            receiver_type=as_str(frame.get("receiverType"), "user"),
            timestamp=timestamp,
            delivered_at=delivered_at,
            read_at=read_at,
            message_sender=as_opt_str(frame.get("messageSender")),
            raw=frame,
        )

    def __repr__(self) -> str:
        who = self.sender.uid if self.sender else None
        return (
            f"MessageReceipt(receipt_type={self.receipt_type!r}, message_id={self.message_id}, "
            f"sender={who!r}, receiver_id={self.receiver_id!r})"
        )


class ReactionEvent:
    """A reaction added to or removed from a message (``reaction`` frame).

    Attributes:
        reaction: the reaction, e.g. an emoji.
        message_id: the message reacted to (int).
        uid: the reacting user's uid; ``reacted_by`` the :class:`User` (``body.reactedBy``).
        reacted_at: epoch seconds.
        conversation_id, parent_id: of the message reacted to.
        action: ``"message_reaction_added"`` or ``"message_reaction_removed"``.
        id: the reaction's own id (int, 0 if absent).
        receiver_id, receiver_type: the frame's envelope.
    """

    __slots__ = (
        "action",
        "conversation_id",
        "id",
        "message_id",
        "parent_id",
        "raw",
        "reacted_at",
        "reacted_by",
        "reaction",
        "receiver_id",
        "receiver_type",
        "uid",
    )

    def __init__(
        self,
        reaction: str,
        message_id: int,
        uid: str,
        *,
        reacted_by: Optional[User] = None,
        reacted_at: Optional[int] = None,
        conversation_id: Optional[str] = None,
        parent_id: Optional[int] = None,
        action: str = "message_reaction_added",
        id: int = 0,
        receiver_id: str = "",
        receiver_type: str = "user",
        raw: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.reaction = reaction
        self.message_id = message_id
        self.uid = uid
        self.reacted_by: User = reacted_by if reacted_by is not None else User(uid)
        self.reacted_at = reacted_at
        self.conversation_id = conversation_id
        self.parent_id = parent_id
        self.action = action
        self.id = id
        self.receiver_id = receiver_id
        self.receiver_type = receiver_type
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> ReactionEvent:
        """Build from a ``reaction`` frame; never raises on odd fields."""
        body = _body(frame)
        by = body.get("reactedBy")
        reacted_by = parse_user(by) if isinstance(by, Mapping) else None
        uid = as_str(body.get("uid"))
        if not uid:
            uid = reacted_by.uid if reacted_by is not None else as_str(by)
        if reacted_by is None and uid:
            reacted_by = User(uid)
        return cls(
            reaction=as_str(body.get("reaction")),
            message_id=as_int(body.get("messageId")),
            uid=uid,
            reacted_by=reacted_by,
            reacted_at=as_opt_int(body.get("reactedAt")),
            conversation_id=as_opt_str(body.get("conversationId")),
            parent_id=as_opt_int(body.get("parentId")) or None,
            action=as_str(body.get("action")),
            id=as_int(body.get("id")),
            receiver_id=as_str(frame.get("receiver")),
            receiver_type=as_str(frame.get("receiverType"), "user"),
            raw=frame,
        )

    def __repr__(self) -> str:
        return (
            f"ReactionEvent(action={self.action!r}, reaction={self.reaction!r}, "
            f"message_id={self.message_id}, uid={self.uid!r})"
        )
