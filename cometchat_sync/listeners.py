"""Listener base classes: one no-op method per event, in the style of stomp.py.

Use a listener either by subclassing it and overriding the events you care about::

    class Printer(MessageListener):
        def on_text_message_received(self, message: TextMessage) -> None:
            print(message.sender_uid, message.text)

or by passing plain callables as keyword arguments, one per event method::

    listener = ConnectionListener(on_connected=lambda: print("up"))

Each keyword must name one of the class's event methods (anything else is a ``TypeError``
naming it), and its value must be callable; the callable replaces that method on this one
instance and is called with the event's arguments only (no ``self``).

Threading contract (all listener families):

* Listeners are called on the SDK's single dispatcher thread, in the order the events
  happened, one call at a time — never on the socket reader or timer threads.
* A listener must not block for long: while it runs, no other event is delivered. Hand long
  work to your own thread or queue.
* An exception raised by a listener is logged (with its traceback) and reported; it never
  kills the dispatcher, and the next event is still delivered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar

if TYPE_CHECKING:
    from .connection.state import ConnectionStateChange
    from .errors import CometChatException
    from .models import Action
    from .models import BaseMessage
    from .models import Call
    from .models import CustomMessage
    from .models import Group
    from .models import InteractionReceipt
    from .models import InteractiveMessage
    from .models import MediaMessage
    from .models import MessageReceipt
    from .models import ReactionEvent
    from .models import TextMessage
    from .models import TransientMessage
    from .models import TypingIndicator
    from .models import User

__all__ = [
    "CallListener",
    "ConnectionListener",
    "GroupListener",
    "LoginListener",
    "MessageListener",
    "UserListener",
]


class _Listener:
    """Shared base: keyword-callable construction checked against :attr:`EVENTS`.

    :attr:`EVENTS` is derived from the class itself: the ``on_*`` methods each listener
    family defines, in the order it defines them. The SDK names events by these methods
    (``MessageListener.on_text_message_received``), never by hand-kept strings, so renaming
    one is caught by mypy and the tests.
    """

    EVENTS: ClassVar[tuple[str, ...]] = ()
    """The names of this family's event methods."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if _Listener in cls.__bases__:  # a family: its events are the methods it defines
            cls.EVENTS = tuple(
                name
                for name, value in vars(cls).items()
                if name.startswith("on_") and callable(value)
            )

    def __init__(self, **callbacks: Callable[..., Any]) -> None:
        cls_name = type(self).__name__
        for name, fn in callbacks.items():
            if name not in self.EVENTS:
                raise TypeError(
                    f"{cls_name}() got an unexpected keyword argument {name!r}; "
                    f"expected one of: {', '.join(self.EVENTS)}"
                )
            if not callable(fn):
                raise TypeError(
                    f"{cls_name}() argument {name!r} must be callable, not {type(fn).__name__}"
                )
            setattr(self, name, fn)

    def __repr__(self) -> str:
        overridden = [n for n in self.EVENTS if n in self.__dict__]
        extra = f" callbacks={overridden}" if overridden else ""
        return f"<{type(self).__name__}{extra}>"


class ConnectionListener(_Listener):
    """Connection state changes of the real-time socket.

    Called on the SDK's dispatcher thread, in order, one at a time; must not block for long;
    an exception it raises is logged and reported and the next event is still delivered.
    """

    def on_state_change(self, change: ConnectionStateChange) -> None:
        """Any change of status, with its cause; called just before the specific method.

        ``change.previous`` and ``change.current`` are :class:`ConnectionStatus` values;
        when ``current`` is ``disconnected``, ``change.reason`` says why (``"user"``,
        ``"logout"``, ``"background"``, ``"background_ping_deadline"``, ``"link_lost"``,
        ``"auth_rejected"``, ...), and ``change.error`` holds the failure if one caused it.
        """

    def on_connecting(self) -> None:
        """The SDK started (re)connecting the socket."""

    def on_connected(self) -> None:
        """The server accepted the socket's auth frame: real-time events flow."""

    def on_disconnected(self) -> None:
        """The socket went down or an attempt was abandoned (the SDK reconnects on its own
        when the link is still wanted; ``on_state_change`` tells why)."""

    def on_feature_throttled(self) -> None:
        """The service throttled real-time features for this app."""

    def on_connection_error(self, error: CometChatException) -> None:
        """The socket could not be opened or authenticated, or it broke."""


