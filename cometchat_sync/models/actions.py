"""System messages: :class:`Action` (edits, deletes, group-membership changes) and :class:`Call`.

The server makes both; :meth:`BaseMessage.from_json` builds them from categories ``action``
and ``call`` (https://www.cometchat.com/docs/sdk/reference/messages). Their entities (``by``,
``on``, ``for``) are parsed with the message, not on first access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional
from typing import Union

from ._coerce import as_mapping
from ._coerce import as_opt_int
from ._coerce import as_opt_str
from ._coerce import as_str
from .base_message import _EMPTY
from .base_message import _MAX_DEPTH
from .base_message import BaseMessage
from .base_message import _entity
from .base_message import _entity_object
from .base_message import register_message_classes
from .group import Group
from .user import User

__all__ = ["Action", "Call"]


def _user_or_none(value: Any) -> Optional[User]:
    return value if isinstance(value, User) else None


class Action(BaseMessage):
    """An action message: an edit, a delete or a group-membership change.

    Attributes:
        action: ``data.action`` — ``edited``, ``deleted``, ``joined``, ``left``, ``kicked``,
            ``banned``, ``unbanned``, ``scopeChanged``, ``added``, ...
        actioned_by: who did it (``data.entities.by``), a :class:`User` if present.
        actioned_on: what it was done to (``data.entities.on``): a :class:`User`, a
            :class:`Group` or a message.
        actioned_for: where (``data.entities.for``), usually the :class:`Group`.
        new_scope, old_scope: ``data.extras.scope.new/old`` for ``scopeChanged``.
        message: for ``edited``/``deleted``, the edited or deleted message (the ``on`` entity).
        text: the human description the server put in ``data.text``, if any.
    """

    __slots__ = (
        "action",
        "actioned_by",
        "actioned_for",
        "actioned_on",
        "message",
        "new_scope",
        "old_scope",
        "text",
    )

    def _load(self, d: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        data = super()._load(d, depth)
        self.action = as_str(data.get("action"))
        entities = as_mapping(data.get("entities")) or _EMPTY
        by, by_type = _entity(entities, "by")
        on, on_type = _entity(entities, "on")
        for_, for_type = _entity(entities, "for")
        self.actioned_by: Union[User, Group, BaseMessage, None] = _entity_object(by, by_type, depth)
        self.actioned_on: Union[User, Group, BaseMessage, None] = _entity_object(on, on_type, depth)
        self.actioned_for: Union[User, Group, BaseMessage, None] = _entity_object(
            for_, for_type, depth
        )
        self.message = self.actioned_on if isinstance(self.actioned_on, BaseMessage) else None
        extras = as_mapping(data.get("extras")) or _EMPTY
        scope = as_mapping(extras.get("scope")) or _EMPTY
        self.new_scope = as_opt_str(scope.get("new"))
        self.old_scope = as_opt_str(scope.get("old"))
        self.text = as_opt_str(data.get("text"))
        return data

    def _repr_extra(self) -> str:
        on = self.actioned_on
        if isinstance(on, BaseMessage):
            target = f"message {on.id}"
        elif isinstance(on, Group):
            target = f"group {on.guid}"
        elif isinstance(on, User):
            target = f"user {on.uid}"
        else:
            target = "?"
        return f", action={self.action!r}, on={target!r}"


class Call(BaseMessage):
    """A call message (category ``call``, type ``audio``/``video``).

    Every step of a call (initiated, accepted, rejected, ...) is one such message; the
    message's sender and ``data.entities.by`` are whoever made that step, while the call
    itself (``data.entities.on.entity``) names who started it and whom it is for in its own
    ``data.entities.sender``/``receiver``, which is where the official SDKs read the
    initiator and the receiver from (https://www.cometchat.com/docs/calls/v4/javascript/ringing,
    ``getCallInitiator()``/``getCallReceiver()``).

    Attributes:
        session_id: the call session (``data.entities.on.entity.sessionid``).
        status: ``initiated``, ``ongoing``, ``unanswered``, ``rejected``, ``busy``,
            ``cancelled`` or ``ended`` (the call entity's ``status``, else ``data.action``).
        action: ``data.action``.
        initiated_at, joined_at: epoch seconds, from the call entity.
        call_initiator: the user who started the call, a :class:`User` (the call entity's
            ``data.entities.sender``; for an ``initiated`` step without one, whoever made
            it), or ``None`` when the message does not say.
        call_receiver: whom the call is for, a :class:`User` or :class:`Group` (the call
            entity's ``data.entities.receiver``; for an ``initiated`` step without one,
            ``data.entities.for``), or ``None``.
    """

    __slots__ = (
        "action",
        "call_initiator",
        "call_receiver",
        "initiated_at",
        "joined_at",
        "session_id",
        "status",
    )

    def _load(self, d: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        data = super()._load(d, depth)
        entities = as_mapping(data.get("entities")) or _EMPTY
        on, _ = _entity(entities, "on")
        call = on if on is not None else _EMPTY
        session = call.get("sessionid")
        if session is None:
            session = call.get("sessionId")
        if session is None:
            session = d.get("sessionId")
        self.session_id = as_opt_str(session)
        self.action = as_str(data.get("action"))
        self.status = as_str(call.get("status")) or self.action
        self.initiated_at = as_opt_int(call.get("initiatedAt"))
        self.joined_at = as_opt_int(call.get("joinedAt"))
        call_data = as_mapping(call.get("data")) or _EMPTY
        parties = as_mapping(call_data.get("entities")) or _EMPTY
        initiator, initiator_type = _entity(parties, "sender")
        receiver, receiver_type = _entity(parties, "receiver")
        if initiator is None and self.status == "initiated":
            # The step that started the call was made by its initiator.
            initiator, initiator_type = _entity(entities, "by")
        if receiver is None and self.status == "initiated":
            receiver, receiver_type = _entity(entities, "for")
        self.call_initiator = _user_or_none(
            _entity_object(initiator, initiator_type or "user", _MAX_DEPTH)
        )
        found = _entity_object(receiver, receiver_type, _MAX_DEPTH)
        self.call_receiver: Union[User, Group, None] = (
            found if isinstance(found, (User, Group)) else None
        )
        return data

    @property
    def initiator_uid(self) -> Optional[str]:
        """The uid of :attr:`call_initiator`, or ``None`` when the message does not say."""
        return self.call_initiator.uid if self.call_initiator is not None else None

    def _repr_extra(self) -> str:
        return f", type={self.type!r}, session_id={self.session_id!r}, status={self.status!r}"


register_message_classes(action=Action, call=Call)
