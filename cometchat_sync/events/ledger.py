"""What was delivered, per conversation, so that nothing is lost and nothing is doubled.

For each conversation this client follows (it received or sent a message there) the ledger
keeps the ids it has *settled* (delivered, or not to be delivered: this client's own sends):
every id at or below the conversation's *floor*, plus a small set of ids above it. A settled
id is never delivered again, however many other conversations are busy. Live frames need not
come in id order (several senders, several devices): an id above the floor that was never
settled is delivered when it comes, even after higher ones. The set is bounded: past
``max_above`` ids its lowest becomes the floor, so an id that comes more than that many
settled ids late in its conversation counts as settled. The conversation's *watermark*, the
highest id delivered there, is where a catch-up starts.

A conversation is *gapped* when messages of it may be missing: a catch-up after a reconnect
failed, or the dispatcher queue was full when one of its messages came. While gapped, its live
messages are held back (not delivered, not recorded): the catch-up that fills the gap fetches
them with the rest, in order of id. Only a catch-up that read the conversation to its end
clears the mark (or one that found it cannot be read at all: the user left the group, ...).

Memory is bounded: at most ``max_conversations`` conversations (least recently used first
out), each with at most ``max_above`` settled ids above its floor. The LRU never forgets a
conversation that is gapped or that has live messages waiting in the dispatcher queue (a
*hold*): forgetting it could lose the gap or deliver a queued copy twice. Such conversations
are few (at most one per queued message event, one per gap). See ``docs/events.md``.

Used from the dispatcher thread (admit, catch-up bookkeeping), the reader thread (holds, gaps
at the queue bound) and the sending thread (``note_sent``), under one small lock that is never
held while a listener runs or while I/O is under way.
"""

from __future__ import annotations

import collections
import threading
from array import array
from bisect import bisect_left
from bisect import insort
from collections.abc import Hashable
from collections.abc import Iterable
from typing import Generic
from typing import Optional
from typing import TypeVar

from ..models import Action
from ..models import BaseMessage

__all__ = ["Conversation", "MessageLedger"]

#: Conversations remembered (least recently used first out; gapped or held ones never).
MAX_CONVERSATIONS = 10_000
#: Settled ids above a conversation's floor (how late a live frame may come; own sends).
MAX_ABOVE = 256


class Conversation:
    """One conversation to catch up: who it is with (``receiver_type`` ``"user"`` or
    ``"group"``, and the other user's uid or the group's guid), the message id after which
    the catch-up starts, and ``key``, the ledger's name for it (the server's
    ``conversationId`` when known)."""

    __slots__ = ("key", "receiver_id", "receiver_type", "watermark")

    def __init__(
        self, receiver_type: str, receiver_id: str, watermark: int, key: Optional[str] = None
    ) -> None:
        self.receiver_type = receiver_type
        self.receiver_id = receiver_id
        self.watermark = watermark
        self.key = key or f"{receiver_type}:{receiver_id}"

    def __repr__(self) -> str:
        return f"Conversation({self.receiver_type} {self.receiver_id!r}, after={self.watermark})"