class MessageListener(_Listener):
    """Messages, typing, receipts, transient messages and reactions.

    Called on the SDK's dispatcher thread, in order, one at a time; must not block for long;
    an exception it raises is logged and reported and the next event is still delivered.
    """

    def on_text_message_received(self, message: TextMessage) -> None:
        """A text message arrived."""

    def on_media_message_received(self, message: MediaMessage) -> None:
        """An image, video, audio or file message arrived."""

    def on_custom_message_received(self, message: CustomMessage) -> None:
        """A custom message arrived."""

    def on_typing_started(self, indicator: TypingIndicator) -> None:
        """Someone started typing to you or in one of your groups."""

    def on_typing_ended(self, indicator: TypingIndicator) -> None:
        """Someone stopped typing."""

    def on_messages_delivered(self, receipt: MessageReceipt) -> None:
        """A message you sent was delivered."""

    def on_messages_read(self, receipt: MessageReceipt) -> None:
        """A message you sent was read."""

    def on_messages_delivered_to_all(self, receipt: MessageReceipt) -> None:
        """A group message you sent was delivered to every member."""

    def on_messages_read_by_all(self, receipt: MessageReceipt) -> None:
        """A group message you sent was read by every member."""

    def on_message_edited(self, message: BaseMessage) -> None:
        """A message was edited; ``message`` is the edited message."""

    def on_message_deleted(self, message: BaseMessage) -> None:
        """A message was deleted; ``message`` is the deleted message."""

    def on_transient_message_received(self, message: TransientMessage) -> None:
        """A transient (not stored) message arrived."""

    def on_message_reaction_added(self, reaction: ReactionEvent) -> None:
        """Someone reacted to a message."""

    def on_message_reaction_removed(self, reaction: ReactionEvent) -> None:
        """Someone removed a reaction from a message."""

    def on_interactive_message_received(self, message: InteractiveMessage) -> None:
        """A form, card, scheduler or other interactive message arrived
        (https://www.cometchat.com/docs/sdk/javascript/interactive-messages)."""

    def on_interaction_goal_completed(self, receipt: InteractionReceipt) -> None:
        """Someone's interaction met the goal of an interactive message of one of your
        conversations (the ``interaction_completed`` event)."""

    def on_message_moderated(self, message: BaseMessage) -> None:
        """Moderation decided on a message you sent: ``message.moderation_status`` is
        ``APPROVED`` or ``DISAPPROVED`` (also heard by the device that sent it;
        https://www.cometchat.com/docs/sdk/javascript/ai-moderation)."""

    def on_message_pinned(self, message: BaseMessage) -> None:
        """A message of one of your conversations was pinned (``message.pinned_by`` pinned
        it; https://www.cometchat.com/docs/sdk/javascript/pin-message)."""

    def on_message_unpinned(self, message: BaseMessage) -> None:
        """A pinned message of one of your conversations was unpinned."""

    def on_message_saved(self, message: BaseMessage) -> None:
        """You saved a message on another device (``message.saved_at``)."""

    def on_message_unsaved(self, message: BaseMessage) -> None:
        """You removed a message from your saved messages on another device."""

    def on_unhandled_event(self, frame: dict[str, Any]) -> None:
        """A real-time event the official SDKs deliver but this SDK does not model yet.

        ``frame`` is the event's whole JSON frame (a dict, as the server sent it: its
        ``type``, ``sender``, ``receiver``, ``receiverType`` and ``body``). It comes for:

        * ``message`` frames whose ``body.category`` is not ``message``, ``custom``,
          ``action``, ``call`` or ``interactive`` — ``agentic`` (AI assistant and tool
          results) and ``card``; these are messages, so they are delivered once and
          caught up after a reconnect like the others;
        * the frame types ``streamed_message`` (AI assistant stream events),
          ``notification_feed_item``, and the pin events of conversations
          (``conversation_pinned`` and its kin).

        Without an override they are dropped, as before. Read only what you need: the
        shapes are the service's and may grow.
        """


