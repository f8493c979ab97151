"""The listener calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin): add and
remove listeners of each family, the callback executor and the listener error hook.

Every listener is called on the client's dispatcher thread, one event at a time and in order
(or through the callback executor); an exception in one is logged and reported to the error
hook, and the next listener still runs. Registration is copy-on-write, so every call here is
safe from any thread, including from inside a listener.
"""

from __future__ import annotations

from typing import Optional

from ..errors import CometChatException, ErrorCode
from ..listeners import (
    CallListener,
    ConnectionListener,
    GroupListener,
    LoginListener,
    MessageListener,
    UserListener,
)
from .delivery import Delivery
from .dispatcher import Executor
from .registry import ErrorHook

__all__ = ["ListenersAPI"]


class ListenersAPI:
    """The client's listener calls; the client supplies its delivery."""

    _delivery: Delivery

    def add_connection_listener(self, listener_id: str, listener: ConnectionListener) -> None:
        """Register a connection listener; the same id replaces the earlier one.

        It hears every status change once, in order (``on_state_change`` then
        ``on_connecting``/``on_connected``/``on_disconnected``/``on_feature_throttled``),
        and ``on_connection_error`` once per outage. Like every listener it is called on
        the dispatcher thread, one event at a time (or through the callback executor); an
        exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/connection-status.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.ConnectionListener` (a subclass, or one
                built with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a
                ``ConnectionListener``.
        """
        self._delivery.registry(ConnectionListener).add(listener_id, listener)

    def remove_connection_listener(self, listener_id: str) -> None:
        """Remove the connection listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(ConnectionListener).remove(listener_id)

    def add_login_listener(self, listener_id: str, listener: LoginListener) -> None:
        """Register a login listener; the same id replaces the earlier one.

        It hears ``on_login_success``/``on_login_failure`` after each :meth:`login` and
        ``on_logout_success``/``on_logout_failure`` after each :meth:`logout` (also when
        the server no longer knows the auth token and the user is logged out locally).
        Like every listener it is called on the dispatcher thread, one event at a time (or
        through the callback executor); an exception in it is logged and the next listener
        still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/authentication-overview.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.LoginListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``LoginListener``.
        """
        self._delivery.registry(LoginListener).add(listener_id, listener)

    def remove_login_listener(self, listener_id: str) -> None:
        """Remove the login listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(LoginListener).remove(listener_id)

    def add_message_listener(self, listener_id: str, listener: MessageListener) -> None:
        """Register a message listener; the same id replaces the earlier one.

        It hears messages received in real time (text, media, custom), edits, deletions,
        typing indicators, receipts, transient messages and reactions, and after a
        reconnection the messages missed meanwhile, each once and in order. Messages this
        client sent are not delivered back. Like every listener it is called on the
        dispatcher thread, one event at a time (or through the callback executor); an
        exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.MessageListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``MessageListener``.
        """
        self._delivery.registry(MessageListener).add(listener_id, listener)

    def remove_message_listener(self, listener_id: str) -> None:
        """Remove the message listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(MessageListener).remove(listener_id)

    def add_user_listener(self, listener_id: str, listener: UserListener) -> None:
        """Register a user listener; the same id replaces the earlier one.

        It hears presence: ``on_user_online`` and ``on_user_offline``. Like every listener
        it is called on the dispatcher thread, one event at a time (or through the
        callback executor); an exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/user-presence.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.UserListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``UserListener``.
        """
        self._delivery.registry(UserListener).add(listener_id, listener)

    def remove_user_listener(self, listener_id: str) -> None:
        """Remove the user listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(UserListener).remove(listener_id)

    def add_group_listener(self, listener_id: str, listener: GroupListener) -> None:
        """Register a group listener; the same id replaces the earlier one.

        It hears membership changes in the groups the user belongs to: members joined,
        left, kicked, banned, unbanned, added, and scope changes. Like every listener it
        is called on the dispatcher thread, one event at a time (or through the callback
        executor); an exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members (the
        group pages describe each event).

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.GroupListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``GroupListener``.
        """
        self._delivery.registry(GroupListener).add(listener_id, listener)

    def remove_group_listener(self, listener_id: str) -> None:
        """Remove the group listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(GroupListener).remove(listener_id)

    def add_call_listener(self, listener_id: str, listener: CallListener) -> None:
        """Register a call listener; the same id replaces the earlier one.

        It hears call signalling: incoming calls, outgoing calls accepted or rejected,
        incoming calls cancelled, calls ended. Like every listener it is called on the
        dispatcher thread, one event at a time (or through the callback executor); an
        exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.CallListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``CallListener``.
        """
        self._delivery.registry(CallListener).add(listener_id, listener)

    def remove_call_listener(self, listener_id: str) -> None:
        """Remove the call listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(CallListener).remove(listener_id)

    def set_callback_executor(self, executor: Optional[Executor]) -> None:
        """Run listener calls through ``executor(callable)`` (e.g. onto a GUI main loop)
        instead of directly on the dispatcher thread. ``None`` restores the default.

        The dispatcher thread calls ``executor`` once per event with a zero-argument
        callable that calls the listeners; the SDK's own bookkeeping stays on the
        dispatcher thread. ``executor`` should hand the callable over and return quickly
        (e.g. ``root.after(0, fn)`` in Tkinter). Takes effect for the next event; safe
        from any thread, including inside a listener.

        Args:
            executor: a callable taking one zero-argument callable, or ``None``.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``executor`` is neither
                callable nor ``None``.
        """
        if executor is not None and not callable(executor):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "executor must be callable.")
        self._delivery.executor = executor

    def set_listener_error_hook(self, hook: Optional[ErrorHook]) -> None:
        """Set the function called when a listener raises; ``None`` removes it.

        ``hook(exception, listener, method_name)`` is called right after the exception is
        logged (with its traceback) on the thread that ran the listener; the next listener
        still runs. An exception raised by the hook itself is logged and ignored. Takes
        effect for the next event; safe from any thread, including inside a listener.

        Args:
            hook: a callable ``(BaseException, listener, str) -> None``, or ``None``.
        """
        self._delivery.error_hook = hook
