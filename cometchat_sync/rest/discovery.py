"""Which conversations the catch-up after a reconnect should read besides the ones the client
follows: those that received messages while the link was down, found by reading the messages
of every conversation of the user sent since the link was lost (``GET messages`` with
``sentAt`` and ``affix=append``, the cross-conversation history of
https://www.cometchat.com/docs/sdk/javascript/receive-message). See ``docs/events.md``.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from typing import Callable
from typing import NamedTuple
from typing import Optional

from ..models import BaseMessage

__all__ = ["SLACK", "ConversationDiscovery", "Discovered", "ListSince"]

SLACK = 30
"""Seconds read before the moment the link was lost: room for the difference between this
machine's clock and the server's."""

ListSince = Callable[[int, Optional[int], int], Any]
"""``list_since(sent_at, after_id, per_page)``: the JSON list of the user's messages, every
conversation, sent at or after ``sent_at`` (epoch seconds) or, with ``after_id``, after that
message id; oldest first."""


class Discovered(NamedTuple):
    """A conversation the catch-up should read: ``receiver_type`` (``"user"``/``"group"``),
    the other user's uid or the group's guid, the server's ``conversationId``, and the message
    id after which to read it."""

    receiver_type: str
    receiver_id: str
    conversation_id: str
    after: int


class ConversationDiscovery:
    """Finds the conversations that received messages while the link was down.

    :meth:`link_lost` notes when the link went down (the first time since the last look).
    The next :meth:`discover` then reads the user's messages of every conversation sent
    since then (less :data:`SLACK`), page by page; each conversation among them that the
    caller does not follow is returned, to be read from just before its first such message.
    Messages at or below the newest one the caller had seen when the link was lost are left
    out: they were sent while the link was up. With nothing seen yet, a conversation new to
    the client may also bring messages sent up to :data:`SLACK` seconds before the link was
    lost. A conversation
    found is offered at every :meth:`discover` until the caller follows it, so a catch-up cut
    short does not lose it; a look that failed is made again at the next :meth:`discover`.
    With no link lost since the last look, nothing is read (the first connect of a session
    makes no request).

    Thread-safe: :meth:`link_lost` from any thread, :meth:`discover` from the catch-ups' pool
    workers (two catch-ups may look at once when a link drops and returns during a look). A
    small lock guards the state and is never held during a REST call. A REST error
    propagates from :meth:`discover`.
    """

    PAGE = 100

    def __init__(self, list_since: ListSince, own_uid: Callable[[], Optional[str]]) -> None:
        self._list_since = list_since
        self._own_uid = own_uid
        self._lock = threading.Lock()
        self._lost_at: Optional[int] = None
        # The newest message id seen live when the first loss not looked at yet happened:
        # a message above it may have been missed. (Read at the look instead, it would
        # include pages other conversations' catch-ups brought since, which are newer than
        # messages a new conversation missed: those would be skipped for good.)
        self._floor: Optional[int] = None
        self._losses = 0  # links lost so far: a look clears only the losses it covered
        self._ups = 0  # links up so far
        self._losses_at_up = 0  # losses when the latest link came up
        self._pending: dict[str, Discovered] = {}

    def reset(self) -> None:
        """Forget the lost link and the pending conversations (another session begins)."""
        with self._lock:
            self._lost_at = None
            self._floor = None
            self._pending.clear()

    def link_lost(self, newest_seen: Optional[int] = None) -> None:
        """The link went down now (kept if an earlier loss is still to be looked at);
        ``newest_seen`` is the newest message id the caller had delivered by then (``None``:
        the ``floor`` given to :meth:`discover` is used alone)."""
        with self._lock:
            self._losses += 1
            if self._lost_at is None:
                self._lost_at = int(time.time())
            if newest_seen is not None:
                self._floor = newest_seen if self._floor is None else min(self._floor, newest_seen)

    def pending(self) -> bool:
        """True when :meth:`discover` has something to do: a loss not looked at yet, or
        conversations found and not followed yet."""
        with self._lock:
            return self._lost_at is not None or bool(self._pending)

    def link_up(self) -> None:
        """A link is up now: what is sent from now on comes live. A look covers a loss only
        if it ran wholly while a link was up (it reads up to its own time, and what was sent
        after it while no link was up would be missed)."""
        with self._lock:
            self._ups += 1
            self._losses_at_up = self._losses

    def discover(self, known: set[str], floor: int = 0) -> list[Discovered]:
        """The conversations to read beside ``known`` (the ``conversationId`` keys already
        followed); when the link was lost since the last look, read the messages sent since
        then first (REST calls), leaving out ids at or below ``floor`` (the newest message
        the caller had seen: anything older was sent while the link was up)."""
        with self._lock:
            lost_at, losses, ups = self._lost_at, self._losses, self._ups
            link_up = self._losses == self._losses_at_up  # no loss since the latest link-up
            if self._floor is not None:
                floor = min(floor, self._floor)
        if lost_at is not None:
            self._look(known, lost_at - SLACK, floor)
            with self._lock:
                # Done with the loss only if a link was up the whole look: no loss, and no
                # other link, meanwhile (else the next look reads it again, from lost_at).
                if link_up and self._losses == losses and self._ups == ups:
                    self._lost_at = None
                    self._floor = None
        with self._lock:
            for key in known:
                self._pending.pop(key, None)
            return sorted(self._pending.values(), key=lambda d: d.after)

    def _look(self, known: set[str], since: int, floor: int) -> None:
        own = self._own_uid()
        after: Optional[int] = None
        while True:
            data = self._list_since(since, after, self.PAGE)
            items = [i for i in data if isinstance(i, dict)] if isinstance(data, list) else []
            for item in items:
                message = BaseMessage.from_json(item)
                after = max(after or 0, message.id)
                found = _conversation_of(message, own) if message.id > floor else None
                if found is not None and found.conversation_id not in known:
                    with self._lock:
                        self._pending.setdefault(found.conversation_id, found)
            if len(items) < self.PAGE or after is None:
                return


def _conversation_of(message: BaseMessage, own: Optional[str]) -> Optional[Discovered]:
    """The conversation ``message`` belongs to, to be read from just before it."""
    if message.id <= 0:
        return None
    if message.receiver_type == "group":
        kind, other = "group", message.receiver_uid
    else:
        other = message.receiver_uid if message.sender_uid == own else message.sender_uid
        kind = "user"
    if not other:
        return None
    key = message.conversation_id or f"{kind}:{other}"
    return Discovered(kind, other, key, message.id - 1)
