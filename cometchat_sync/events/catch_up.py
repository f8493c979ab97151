"""The catch-up: fetch over REST, in order, what conversations received while they could not
be delivered live, and hand each message to delivery.

It runs on the dispatcher thread (a REST call per page of 100), so live events wait behind
it and stay in order. It reports one of three outcomes:

* ``DONE``: every conversation was read to its end (or the server said it cannot be read by
  this user: HTTP 403 or 404, e.g. the user left the group; that one is given up, with an
  INFO log);
* ``RETRY``: any other failure (no network, a timeout, a 5xx answer, rate limiting, an answer
  this SDK does not understand, ...). That conversation and the ones not reached yet are
  marked gapped in the ledger: their live messages are held until a later catch-up fills the
  gap. A page too large for ``max_response_size`` is asked for again at half the size (down
  to one message) before that;
* ``CANCELLED``: the session or link it ran for ended; nothing more of it is delivered.
"""

from __future__ import annotations

import enum
import logging
from typing import Any
from typing import Callable

from ..errors import CometChatException
from ..errors import ErrorCode
from .ledger import Conversation
from .ledger import MessageLedger
from .router import Event
from .router import route

__all__ = ["PAGE", "CatchUp", "FetchPage", "Outcome"]

log = logging.getLogger(__name__)

PAGE = 100
FetchPage = Callable[[Conversation, int, int], Any]
"""``fetch(conversation, after_id, per_page)``: the JSON list of its messages after
``after_id``, oldest first."""

# HTTP statuses that say this user cannot read the conversation at all: given up. Every
# other failure keeps the gap (giving up on an error we do not understand would lose it).
_CANNOT_READ_STATUSES = frozenset({403, 404})
# The session is over: nothing more of it is fetched or delivered.
_SESSION_OVER_CODES = frozenset({ErrorCode.NOT_LOGGED_IN, ErrorCode.AUTH_TOKEN_NOT_FOUND})


class Outcome(enum.Enum):
    DONE = "done"
    RETRY = "retry"
    CANCELLED = "cancelled"


class CatchUp:
    """Catch-ups over one ledger; ``fetches`` and ``failures`` count REST pages asked for
    and failed, ``messages`` the messages they brought (written on the dispatcher thread
    only)."""

    def __init__(self, ledger: MessageLedger, fetch: FetchPage) -> None:
        self._ledger = ledger
        self._fetch = fetch
        self.fetches = 0
        self.failures = 0
        self.messages = 0

    def run(
        self,
        conversations: list[Conversation],
        current: Callable[[], bool],
        deliver: Callable[[Event], None],
    ) -> Outcome:
        """Catch ``conversations`` up, one after the other, while ``current()`` holds;
        ``deliver(event)`` hands each fetched message on, in order of id."""
        for index, conversation in enumerate(conversations):
            outcome = self._one(conversation, current, deliver)
            if outcome is Outcome.RETRY:
                for rest in conversations[index + 1 :]:
                    self._ledger.mark_gapped(rest.key)
            if outcome is not Outcome.DONE:
                return outcome
        return Outcome.DONE

    def _one(
        self,
        conversation: Conversation,
        current: Callable[[], bool],
        deliver: Callable[[Event], None],
    ) -> Outcome:
        marks = self._ledger.gap_marks(conversation.key)
        after = conversation.watermark
        per_page = PAGE
        while True:
            if not current():
                return Outcome.CANCELLED
            self.fetches += 1
            try:
                page = self._fetch(conversation, after, per_page)
            except CometChatException as exc:
                self.failures += 1
                if exc.code == ErrorCode.RESPONSE_TOO_LARGE and per_page > 1:
                    per_page = max(1, per_page // 2)  # large messages: smaller pages
                    continue
                return self._failed(conversation, exc)
            except Exception:  # not a REST error: a bug; keep the gap, try again later
                self.failures += 1
                log.exception("catch-up of %r failed", conversation)
                self._ledger.mark_gapped(conversation.key)
                return Outcome.RETRY
            if not current():  # the page of an ended session or link: dropped unread
                return Outcome.CANCELLED
            items = [i for i in page if isinstance(i, dict)] if isinstance(page, list) else []
            own_uid = self._ledger.own_uid
            self.messages += len(items)
            for item in items:
                for event in route({"type": "message", "body": item}, "", own_uid=own_uid):
                    deliver(event)
                after = max(after, _int_id(item))
            self._ledger.advance(conversation, after)
            if len(items) < per_page:
                break
        self._ledger.filled(conversation.key, marks)
        return Outcome.DONE

    def _failed(self, conversation: Conversation, exc: CometChatException) -> Outcome:
        if exc.code in _SESSION_OVER_CODES:
            return Outcome.CANCELLED
        status = exc.details.get("status")
        if status in _CANNOT_READ_STATUSES:
            # This conversation cannot be read (the user left the group, ...): given up.
            log.info("catch-up gave up %r (%s)", conversation, exc.code)
            self._ledger.filled(conversation.key, self._ledger.gap_marks(conversation.key))
            return Outcome.DONE
        why = (
            "a single message is larger than max_response_size"
            if exc.code == ErrorCode.RESPONSE_TOO_LARGE
            else exc.code
        )
        log.warning("catch-up of %r failed (%s); the gap stays until a retry", conversation, why)
        self._ledger.mark_gapped(conversation.key)
        return Outcome.RETRY


def _int_id(item: dict[str, Any]) -> int:
    try:
        return int(item.get("id", 0))
    except (TypeError, ValueError, OverflowError):
        return 0