class _Followed:
    """The ledger's record of one conversation."""

    __slots__ = ("above", "floor", "gap_marks", "gapped", "peer", "watermark")

    def __init__(self, peer: tuple[str, str], watermark: int) -> None:
        self.peer = peer
        self.watermark = watermark  # the highest id delivered: where a catch-up starts
        self.floor = 0  # every id at or below it is settled
        # The settled ids above the floor, sorted: 8 bytes an id (a set would take ~60).
        self.above = array("q")
        self.gapped = False
        self.gap_marks = 0  # bumped by each new gap: a catch-up clears only the gap it saw

    def settled(self, mid: int) -> bool:
        if mid <= self.floor:
            return True
        at = bisect_left(self.above, mid)
        return at < len(self.above) and self.above[at] == mid

    def settle(self, mid: int, max_above: int) -> None:
        """Record ``mid`` (not settled yet) as settled. Past ``max_above`` ids the lowest
        becomes the floor, but the floor never passes the watermark: ids between them may
        still come in a catch-up (an own send above the watermark is forgotten instead; a
        catch-up could then deliver that one message back)."""
        insort(self.above, mid)
        while len(self.above) > max_above:
            lowest = self.above.pop(0)
            if lowest <= self.watermark:
                self.floor = max(self.floor, lowest)
        while self.above and self.above[0] <= self.floor:
            self.above.pop(0)


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
    """Per-conversation watermarks, gaps and holds (see the module docstring)."""

    def __init__(
        self,
        own_uid: Optional[str] = None,
        max_conversations: int = MAX_CONVERSATIONS,
        max_above: int = MAX_ABOVE,
    ) -> None:
        self._lock = threading.Lock()
        self._own_uid = own_uid
        self._max_conversations = max_conversations
        self._max_above = max_above
        self._followed: collections.OrderedDict[str, _Followed] = collections.OrderedDict()
        self._holds: dict[str, int] = {}
        # Edits and deletes this client made: their echo is not delivered on a catch-up.
        self._own_actions: _Recent[tuple[int, str]] = _Recent(2_000)

    @property
    def own_uid(self) -> Optional[str]:
        return self._own_uid

    def reset(self, own_uid: Optional[str]) -> None:
        """Forget everything (a new user logged in, or the user logged out)."""
        with self._lock:
            self._own_uid = own_uid
            self._followed.clear()
            self._holds.clear()
            self._own_actions.clear()

    def after_fork_in_child(self) -> None:
        """In a forked child: a new lock (another thread may have held the old one)."""
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._followed)

    # -- what to catch up ------------------------------------------------------------------

    def conversations(self) -> list[Conversation]:
        """A snapshot of every followed conversation, each with its current watermark."""
        with self._lock:
            return [self._snapshot(k, f) for k, f in self._followed.items()]

    def gapped(self) -> list[Conversation]:
        """A snapshot of the conversations with a gap to fill."""
        with self._lock:
            return [self._snapshot(k, f) for k, f in self._followed.items() if f.gapped]

    def has_gaps(self) -> bool:
        with self._lock:
            return any(f.gapped for f in self._followed.values())

    def key_of(self, message: BaseMessage) -> Optional[str]:
        """The ledger's name for ``message``'s conversation (``None``: it belongs to none,
        or it has no id)."""
        if message.id <= 0:
            return None
        with self._lock:
            return self._key_of(message)

    def follows(self, message: BaseMessage) -> bool:
        """False only when ``message`` belongs to a conversation not followed (yet)."""
        key = self.key_of(message)
        with self._lock:
            return key is None or key in self._followed

    def gap_marks(self, key: str) -> int:
        """How many gaps were marked in ``key`` so far (see :meth:`filled`)."""
        with self._lock:
            found = self._followed.get(key)
            return found.gap_marks if found is not None else 0

    # -- delivery (dispatcher thread) ------------------------------------------------------

    def admit(self, message: BaseMessage, *, live: bool = True) -> bool:
        """True if ``message`` is to be delivered now (and record it as delivered).

        False for a settled id (delivered before, or more than ``max_above`` settled ids
        late), for one this client sent or whose echo it must not hear, and, ``live``, for
        a message of a gapped conversation (the catch-up that fills the gap brings it, in
        order: its start is moved below it). ``live`` messages also release the hold taken
        by :meth:`hold`.
        """
        mid = message.id
        if mid <= 0:
            return True
        # Called once per delivered message: the common case (a followed conversation, an id
        # above every settled one, no gap) is inlined here under one take of the lock.
        with self._lock:
            key = message.conversation_id or self._key_of(message)
            if key is None:
                return not (self._own_actions and self._is_own_action(message))
            if live:  # release the hold (inlined _release_locked)
                holds = self._holds
                left = holds.get(key)
                if left is not None:
                    if left > 1:
                        holds[key] = left - 1
                    else:
                        del holds[key]
            own = bool(self._own_actions._members) and self._is_own_action(message)
            followed = self._followed.get(key)
            if followed is not None:
                self._followed.move_to_end(key)
            else:
                followed = self._follow_locked(key, message, mid - 1)
                if followed is None:
                    return not own
            above = followed.above
            if (
                mid > followed.floor
                and (not above or mid > above[-1])
                and not (live and followed.gapped)
            ):  # new, and above every settled id: settle it at the end (as settle() does)
                above.append(mid)
                if len(above) > self._max_above:  # a busy conversation's steady state
                    lowest = above.pop(0)
                    if followed.floor < lowest <= followed.watermark:
                        followed.floor = lowest
                if (not live or not own) and mid > followed.watermark:
                    followed.watermark = mid
                return not own
            if followed.settled(mid):
                if not live:  # a catch-up runs in order: everything up to here is settled
                    followed.watermark = max(followed.watermark, mid)
                return False
            if live and followed.gapped:
                # The catch-up that fills the gap brings it: it must start below it.
                followed.watermark = min(followed.watermark, mid - 1)
                return False
            followed.settle(mid, self._max_above)
            if not live or not own:
                followed.watermark = max(followed.watermark, mid)
            return not own

    def note_sent(self, message: BaseMessage) -> None:
        """``message`` was sent by this client: never deliver it back, and follow its
        conversation from just before it (so replies sent meanwhile are caught up)."""
        mid = message.id
        if mid <= 0:
            return
        with self._lock:
            key = self._key_of(message)
            followed = self._follow_locked(key, message, mid - 1) if key else None
            if followed is not None and not followed.settled(mid):
                followed.settle(mid, self._max_above)

    def note_own_action(self, message_id: int, action: str) -> None:
        """This client edits or deletes ``message_id``: the server's ``action`` message about
        it (an echo, dropped live by its resource stamp) is not delivered on catch-up."""
        with self._lock:
            self._own_actions.add((message_id, action))

    # -- holds and gaps (reader thread, catch-up) ------------------------------------------

    def hold(self, messages: Iterable[BaseMessage]) -> None:
        """Live ``messages`` are being queued: keep their conversations until each is
        admitted (or :meth:`release`\\ d)."""
        with self._lock:
            for message in messages:
                key = self._key_of(message) if message.id > 0 else None
                if key is not None:
                    self._holds[key] = self._holds.get(key, 0) + 1

    def release(self, messages: Iterable[BaseMessage]) -> None:
        """Undo :meth:`hold` for ``messages`` that will not be admitted."""
        with self._lock:
            for message in messages:
                key = self._key_of(message) if message.id > 0 else None
                if key is not None:
                    self._release_locked(key)

    def mark_gap(self, message: BaseMessage) -> bool:
        """``message`` will not be delivered live (the queue is full): mark its conversation
        gapped, so a catch-up fetches it. False when it belongs to no conversation (it cannot
        be fetched back)."""
        mid = message.id
        with self._lock:
            key = self._key_of(message) if mid > 0 else None
            followed = self._follow_locked(key, message, mid - 1) if key else None
            if followed is None:
                return False
            if not followed.settled(mid):  # the catch-up must start below it
                followed.watermark = min(followed.watermark, mid - 1)
            self._mark_locked(followed)
            return True

    def mark_gapped(self, key: str) -> None:
        """A catch-up of ``key`` failed: it stays gapped until one succeeds."""
        with self._lock:
            followed = self._followed.get(key)
            if followed is not None:
                self._mark_locked(followed)

    def mark_all_gapped(self) -> None:
        """A new link: what came while there was none is missing from every followed
        conversation until the catch-up of this link (or a later one) reads it. Live
        messages are held meanwhile, so none can move a watermark past the missing ones,
        even when this link's catch-up is superseded before it runs."""
        with self._lock:
            for followed in self._followed.values():
                self._mark_locked(followed)

    def advance(self, conversation: Conversation, upto: int) -> None:
        """A catch-up delivered (or settled) everything of ``conversation`` up to ``upto``."""
        with self._lock:
            followed = self._followed.get(conversation.key)
            if followed is None:
                peer = (conversation.receiver_type, conversation.receiver_id)
                followed = self._add_locked(conversation.key, peer, conversation.watermark)
            followed.watermark = max(followed.watermark, upto)

    def filled(self, key: str, marks: int) -> None:
        """A catch-up of ``key`` reached the end: clear its gap, unless a new gap was marked
        since it read ``marks`` (:meth:`gap_marks`)."""
        with self._lock:
            followed = self._followed.get(key)
            if followed is not None and followed.gap_marks == marks:
                followed.gapped = False

    # -- internals (lock held) --------------------------------------------------------------

    @staticmethod
    def _snapshot(key: str, followed: _Followed) -> Conversation:
        return Conversation(followed.peer[0], followed.peer[1], followed.watermark, key)

    @staticmethod
    def _mark_locked(followed: _Followed) -> None:
        followed.gapped = True
        followed.gap_marks += 1

    def _release_locked(self, key: str) -> None:
        left = self._holds.get(key, 0) - 1
        if left > 0:
            self._holds[key] = left
        else:
            self._holds.pop(key, None)

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

    def _key_of(self, message: BaseMessage) -> Optional[str]:
        if message.conversation_id:
            return message.conversation_id
        peer = self._peer_of(message)
        return f"{peer[0]}:{peer[1]}" if peer else None

    def _follow_locked(
        self, key: Optional[str], message: BaseMessage, watermark: int
    ) -> Optional[_Followed]:
        """The record of ``key`` (most recently used now), made with ``watermark`` if new."""
        if key is None:
            return None
        followed = self._followed.get(key)
        if followed is not None:
            self._followed.move_to_end(key)
            return followed
        peer = self._peer_of(message)
        if peer is None:
            return None
        return self._add_locked(key, peer, watermark)

    def _add_locked(self, key: str, peer: tuple[str, str], watermark: int) -> _Followed:
        followed = _Followed(peer, watermark)
        self._followed[key] = followed
        if len(self._followed) > self._max_conversations:
            self._evict_locked(key)
        return followed

    def _evict_locked(self, added: str) -> None:
        """Forget the least recently used conversation that is neither gapped nor held
        (nor ``added``, the one just made)."""
        for key, followed in self._followed.items():
            if key != added and not followed.gapped and key not in self._holds:
                del self._followed[key]
                return

    def _peer_of(self, message: BaseMessage) -> Optional[tuple[str, str]]:
        """``(receiver_type, id)`` of the conversation ``message`` belongs to."""
        if message.receiver_type == "group":
            return ("group", message.receiver_uid) if message.receiver_uid else None
        other = message.receiver_uid if message.sender_uid == self._own_uid else message.sender_uid
        return ("user", other) if other else None
