"""What blocking a user changes, beside the blocked-users list itself (``POST``/``DELETE
blockedusers`` and ``GET blockedusers`` live in :mod:`._lists`).

Between two users where either has blocked the other:

* a message from one to the other is refused with 403 ``ERR_BLOCKED_RECEIVER`` (the code of
  https://www.cometchat.com/docs/articles/error-guide), whichever of the two blocked: the
  official UI kits describe blocking as "Blocked users cannot send messages to the blocker"
  and hide the blocker's composer (https://www.cometchat.com/docs/ui-kit/android/guide-block-unblock-user);
* neither hears the other's presence nor typing (their sockets are left out of the fan-out);
* a user's JSON as the other sees it carries ``blockedByMe``/``hasBlockedMe`` (see
  :func:`blocked_flags`).

Every function here is called with the store lock held.
"""

from __future__ import annotations

from ._records import JSON
from ._records import ApiError
from ._records import Store

__all__ = ["blocked_either", "blocked_flags", "require_not_blocked"]


def blocked_either(store: Store, a: str, b: str) -> bool:
    """Whether ``a`` blocked ``b`` or ``b`` blocked ``a`` (lower-case uids)."""
    blocked = store.chat.blocked
    return b in blocked.get(a, ()) or a in blocked.get(b, ())


def require_not_blocked(store: Store, sender: str, receiver: str) -> None:
    """403 ``ERR_BLOCKED_RECEIVER`` when a 1:1 message from ``sender`` to ``receiver``
    crosses a block, in either direction."""
    if blocked_either(store, sender, receiver):
        raise ApiError(
            403,
            "ERR_BLOCKED_RECEIVER",
            f"The user {sender} cannot message {receiver}: one of them has blocked the other.",
        )


def blocked_flags(store: Store, viewer: str, user: JSON) -> JSON:
    """``user`` (a user's JSON) with ``blockedByMe`` and ``hasBlockedMe`` as ``viewer``
    sees them; returns the same dict."""
    blocked = store.chat.blocked
    user["blockedByMe"] = user["uid"] in blocked.get(viewer, ())
    user["hasBlockedMe"] = viewer in blocked.get(user["uid"], ())
    return user
