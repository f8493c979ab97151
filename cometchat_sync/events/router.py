"""The frame router: one incoming WebSocket frame in, the listener calls it means out.

Pure code: no threads, no I/O, no state. The reader thread calls :func:`route` on every parsed
frame and hands the returned :class:`Event` objects to the dispatcher, which calls
``getattr(listener, event.method)(*event.args)`` on every registered listener of the family
``event.listener_type`` (one of :data:`FAMILIES`).

Rules (``docs/protocol.md``, from the official SDKs' listener docs:
https://www.cometchat.com/docs/sdk/javascript/all-real-time-listeners):

* A frame whose top-level ``deviceId`` equals our own resource is an echo of something this
  session did and is dropped, except ``auth`` and ``on_moderation_status_changed`` frames.
* ``message`` frames route by the message's category/type: text, media and custom messages to
  the message family; ``edited``/``deleted`` actions to ``on_message_edited``/``deleted`` with
  the edited/deleted message; group-member actions to the group family; calls to the call
  family by call status.
* A ``custom`` message of type ``text`` is a text message (the official SDKs route by type
  first). Calls route by status and by whether this user started the call (the call's
  initiator): ``unanswered`` is the caller's ``on_outgoing_call_rejected`` and the callee's
  ``on_incoming_call_cancelled``; in a group call, ``ongoing``/``rejected``/``busy`` reach only
  the initiator.
* ``typing_indicator``, ``receipts``, ``transient_message`` and ``reaction`` go to the message
  family; ``presence`` to the user family.
* ``interactive`` messages go to ``on_interactive_message_received``;
  ``interaction_completed`` to ``on_interaction_goal_completed``;
  ``on_moderation_status_changed`` (delivered even from our own device) to
  ``on_message_moderated``. A message that mentions the logged-in user has
  ``has_mentioned_me`` set.
* ``message_pin_save`` frames (and the older message pin and save types) go to
  ``on_message_pinned``/``unpinned``/``saved``/``unsaved`` by ``body.action`` (else the frame
  type), with the message of ``body.message``.
* What the official SDKs deliver but this SDK does not model yet — the frame types of
  :data:`UNMODELLED_TYPES` (AI streams, the notification feed, conversation pins) and
  ``message`` frames of other categories (``agentic``, ``card``, ...) — goes, as it came, to
  ``MessageListener.on_unhandled_event``.
* Anything else — unknown frame types, unknown actions, wrong shapes — gives ``[]`` and one
  DEBUG record on the ``cometchat_sync.events.router`` logger naming only the frame type and the
  reason, never the payload. :func:`route` never raises on any input.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from typing import Callable
from typing import NamedTuple
from typing import Optional

from ..listeners import CallListener
from ..listeners import GroupListener
from ..listeners import MessageListener
from ..listeners import UserListener
from ..listeners import _family_of
from ..listeners import _Listener
from ..models._coerce import as_mapping
from ..models._coerce import as_opt_int
from ..models._coerce import as_str
from ..models.events import MessageReceipt
from ..models.events import ReactionEvent
from ..models.events import TransientMessage
from ..models.events import TypingIndicator
from ..models.group import Group
from ..models.group import parse_user
from ..models.interactive import InteractionReceipt
from ..models.interactive import InteractiveMessage
from ..models.mentions import mentioned_uids
from ..models.messages import Action
from ..models.messages import BaseMessage
from ..models.messages import Call
from ..models.messages import CustomMessage
from ..models.messages import MediaMessage
from ..models.messages import TextMessage
from ..models.user import User

__all__ = ["ECHO_EXEMPT_TYPES", "FAMILIES", "PIN_SAVE_TYPES", "UNMODELLED_TYPES", "Event", "route"]

log = logging.getLogger(__name__)

FAMILIES: tuple[type[_Listener], ...] = (MessageListener, UserListener, GroupListener, CallListener)
"""The listener families a frame can address; delivery keeps one registry per family."""

#: Frame types delivered even when they carry our own ``deviceId``.
ECHO_EXEMPT_TYPES = frozenset({"auth", "on_moderation_status_changed"})

ListenerMethod = Callable[..., None]
"""An event method of a listener family, unbound: ``MessageListener.on_text_message_received``."""


class Event(NamedTuple):
    """One listener call: ``getattr(listener, method)(*args)`` on each listener of the family
    ``listener_type``.

    ``message`` is the message a ``message`` frame carried (the :class:`Action` itself for
    edits, deletes and group actions; the :class:`Call` for calls), so delivery can track
    the last delivered message id per conversation; ``None`` for every other frame type.
    """

    listener_type: type[_Listener]
    method: str
    args: tuple[Any, ...]
    message: Optional[BaseMessage] = None


_new_event = tuple.__new__  # ``Event(...)`` without NamedTuple's Python-level ``__new__``


def _event(
    method: ListenerMethod, args: tuple[Any, ...], message: Optional[BaseMessage] = None
) -> list[Event]:
    """The one event calling ``method`` (a family's unbound method) with ``args``."""
    return [_new_event(Event, (_family_of(method), method.__name__, args, message))]


# -- logging -------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    """A short, payload-free name for a frame ``type`` value."""
    if isinstance(value, str):
        return repr(value[:40])
    return f"<{type(value).__name__}>"


def _drop(ftype: Any, reason: str) -> list[Event]:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("dropped %s frame: %s", _type_name(ftype), reason)
    return []


# -- message frames ------------------------------------------------------------------------

_CALL_METHODS: dict[str, ListenerMethod] = {
    "initiated": CallListener.on_incoming_call_received,
    "ongoing": CallListener.on_outgoing_call_accepted,
    "rejected": CallListener.on_outgoing_call_rejected,
    "busy": CallListener.on_outgoing_call_rejected,
    "cancelled": CallListener.on_incoming_call_cancelled,
    "unanswered": CallListener.on_incoming_call_cancelled,
    "ended": CallListener.on_call_ended_message_received,
}
# Answers to a call: in a group call only its initiator hears them.
_ANSWER_STATUSES = frozenset({"ongoing", "rejected", "busy"})

_BY_ON_FOR_METHODS: dict[str, ListenerMethod] = {
    "kicked": GroupListener.on_group_member_kicked,
    "banned": GroupListener.on_group_member_banned,
    "unbanned": GroupListener.on_group_member_unbanned,
    "added": GroupListener.on_member_added_to_group,
}


def _as_user(value: Any) -> Optional[User]:
    return value if isinstance(value, User) else None


def _route_action(msg: Action) -> list[Event]:
    action = msg.action
    if action in ("edited", "deleted"):
        target = msg.message
        if target is None:
            return _drop("message", f"{action} action without a message entity")
        method = (
            MessageListener.on_message_edited
            if action == "edited"
            else MessageListener.on_message_deleted
        )
        return _event(method, (target,), msg)

    group = msg.actioned_for
    if not isinstance(group, Group):
        if action in ("joined", "invited", "left", "scopeChanged", *_BY_ON_FOR_METHODS):
            return _drop("message", f"{action} action without a group entity")
        return _drop("message", "unknown action")
    by = _as_user(msg.actioned_by)
    on = _as_user(msg.actioned_on)

    if action in ("joined", "invited", "left"):
        user = by or on
        if user is None:
            return _drop("message", f"{action} action without a user entity")
        joined_or_left: ListenerMethod = (
            GroupListener.on_group_member_left
            if action == "left"
            else GroupListener.on_group_member_joined
        )
        return _event(joined_or_left, (msg, user, group), msg)

    by_on_for = _BY_ON_FOR_METHODS.get(action)
    if by_on_for is not None:
        if on is None or by is None:
            return _drop("message", f"{action} action without by/on user entities")
        return _event(by_on_for, (msg, on, by, group), msg)

    if action == "scopeChanged":
        if on is None or msg.new_scope is None:
            return _drop("message", "scopeChanged action without user or new scope")
        args = (msg, on, msg.new_scope, msg.old_scope or "", group)
        return _event(GroupListener.on_group_member_scope_changed, args, msg)

    return _drop("message", "unknown action")


def _route_call(msg: Call, own_uid: Optional[str]) -> list[Event]:
    method = _CALL_METHODS.get(msg.status)
    if method is None:
        return _drop("message", "unknown call status")
    initiator = msg.initiator_uid
    mine: Optional[bool] = None  # unknown without our uid or the call's initiator
    if own_uid and initiator:
        mine = initiator == own_uid
    if msg.status == "initiated" and mine and msg.receiver_type == "group":
        return _drop("message", "own group call")
    if msg.status in _ANSWER_STATUSES and mine is False and msg.receiver_type == "group":
        return _drop("message", "answer to a group call this user did not start")
    if msg.status == "unanswered" and mine:
        # Nobody answered the caller: their outgoing call failed, as a rejection does.
        method = CallListener.on_outgoing_call_rejected
    return _event(method, (msg,), msg)


def _mentions_me(msg: BaseMessage, body: Mapping[str, Any], own_uid: str) -> None:
    """Set ``has_mentioned_me`` when ``body`` mentions anyone (``data.mentions``), without
    building the mentioned users (they stay lazy: most listeners never read them)."""
    data = body.get("data")
    if type(data) is not dict:
        data = as_mapping(data)
        if data is None:
            return
    mentions = data.get("mentions")
    if mentions and as_mapping(mentions):
        msg.has_mentioned_me = own_uid in mentioned_uids(body)


def _route_message(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    body = frame.get("body")
    if type(body) is not dict:
        body = as_mapping(body)
        if body is None:
            return _drop("message", "body is not an object")
    category, mtype = body.get("category"), body.get("type")
    if mtype == "text":
        if category == "message":  # the common frame: straight to the model and the event
            text = TextMessage.__new__(TextMessage)  # what BaseMessage.from_json builds
            data = text._load(body, 0)  # body["data"], or an empty mapping
            if own_uid and data.get("mentions"):
                _mentions_me(text, body, own_uid)
            return [_new_event(Event, (MessageListener, _ON_TEXT, (text,), text))]
        if category == "custom":
            # The official SDKs route by type before category: to the text listener (they
            # pass the custom message; a TextMessage, whose category stays "custom", keeps
            # ``text``).
            text = TextMessage.from_json(body)
            return _event(MessageListener.on_text_message_received, (text,), text)
    msg = BaseMessage.from_json(body)
    if own_uid:
        _mentions_me(msg, body, own_uid)
    if isinstance(msg, InteractiveMessage):
        return _event(MessageListener.on_interactive_message_received, (msg,), msg)
    if isinstance(msg, TextMessage):
        return _event(MessageListener.on_text_message_received, (msg,), msg)
    if isinstance(msg, MediaMessage):
        return _event(MessageListener.on_media_message_received, (msg,), msg)
    if isinstance(msg, CustomMessage):
        return _event(MessageListener.on_custom_message_received, (msg,), msg)
    if isinstance(msg, Action):
        return _route_action(msg)
    if isinstance(msg, Call):
        return _route_call(msg, own_uid)
    if msg.category:  # interactive, agentic, card, ...: not modelled, still delivered
        return _event(MessageListener.on_unhandled_event, (dict(frame),), msg)
    return _drop("message", "no listener for this message category")


_ON_TEXT = MessageListener.on_text_message_received.__name__


# -- other frames --------------------------------------------------------------------------


def _action_of(frame: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    body = as_mapping(frame.get("body")) or {}
    return body, as_str(body.get("action"))


def _by_action(
    frame: Mapping[str, Any],
    ftype: str,
    methods: Mapping[str, ListenerMethod],
    build: Callable[[Mapping[str, Any]], Any],
) -> list[Event]:
    """The event of a frame whose ``body.action`` picks the listener method."""
    method = methods.get(_action_of(frame)[1])
    if method is None:
        return _drop(ftype, "unknown action")
    return _event(method, (build(frame),))


_TYPING_METHODS: dict[str, ListenerMethod] = {
    "started": MessageListener.on_typing_started,
    "ended": MessageListener.on_typing_ended,
}


def _route_typing(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    return _by_action(frame, "typing_indicator", _TYPING_METHODS, TypingIndicator.from_frame)


_RECEIPT_METHODS: dict[str, ListenerMethod] = {
    "delivered": MessageListener.on_messages_delivered,
    "read": MessageListener.on_messages_read,
    "deliveredToAll": MessageListener.on_messages_delivered_to_all,
    "readByAll": MessageListener.on_messages_read_by_all,
}


def _route_receipt(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    events = _by_action(frame, "receipts", _RECEIPT_METHODS, MessageReceipt.from_frame)
    if events and not events[0].args[0].message_id:
        return _drop("receipts", "no messageId")
    return events


def _route_presence(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    body, action = _action_of(frame)
    if action in ("online", "available"):
        method, status = UserListener.on_user_online, "online"
    elif action == "offline":
        method, status = UserListener.on_user_offline, "offline"
    else:
        return _drop("presence", "unknown action")
    user_json = as_mapping(body.get("user"))
    if user_json is None:
        return _drop("presence", "no user object")
    user = parse_user(user_json)
    if not user.uid:
        return _drop("presence", "user without uid")
    user.status = status
    timestamp = as_opt_int(body.get("timestamp"))
    if timestamp is not None:
        user.last_active_at = timestamp
    return _event(method, (user,))


def _route_transient(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    if as_mapping(frame.get("body")) is None:
        return _drop("transient_message", "body is not an object")
    message = TransientMessage.from_frame(frame)
    return _event(MessageListener.on_transient_message_received, (message,))


_REACTION_METHODS: dict[str, ListenerMethod] = {
    "message_reaction_added": MessageListener.on_message_reaction_added,
    "message_reaction_removed": MessageListener.on_message_reaction_removed,
    "added": MessageListener.on_message_reaction_added,
    "removed": MessageListener.on_message_reaction_removed,
}


def _route_reaction(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    return _by_action(frame, "reaction", _REACTION_METHODS, ReactionEvent.from_frame)


def _route_interaction(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    receipt = InteractionReceipt.from_frame(frame)
    if not receipt.message_id:
        return _drop("interaction_completed", "no messageId")
    return _event(MessageListener.on_interaction_goal_completed, (receipt,))


def _route_moderated(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    body = as_mapping(frame.get("body"))
    if body is None:
        return _drop("on_moderation_status_changed", "body is not an object")
    msg = BaseMessage.from_json(body)
    if not msg.id:
        return _drop("on_moderation_status_changed", "message without id")
    # Not a new message: no ``message`` for the ledger (it must not count as a delivery).
    return _event(MessageListener.on_message_moderated, (msg,))


_PIN_SAVE_METHODS: dict[str, ListenerMethod] = {
    **dict.fromkeys(("pinned", "pin", "message_pinned"), MessageListener.on_message_pinned),
    **dict.fromkeys(("unpinned", "unpin", "message_unpinned"), MessageListener.on_message_unpinned),
    **dict.fromkeys(("saved", "save", "message_saved"), MessageListener.on_message_saved),
    **dict.fromkeys(("unsaved", "unsave", "message_unsaved"), MessageListener.on_message_unsaved),
}
#: The frame types of a message's pin or save (the official SDKs' names, old and new).
PIN_SAVE_TYPES = frozenset(
    {
        "message_pin_save",
        "message_pin",
        "message_save",
        "message_pinned",
        "message_unpinned",
        "message_saved",
        "message_unsaved",
    }
)


def _route_pin_save(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    ftype = as_str(frame.get("type"))
    body, action = _action_of(frame)
    method = _PIN_SAVE_METHODS.get(action or ftype)
    if method is None:
        return _drop(ftype, "unknown action")
    inner = as_mapping(body.get("message"))
    msg = BaseMessage.from_json(inner if inner is not None else body)
    if not msg.id:
        return _drop(ftype, "message without id")
    # Not a new message: no ``message`` for the ledger (it must not count as a delivery).
    return _event(method, (msg,))


def _route_unmodelled(frame: Mapping[str, Any], own_uid: Optional[str]) -> list[Event]:
    return _event(MessageListener.on_unhandled_event, (dict(frame),))


#: Frame types the official SDKs hand to a listener that this SDK does not model yet; they
#: reach ``MessageListener.on_unhandled_event`` as they came.
UNMODELLED_TYPES = frozenset(
    {
        "streamed_message",
        "notification_feed_item",
        # pins of conversations
        "conversation_pin",
        "conversation_pinned",
        "conversation_unpinned",
    }
)

_HANDLERS = {
    **dict.fromkeys(UNMODELLED_TYPES, _route_unmodelled),
    "message": _route_message,
    "typing_indicator": _route_typing,
    "receipts": _route_receipt,
    "presence": _route_presence,
    "transient_message": _route_transient,
    "reaction": _route_reaction,
    **dict.fromkeys(PIN_SAVE_TYPES, _route_pin_save),
    "interaction_completed": _route_interaction,
    "on_moderation_status_changed": _route_moderated,
}


def route(
    frame: Mapping[str, Any], own_resource: str, *, own_uid: Optional[str] = None
) -> list[Event]:
    """The listener calls one incoming frame means; ``[]`` for frames no listener takes.

    Args:
        frame: the parsed JSON frame (anything else gives ``[]``).
        own_resource: this session's resource (the ``deviceId`` it stamps on what it
            sends); frames carrying it are echoes and are dropped.
        own_uid: the logged-in user's uid, if known; used only to skip ``initiated`` group
            calls this user started from another device, as the official SDKs do.

    Never raises.
    """
    data: Optional[Mapping[str, Any]] = frame
    if type(frame) is not dict:  # a dict is what the parser gives: no ABC check for it
        data = as_mapping(frame)
    if data is None:
        return _drop(None, "frame is not an object")
    ftype = data.get("type")
    try:
        if not isinstance(ftype, str):
            return _drop(ftype, "no type")
        if own_resource and ftype not in ECHO_EXEMPT_TYPES:
            device = data.get("deviceId")
            if isinstance(device, str) and device == own_resource:
                return _drop(ftype, "echo of our own device")
        handler = _HANDLERS.get(ftype)
        if handler is None:
            return _drop(ftype, "not a listener event")
        return handler(data, own_uid)
    except Exception as exc:  # defence in depth: the router must never raise
        return _drop(ftype, f"unexpected {type(exc).__name__} while routing")
