"""What was delivered, so that nothing is lost across a reconnect and nothing is doubled.

The ledger remembers, per conversation this client has seen (received or sent a message in),
the highest message id it delivered, plus the recent delivered ids. After a reconnect the
client fetches, over REST, every message after that id and delivers the ones the ledger has
not seen; live frames are checked against the same ledger. It is used only from the
dispatcher thread (and ``note_sent`` from the sending thread), under one small lock.

Limits (documented in ``docs/events.md``): the ledger lives in memory, so a new process starts
with none; only conversations seen by this client are caught up; it remembers the last
``max_ids`` delivered ids for de-duplication.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Hashable
from typing import Generic
from typing import Optional
from typing import TypeVar

from ..models import Action
from ..models import BaseMessage

__all__ = ["Conversation", "MessageLedger"]


class Conversation:
    """One conversation the client follows: who it is with (``receiver_type`` ``"user"`` or
    ``"group"``, and the other user's uid or the group's guid) and the message id after which
    a catch-up starts."""

    __slots__ = ("receiver_id", "receiver_type", "watermark")

    def __init__(self, receiver_type: str, receiver_id: str, watermark: int) -> None:
        self.receiver_type = receiver_type
        self.receiver_id = receiver_id
        self.watermark = watermark

    def __repr__(self) -> str:
        return f"Conversation({self.receiver_type} {self.receiver_id!r}, after={self.watermark})"


_T = TypeVar("_T", bound=Hashable)


class _Recent(Generic[_T]):
    """A set that keeps only its ``size`` most recently added members."""

    __slots__ = ("_members", "_order", "_size")

    def __init__(self, size: int) -> None:
        self._size = size
        self._members: set[_T] = set()
        self._order: collections.deque[_T] = collections.deque()

    def __contains__(self, item: object) -> bool:
        return item in self._members

    def __bool__(self) -> bool:
        return bool(self._members)

    def add(self, item: _T) -> None:
        if item in self._members:
            return
        self._members.add(item)
        self._order.append(item)
        if len(self._order) > self._size:
            self._members.discard(self._order.popleft())

    def clear(self) -> None:
        self._members.clear()
        self._order.clear()


class MessageLedger:
    """Delivered message ids and per-conversation watermarks (see the module docstring).

    ``max_ids`` bounds each record of ids. De-duplication only has to cover the overlap of a
    catch-up with live delivery (a catch-up fetches only ids above each conversation's
    watermark), so a few thousand is plenty and keeps memory flat.
    """

    def __init__(self, own_uid: Optional[str] = None, max_ids: int = 2_000) -> None:
        self._lock = threading.Lock()
        self._own_uid = own_uid
        self._conversations: dict[str, Conversation] = {}
        self._delivered: _Recent[int] = _Recent(max_ids)
        self._sent_here: _Recent[int] = _Recent(max_ids)
        self._own_actions: _Recent[tuple[int, str]] = _Recent(max_ids)

    def reset(self, own_uid: Optional[str]) -> None:
        """Forget everything (a new user logged in, or the user logged out)."""
        with self._lock:
            self._own_uid = own_uid
            self._conversations.clear()
            self._delivered.clear()
            self._sent_here.clear()
            self._own_actions.clear()

    def after_fork_in_child(self) -> None:
        """In a forked child: a new lock (another thread may have held the old one)."""
        self._lock = threading.Lock()

    def conversations(self) -> list[Conversation]:
        """A snapshot of the conversations to catch up, each with its current watermark."""
        with self._lock:
            return [
                Conversation(c.receiver_type, c.receiver_id, c.watermark)
                for c in self._conversations.values()
            ]

    def admit(self, message: BaseMessage) -> bool:
        """True if ``message`` should be delivered now (and record it); False for a
        duplicate or for a message this client itself sent."""
        mid = message.id
        if mid <= 0:
            return True
        with self._lock:
            if mid in self._delivered or mid in self._sent_here or self._is_own_action(message):
                return False
            self._delivered.add(mid)
            self._follow(message, mid)
            return True

    def note_sent(self, message: BaseMessage) -> None:
        """``message`` was sent by this client: never deliver it back, but follow its
        conversation from just before it (so replies sent meanwhile are caught up)."""
        mid = message.id
        if mid <= 0:
            return
        with self._lock:
            self._sent_here.add(mid)
            self._follow(message, mid - 1)

    def note_own_action(self, message_id: int, action: str) -> None:
        """This client edits or deletes ``message_id``: the server's ``action`` message about
        it (an echo, dropped live by its resource stamp) is not delivered on catch-up."""
        with self._lock:
            self._own_actions.add((message_id, action))

    def _is_own_action(self, message: BaseMessage) -> bool:
        if not self._own_actions or not isinstance(message, Action):
            return False
        target = message.actioned_on
        by = message.actioned_by
        return (
            isinstance(target, BaseMessage)
            and getattr(by, "uid", None) == self._own_uid
            and (target.id, message.action) in self._own_actions
        )

    def _follow(self, message: BaseMessage, watermark: int) -> None:
        key = message.conversation_id
        known = self._conversations.get(key) if key else None
        if known is None:
            peer = self._peer_of(message)
            if peer is None:
                return
            key = key or f"{peer[0]}:{peer[1]}"
            known = self._conversations.get(key)
            if known is None:
                self._conversations[key] = Conversation(peer[0], peer[1], watermark)
                return
        known.watermark = max(known.watermark, watermark)

    def _peer_of(self, message: BaseMessage) -> Optional[tuple[str, str]]:
        """``(receiver_type, id)`` of the conversation ``message`` belongs to."""
        if message.receiver_type == "group":
            return ("group", message.receiver_uid) if message.receiver_uid else None
        other = message.receiver_uid if message.sender_uid == self._own_uid else message.sender_uid
        return ("user", other) if other else None
