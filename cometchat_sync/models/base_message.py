"""``BaseMessage``: the fields every message has, its entity helpers and its parsing factory.

:meth:`BaseMessage.from_json` picks the subclass from ``category``/``type`` (the categories and
types of https://www.cometchat.com/docs/sdk/reference/messages) and never raises on missing or
odd fields: whatever the SDK does not model stays in :attr:`BaseMessage.raw`. The subclasses
live in :mod:`.messages` (text, media, custom) and :mod:`.actions` (actions, calls).

Construction is kept cheap (``__slots__``, no copying beyond one shallow ``dict``): the receive
path builds one object per incoming message.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Optional
from typing import TypeVar
from typing import Union
from typing import cast

from .. import _validate as check
from .._validate import RECEIVER_TYPES
from ._coerce import as_dict
from ._coerce import as_int
from ._coerce import as_mapping
from ._coerce import as_opt_int
from ._coerce import as_opt_str
from ._coerce import as_str
from ._coerce import as_str_list
from .group import Group
from .group import parse_user
from .mentions import mentioned_users
from .moderation import ModerationStatus
from .moderation import moderation_status
from .user import User

__all__ = ["BaseMessage", "register_message_classes"]

#: How deep message entities nest (an action's ``on`` message, whose own ``on`` ...).
_MAX_DEPTH = 2
_EMPTY: Mapping[str, Any] = MappingProxyType({})

_M = TypeVar("_M", bound="BaseMessage")


# Marks a sender/receiver whose entity is to be found in ``raw`` on first access.
_FROM_RAW: tuple[Mapping[str, Any], str] = (MappingProxyType({}), "raw")


def _entities(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_mapping(data.get("entities")) or _EMPTY


def _metadata(d: Mapping[str, Any]) -> dict[str, Any]:
    data = as_mapping(d.get("data")) or _EMPTY
    metadata = data.get("metadata")
    return as_dict(d.get("metadata") if metadata is None else metadata)


# Message fields few listeners read: parsed from ``raw`` on first access, not per frame
# (building every field eagerly cost more than ``json.loads`` of the frame).
_LAZY_FIELDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "muid": lambda d: as_opt_str(d.get("muid")),
    "metadata": _metadata,
    "sent_at": lambda d: as_opt_int(d.get("sentAt")),
    "updated_at": lambda d: as_opt_int(d.get("updatedAt")),
    "delivered_at": lambda d: as_opt_int(d.get("deliveredAt")),
    "read_at": lambda d: as_opt_int(d.get("readAt")),
    "edited_at": lambda d: as_opt_int(d.get("editedAt")),
    "edited_by": lambda d: as_opt_str(d.get("editedBy")),
    "deleted_at": lambda d: as_opt_int(d.get("deletedAt")),
    "deleted_by": lambda d: as_opt_str(d.get("deletedBy")),
    "parent_id": lambda d: as_opt_int(d.get("parentId")) or None,
    "reply_count": lambda d: as_int(d.get("replyCount")),
    "tags": lambda d: as_str_list(d.get("tags")),
    "mentioned_users": mentioned_users,
    "has_mentioned_me": lambda d: False,  # the SDK sets it when it knows who "me" is
    "moderation_status": moderation_status,
    "pinned_at": lambda d: as_opt_int(d.get("pinnedAt")),
    "pinned_by": lambda d: as_opt_str(d.get("pinnedBy")),
    "saved_at": lambda d: as_opt_int(d.get("savedAt")),
}


def _entity(entities: Mapping[str, Any], key: str) -> tuple[Optional[Mapping[str, Any]], str]:
    """``(entity, entityType)`` of ``data.entities[key]``, or ``(None, "")``."""
    wrapper = as_mapping(entities.get(key))
    if wrapper is None:
        return None, ""
    entity = as_mapping(wrapper.get("entity"))
    if entity is None:
        return None, ""
    etype = wrapper.get("entityType")
    return entity, etype if isinstance(etype, str) else ""


def _entity_object(
    entity: Optional[Mapping[str, Any]], etype: str, depth: int
) -> Union[User, Group, BaseMessage, None]:
    """The model for one entity: a User, a Group or (bounded depth) a message."""
    if entity is None:
        return None
    if not etype:  # guess from the shape
        if "guid" in entity:
            etype = "group"
        elif "category" in entity:
            etype = "message"
        elif "uid" in entity:
            etype = "user"
    if etype == "user":
        return parse_user(entity)
    if etype == "group":
        return Group.from_json(entity)
    if etype == "message" and depth < _MAX_DEPTH:
        return _message_from_json(entity, depth + 1)
    return None


class BaseMessage:
    """Fields common to every message.

    Attributes (wire name in brackets):
        id: the server's message id as an int (``"id"``, sent as a string; ``0`` before the
            message was sent or when the wire gave none).
        muid: the client-chosen unique id (``muid``), if any.
        conversation_id: ``conversationId``, e.g. ``"a_user_b"`` or ``"group_g1"``.
        sender: the sender as a :class:`User` (``data.entities.sender.entity``), if present.
        sender_uid: the sender's uid (``sender``).
        receiver_uid: the receiver's uid or guid (``receiver``); also ``receiver_id``.
        receiver: the receiver as a :class:`User` or :class:`Group`, if present.
        receiver_type: ``"user"`` or ``"group"``.
        category, type: e.g. ``"message"``/``"text"``, ``"action"``/``"groupMember"``.
        metadata: ``data.metadata`` (a dict, possibly empty).
        sent_at, updated_at, delivered_at, read_at, edited_at, deleted_at: epoch seconds.
        edited_by, deleted_by: uids.
        parent_id: the thread's parent message id, or ``None``.
        reply_count: number of thread replies.
        tags: list of strings.
        mentioned_users: the users the text mentions (``data.mentions``), a list of
            :class:`User` (https://www.cometchat.com/docs/sdk/javascript/mentions).
        has_mentioned_me: whether it mentions the logged-in user (set for the messages the
            SDK delivers to listeners; ``False`` elsewhere).
        moderation_status: a :class:`~cometchat_sync.models.ModerationStatus` from
            ``data.moderation.status`` (``UNMODERATED`` without one;
            https://www.cometchat.com/docs/sdk/javascript/ai-moderation).
        pinned_at, pinned_by: when (epoch seconds) and by whom (a uid) the message was
            pinned to its conversation, or ``None``; saved_at: when the logged-in user saved
            it, or ``None`` (https://www.cometchat.com/docs/sdk/javascript/pin-message).
        raw: the whole wire JSON object (unknown fields included).
    """

    __slots__ = (
        "_receiver",
        "_receiver_src",
        "_sender",
        "_sender_src",
        "category",
        "conversation_id",
        "deleted_at",
        "deleted_by",
        "delivered_at",
        "edited_at",
        "edited_by",
        "has_mentioned_me",
        "id",
        "mentioned_users",
        "metadata",
        "moderation_status",
        "muid",
        "parent_id",
        "pinned_at",
        "pinned_by",
        "raw",
        "read_at",
        "receiver_type",
        "receiver_uid",
        "reply_count",
        "saved_at",
        "sender_uid",
        "sent_at",
        "tags",
        "type",
        "updated_at",
    )

    # Parsed on first access from ``raw`` (see ``_LAZY_FIELDS``).
    muid: Optional[str]
    metadata: dict[str, Any]
    sent_at: Optional[int]
    updated_at: Optional[int]
    delivered_at: Optional[int]
    read_at: Optional[int]
    edited_at: Optional[int]
    edited_by: Optional[str]
    deleted_at: Optional[int]
    deleted_by: Optional[str]
    parent_id: Optional[int]
    reply_count: int
    tags: list[str]
    mentioned_users: list[User]
    has_mentioned_me: bool
    moderation_status: ModerationStatus
    pinned_at: Optional[int]
    pinned_by: Optional[str]
    saved_at: Optional[int]

    def __init__(
        self,
        receiver_id: str,
        receiver_type: str = "user",
        *,
        category: str = "",
        type: str = "",
        metadata: Optional[Mapping[str, Any]] = None,
        tags: Optional[list[str]] = None,
        muid: Optional[str] = None,
        parent_id: Optional[int] = None,
    ) -> None:
        check.receiver(receiver_id, receiver_type)
        self._load(_EMPTY, 0)
        self.receiver_uid = receiver_id
        self.receiver_type = receiver_type
        self.category = category
        self.type = type
        self.metadata = dict(metadata or {})
        self.tags = list(tags or [])
        self.muid = muid
        self.parent_id = parent_id

    # -- parsing -------------------------------------------------------------------------

    @classmethod
    def from_json(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Build a message from its wire JSON; never raises on missing or odd fields.

        Called on ``BaseMessage`` it picks the subclass: category ``message`` + type ``text``
        → :class:`TextMessage`; category ``custom`` or type ``custom`` → :class:`CustomMessage`;
        other ``message`` types → :class:`MediaMessage`; ``action`` → :class:`Action`;
        ``call`` → :class:`Call`; anything else → :class:`BaseMessage`. Called on a subclass it
        builds that subclass.
        """
        if cls is BaseMessage:
            return cast(_M, _message_from_json(data, 0))
        obj = cls.__new__(cls)
        obj._load(data, 0)
        return obj

    def _load(self, d: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        """Fill every slot from the wire JSON ``d``; returns ``d["data"]`` (or ``{}``)."""
        # Each field's usual wire type is taken as is, inline (one message per frame: the
        # converters' calls cost more than the rest); anything else goes through them.
        data = d.get("data")
        if type(data) is not dict or not data:
            data = as_mapping(data) or _EMPTY
        mid = d.get("id")  # a decimal string on the wire
        if type(mid) is str and len(mid) < 19 and mid.isdecimal():  # below 10**18
            self.id = int(mid)
        else:
            self.id = as_int(mid)
        conversation_id = d.get("conversationId")
        if type(conversation_id) is str:
            self.conversation_id: Optional[str] = conversation_id
        else:
            self.conversation_id = as_opt_str(conversation_id)

        # The sender and receiver objects are built lazily, on first access (see the
        # properties). The usual wire shape names both by id: then even their entities are
        # looked up only on access (_FROM_RAW).
        sender = d.get("sender")
        if type(sender) is str and sender:
            self.sender_uid = sender
            self._sender_src: Optional[tuple[Mapping[str, Any], str]] = _FROM_RAW
        else:
            self._load_sender(sender, data)
        self._sender: Optional[User] = None

        receiver, receiver_type = d.get("receiver"), d.get("receiverType")
        if type(receiver) is str and receiver and receiver_type in RECEIVER_TYPES:
            self.receiver_uid = receiver
            self.receiver_type = receiver_type
            self._receiver_src: Optional[tuple[Mapping[str, Any], str]] = _FROM_RAW
        else:
            self._load_receiver(receiver, receiver_type, data)
        self._receiver: Union[User, Group, None] = None

        category, mtype = d.get("category"), d.get("type")
        self.category = category if type(category) is str else as_str(category)
        self.type = mtype if type(mtype) is str else as_str(mtype)
        # The parsed frame belongs to this message alone: keep it rather than copy it. The
        # fields of _LAZY_FIELDS are parsed from it on first access (see __getattr__).
        self.raw: dict[str, Any] = d if type(d) is dict else dict(d)
        return data

    def _load_sender(self, sender: Any, data: Mapping[str, Any]) -> None:
        sender_json = as_mapping(sender)
        if sender_json is not None:  # some payloads inline the user object
            self.sender_uid = as_str(sender_json.get("uid"))
            self._sender_src = (sender_json, "user")
            return
        entity, _ = _entity(_entities(data), "sender")
        uid = as_str(sender)
        if not uid and entity is not None:
            uid = as_str(entity.get("uid"))
        self.sender_uid = uid
        self._sender_src = (entity, "user") if entity is not None else None

    def _load_receiver(self, receiver: Any, receiver_type: Any, data: Mapping[str, Any]) -> None:
        receiver_json = as_mapping(receiver)
        if receiver_json is not None:
            entity: Optional[Mapping[str, Any]] = receiver_json
            etype = ""
            self.receiver_uid = ""
        else:
            entity, etype = _entity(_entities(data), "receiver")
            self.receiver_uid = as_str(receiver)
        if entity is not None:
            if not etype:
                etype = "group" if "guid" in entity else "user"
            if not self.receiver_uid:
                self.receiver_uid = as_str(entity.get("guid" if etype == "group" else "uid"))
            self._receiver_src = (entity, etype)
        else:
            self._receiver_src = None
        self.receiver_type = as_str(receiver_type, "group" if etype == "group" else "user")

    def _entity_source(self, key: str) -> Optional[tuple[Mapping[str, Any], str]]:
        """The entity ``key`` of ``raw``'s ``data.entities``, for a lazily built object."""
        entity, etype = _entity(_entities(as_mapping(self.raw.get("data")) or _EMPTY), key)
        if entity is None:
            return None
        if key == "receiver":
            etype = etype or ("group" if self.receiver_type == "group" else "user")
        return entity, etype or "user"

    if not TYPE_CHECKING:  # at run time only, so type checkers still catch attribute typos

        def __getattr__(self, name: str) -> Any:
            """Parse a field of :data:`_LAZY_FIELDS` from :attr:`raw` on first access."""
            parse = _LAZY_FIELDS.get(name)
            if parse is None or name == "raw":
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            value = parse(self.raw)
            setattr(self, name, value)
            return value

    # -- lazily built entities -----------------------------------------------------------

    @property
    def sender(self) -> Optional[User]:
        """The sender as a :class:`User` (built on first access), or ``None``."""
        src = self._sender_src
        if src is _FROM_RAW:
            src = self._entity_source("sender")
        if src is not None:  # build, then publish: a racing reader at worst builds it twice
            self._sender = parse_user(src[0])
        self._sender_src = None
        return self._sender

    @sender.setter
    def sender(self, value: Optional[User]) -> None:
        self._sender_src = None
        self._sender = value

    @property
    def receiver(self) -> Union[User, Group, None]:
        """The receiver as a :class:`User` or :class:`Group` (built on first access)."""
        src = self._receiver_src
        if src is _FROM_RAW:
            src = self._entity_source("receiver")
        if src is not None:
            obj = _entity_object(src[0], src[1], _MAX_DEPTH)  # never a message here
            self._receiver = obj if isinstance(obj, (User, Group)) else None
        self._receiver_src = None
        return self._receiver

    @receiver.setter
    def receiver(self, value: Union[User, Group, None]) -> None:
        self._receiver_src = None
        self._receiver = value

    # -- convenience ---------------------------------------------------------------------

    @property
    def receiver_id(self) -> str:
        """Alias of :attr:`receiver_uid` (the official SDKs' ``receiverId``)."""
        return self.receiver_uid

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    # -- sending -------------------------------------------------------------------------

    def _send_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        return data

    def to_send_json(self) -> dict[str, Any]:
        """The body of ``POST messages``.

        ``{"receiver", "receiverType", "category", "type", "data": {...}}`` plus ``text``,
        ``muid``, ``tags`` and ``parentId`` when set (the shape of
        https://www.cometchat.com/docs/rest-api/messages/send-message). Set :attr:`muid`
        before sending to let the SDK match the server's copy to this object.
        """
        out: dict[str, Any] = {
            "receiver": self.receiver_uid,
            "receiverType": self.receiver_type,
            "category": self.category,
            "type": self.type,
            "data": self._send_data(),
        }
        if self.muid:
            out["muid"] = self.muid
        if self.tags:
            out["tags"] = list(self.tags)
        if self.parent_id:
            out["parentId"] = self.parent_id
        return out

    def _repr_extra(self) -> str:
        return f", category={self.category!r}, type={self.type!r}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id}, sender={self.sender_uid!r}, "
            f"receiver={self.receiver_uid!r}, receiver_type={self.receiver_type!r}"
            f"{self._repr_extra()})"
        )


# -- the factory ------------------------------------------------------------------------------
#
# The factory needs the subclasses and the subclasses need ``BaseMessage``, so this module can't
# import them. Instead the subclass modules (``messages`` and ``actions``) register their classes
# here when they are imported, and ``cometchat_sync.models`` imports both: any import of a model
# runs that package ``__init__`` first, so the table is full before a message can be parsed. A
# registration table keeps the receive path free of function-level imports (one dict lookup per
# message), and keeps this module free of the import-at-the-bottom trick.

#: The class built for each kind of message, by role: ``text``, ``media``, ``custom``,
#: ``action`` and ``call``.
_CLASSES: dict[str, type[BaseMessage]] = {}
_ROLES = frozenset(("text", "media", "custom", "action", "call", "interactive"))


def register_message_classes(**classes: type[BaseMessage]) -> None:
    """Name the subclass :meth:`BaseMessage.from_json` builds for a role (see ``_CLASSES``)."""
    unknown = classes.keys() - _ROLES
    if unknown:
        raise ValueError(f"unknown message roles: {sorted(unknown)}")
    _CLASSES.update(classes)


def _message_class(data: Mapping[str, Any]) -> type[BaseMessage]:
    category = data.get("category")
    mtype = data.get("type")
    if category == "message":
        if mtype == "text":
            return _CLASSES["text"]
        if mtype == "custom":
            return _CLASSES["custom"]
        if isinstance(mtype, str) and mtype:
            return _CLASSES["media"]
        return BaseMessage
    if category == "custom":
        return _CLASSES["custom"]
    if category == "action":
        return _CLASSES["action"]
    if category == "call":
        return _CLASSES["call"]
    if category == "interactive":
        return _CLASSES["interactive"]
    return BaseMessage


def _message_from_json(data: Mapping[str, Any], depth: int) -> BaseMessage:
    cls = _message_class(data)
    obj = cls.__new__(cls)
    obj._load(data, depth)
    return obj