class UserListener(_Listener):
    """Presence of other users.

    Called on the SDK's dispatcher thread, in order, one at a time; must not block for long;
    an exception it raises is logged and reported and the next event is still delivered.
    """

    def on_user_online(self, user: User) -> None:
        """``user`` came online (``user.last_active_at`` is the event time)."""

    def on_user_offline(self, user: User) -> None:
        """``user`` went offline (``user.last_active_at`` is the event time)."""


class GroupListener(_Listener):
    """Group membership events (the official Android/JS signatures, in snake_case).

    Called on the SDK's dispatcher thread, in order, one at a time; must not block for long;
    an exception it raises is logged and reported and the next event is still delivered.
    """

    def on_group_member_joined(
        self, action: Action, joined_user: User, joined_group: Group
    ) -> None:
        """``joined_user`` joined ``joined_group``."""

    def on_group_member_left(self, action: Action, left_user: User, left_group: Group) -> None:
        """``left_user`` left ``left_group``."""

    def on_group_member_kicked(
        self, action: Action, kicked_user: User, kicked_by: User, kicked_from: Group
    ) -> None:
        """``kicked_by`` kicked ``kicked_user`` from ``kicked_from``."""

    def on_group_member_banned(
        self, action: Action, banned_user: User, banned_by: User, banned_from: Group
    ) -> None:
        """``banned_by`` banned ``banned_user`` from ``banned_from``."""

    def on_group_member_unbanned(
        self, action: Action, unbanned_user: User, unbanned_by: User, unbanned_from: Group
    ) -> None:
        """``unbanned_by`` lifted the ban of ``unbanned_user`` in ``unbanned_from``."""

    def on_group_member_scope_changed(
        self, action: Action, changed_user: User, new_scope: str, old_scope: str, group: Group
    ) -> None:
        """The scope of ``changed_user`` in ``group`` went from ``old_scope`` to ``new_scope``."""

    def on_member_added_to_group(
        self, action: Action, user_added: User, added_by: User, user_added_in: Group
    ) -> None:
        """``added_by`` added ``user_added`` to ``user_added_in``."""


class CallListener(_Listener):
    """Call signalling messages.

    Called on the SDK's dispatcher thread, in order, one at a time; must not block for long;
    an exception it raises is logged and reported and the next event is still delivered.
    """

    def on_incoming_call_received(self, call: Call) -> None:
        """Someone is calling you (status ``initiated``)."""

    def on_outgoing_call_accepted(self, call: Call) -> None:
        """Your call was accepted (status ``ongoing``); in a group call only the member who
        started it hears this."""

    def on_outgoing_call_rejected(self, call: Call) -> None:
        """Your call was rejected, the callee was busy, or nobody answered (``unanswered``);
        in a group call only the member who started it hears a rejection."""

    def on_incoming_call_cancelled(self, call: Call) -> None:
        """A call to you was cancelled by the caller, or went unanswered."""

    def on_call_ended_message_received(self, call: Call) -> None:
        """A call ended."""


class LoginListener(_Listener):
    """Login and logout outcomes.

    Called on the SDK's dispatcher thread, in order, one at a time; must not block for long;
    an exception it raises is logged and reported and the next event is still delivered.
    """

    def on_login_success(self, user: User) -> None:
        """``user`` is now logged in."""

    def on_login_failure(self, error: CometChatException) -> None:
        """A login attempt failed."""

    def on_logout_success(self) -> None:
        """The user was logged out (also after a forced logout)."""

    def on_logout_failure(self, error: CometChatException) -> None:
        """The logout call failed (local state is cleared anyway)."""


_FAMILY_OF: dict[Callable[..., Any], type[_Listener]] = {
    getattr(family, name): family
    for family in (
        ConnectionListener,
        LoginListener,
        MessageListener,
        UserListener,
        GroupListener,
        CallListener,
    )
    for name in family.EVENTS
}


def _family_of(method: Callable[..., Any]) -> type[_Listener]:
    """The listener family whose event ``method`` is (``MessageListener`` for
    ``MessageListener.on_text_message_received``); ``KeyError`` for anything else."""
    return _FAMILY_OF[method]
