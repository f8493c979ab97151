"""The listener calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin): add and
remove listeners of each family, the callback executor and the listener error hook. The
rules they share (the dispatcher thread, registration, errors) are in :class:`ListenersAPI`.
"""

from __future__ import annotations

from typing import Optional

from ..errors import CometChatException
from ..errors import ErrorCode
from ..listeners import CallListener
from ..listeners import ConnectionListener
from ..listeners import GroupListener
from ..listeners import LoginListener
from ..listeners import MessageListener
from ..listeners import UserListener
from .delivery import Delivery
from .dispatcher import Executor
from .registry import ErrorHook

__all__ = ["ListenersAPI"]


class ListenersAPI:
    """The client's listener calls; the client supplies its delivery.

    Every listener is called on the client's dispatcher thread, one event at a time and in
    the order the events came (unless :meth:`set_callback_executor` hands the calls
    elsewhere); the listeners of a family in the order they were added (a replaced one moves
    to the end). An exception raised by a listener is logged with its traceback and passed
    to the error hook (:meth:`set_listener_error_hook`), and the next listener still runs.

    Each ``add_..._listener(listener_id, listener)`` registers ``listener`` under
    ``listener_id``; the same id replaces the earlier listener. A listener is a subclass of
    its family's class (one no-op method per event) or one built with callables as keyword
    arguments. Each ``remove_..._listener(listener_id)`` removes it; an unknown id is
    ignored, and an event already being delivered may still reach it. Registration is
    copy-on-write, so every call here is quick and safe from any thread, including from
    inside a listener (even the one being removed).

    Adding a listener is a first use of the client: the listener is registered first, then
    (once per process) the stored session is read and, in auto mode, the link starts, so
    a listener added right after creating the client hears everything from the start.

    Raises:
        CometChatException: the registration errors: each ``add_..._listener`` raises
            ``MISSING_PARAMETERS`` for an empty ``listener_id`` and
            ``ERR_INVALID_PARAMETER`` when ``listener`` is not an instance of its family's
            class.
    """

    _delivery: Delivery

    def _check_fork(self) -> None:
        """The client's first use in this process (implemented by the client)."""
        raise NotImplementedError

    def add_connection_listener(self, listener_id: str, listener: ConnectionListener) -> None:
        """Register a listener of the real-time link's status under ``listener_id``.

        Its first call is the status as of now: ``on_state_change(change)`` with
        ``change.previous`` equal to ``change.current`` (a snapshot, not a change), then
        that status's method (``on_disconnected()`` on a client that never connected). Then
        it hears every later status change once, in order (``on_state_change`` then
        ``on_connecting``/``on_connected``/``on_disconnected``/``on_feature_throttled``),
        and ``on_connection_error`` once per outage. So a listener added at any time
        misses nothing, and one added before the first use hears the whole start. Like
        every ``add_..._listener``, it is a first use of the client (see
        :class:`ListenersAPI`).

        Wire: https://www.cometchat.com/docs/sdk/javascript/connection-status.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.ConnectionListener`.

        Raises:
            CometChatException: the registration errors (see
                :class:`~cometchat_sync.events.listeners_api.ListenersAPI`).
        """
        self._delivery.add_connection_listener(listener_id, listener)
        self._check_fork()

    def remove_connection_listener(self, listener_id: str) -> None:
        """Remove the connection listener registered under ``listener_id``.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.remove_connection_listener(listener_id)

    def add_login_listener(self, listener_id: str, listener: LoginListener) -> None:
        """Register a listener of login and logout outcomes under ``listener_id``.

        It hears ``on_login_success``/``on_login_failure`` after each :meth:`login` and
        ``on_logout_success``/``on_logout_failure`` after each :meth:`logout` (also when
        the server no longer knows the auth token and the user is logged out locally).

        Wire: https://www.cometchat.com/docs/sdk/javascript/authentication-overview.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.LoginListener`.

        Raises:
            CometChatException: the registration errors (see
                :class:`~cometchat_sync.events.listeners_api.ListenersAPI`).
        """
        self._delivery.registry(LoginListener).add(listener_id, listener)
        self._check_fork()

    def remove_login_listener(self, listener_id: str) -> None:
        """Remove the login listener registered under ``listener_id``.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(LoginListener).remove(listener_id)

    def add_message_listener(self, listener_id: str, listener: MessageListener) -> None:
        """Register a listener of messages and what happens to them under ``listener_id``.

        It hears messages received in real time (text, media, custom), edits, deletions,
        typing indicators, receipts, transient messages and reactions, and after a
        reconnection the messages missed meanwhile, each once and in order. Messages this
        client sent are not delivered back.

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.MessageListener`.

        Raises:
            CometChatException: the registration errors (see
                :class:`~cometchat_sync.events.listeners_api.ListenersAPI`).
        """
        self._delivery.registry(MessageListener).add(listener_id, listener)
        self._check_fork()

    def remove_message_listener(self, listener_id: str) -> None:
        """Remove the message listener registered under ``listener_id``.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(MessageListener).remove(listener_id)

    def add_user_listener(self, listener_id: str, listener: UserListener) -> None:
        """Register a listener of other users' presence under ``listener_id``.

        It hears ``on_user_online`` and ``on_user_offline``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/user-presence.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.UserListener`.

        Raises:
            CometChatException: the registration errors (see
                :class:`~cometchat_sync.events.listeners_api.ListenersAPI`).
        """
        self._delivery.registry(UserListener).add(listener_id, listener)
        self._check_fork()

    def remove_user_listener(self, listener_id: str) -> None:
        """Remove the user listener registered under ``listener_id``.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(UserListener).remove(listener_id)

    def add_group_listener(self, listener_id: str, listener: GroupListener) -> None:
        """Register a listener of membership changes in the user's groups under ``listener_id``.

        It hears members joined, left, kicked, banned, unbanned, added, and scope changes,
        in the groups the logged-in user belongs to.

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members (the
        group pages describe each event).

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.GroupListener`.

        Raises:
            CometChatException: the registration errors (see
                :class:`~cometchat_sync.events.listeners_api.ListenersAPI`).
        """
        self._delivery.registry(GroupListener).add(listener_id, listener)
        self._check_fork()

    def remove_group_listener(self, listener_id: str) -> None:
        """Remove the group listener registered under ``listener_id``.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(GroupListener).remove(listener_id)

    def add_call_listener(self, listener_id: str, listener: CallListener) -> None:
        """Register a listener of call signalling under ``listener_id``.

        It hears incoming calls, outgoing calls accepted or rejected, incoming calls
        cancelled, and calls ended.

        Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.CallListener`.

        Raises:
            CometChatException: the registration errors (see
                :class:`~cometchat_sync.events.listeners_api.ListenersAPI`).
        """
        self._delivery.registry(CallListener).add(listener_id, listener)
        self._check_fork()

    def remove_call_listener(self, listener_id: str) -> None:
        """Remove the call listener registered under ``listener_id``.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(CallListener).remove(listener_id)

    def set_callback_executor(self, executor: Optional[Executor]) -> None:
        """Run listener calls through ``executor(callable)`` (e.g. onto a GUI main loop)
        instead of directly on the dispatcher thread. ``None`` restores the default.

        The dispatcher thread calls ``executor`` once per event with a zero-argument
        callable that calls the listeners; the SDK's own bookkeeping stays on the
        dispatcher thread. ``executor`` runs on the dispatcher thread, so it must only hand
        the callable over (put it in a queue that the GUI thread drains) and return; it
        must not call the GUI toolkit itself. A Tk call from another thread waits for the
        Tk thread: before ``mainloop()`` runs tkinter raises ``RuntimeError`` (the event
        is lost), and a ``logout()`` from a button then freezes the window. For Tkinter,
        :func:`cometchat_sync.integrations.tk.attach` does this. The order of listener
        calls is then the executor's. Takes effect for the next event.

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
        effect for the next event.

        Args:
            hook: a callable ``(BaseException, listener, str) -> None``, or ``None``.
        """
        self._delivery.error_hook = hook
