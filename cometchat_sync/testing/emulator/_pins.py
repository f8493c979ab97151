"""Pinning and saving messages: ``POST``/``DELETE messages/{id}/pin`` and
``POST``/``DELETE messages/{id}/save`` (the paths of the official JavaScript SDK's observed
traffic; the rules are those of https://www.cometchat.com/docs/sdk/javascript/pin-message
and of the SDK's type declarations for saves). In a one-to-one conversation both users may pin.

* A pin is conversation-wide: the message gets ``pinnedAt`` and ``pinnedBy`` (kept in its
  views and history) and every participant's sockets get a ``message_pin_save`` frame with
  ``body.action`` ``pinned`` (``unpinned``) and ``body.message``. In a group only the owner,
  admins and moderators may pin or unpin; a participant gets 403 ``ERR_ACTION_NOT_ALLOWED``.
  Pinning again moves ``pinnedAt``/``pinnedBy`` to the latest pinner.
* A save is the caller's own bookmark: the answer (and the frame to the caller's other
  devices, action ``saved``/``unsaved``) carries ``savedAt``; nobody else sees it.
* Both are idempotent; an unpin or unsave that changes nothing sends no frame. Every answer
  is the whole message as the caller sees it.
"""

from __future__ import annotations

from typing import Optional

from ._conversations import message_view
from ._conversations import participants
from ._conversations import require_visible
from ._peer import Outbox
from ._records import JSON
from ._records import ApiError
from ._records import Store
from ._records import now_s
from ._views import envelope

__all__ = ["Pins"]

FRAME_TYPE = "message_pin_save"
_PINNERS = ("admin", "moderator")


class Pins:
    """The pins (on the messages themselves) and every user's saved messages of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._saved: dict[str, dict[int, int]] = {}  # uid -> message id -> savedAt

    def _view(self, msg: JSON, viewer: str) -> JSON:
        out = message_view(self.store, msg, viewer)
        saved_at = self._saved.get(viewer, {}).get(int(msg["id"]))
        if saved_at is not None:
            out["savedAt"] = saved_at
        return out

    def _frame(self, msg: JSON, by: str, device_id: Optional[str], action: str) -> str:
        return envelope(
            self.store.app.app_id,
            FRAME_TYPE,
            sender=by,
            receiver=msg["receiver"],
            receiver_type=msg["receiverType"],
            device_id=device_id,
            body={"action": action, "message": self._view(msg, by)},
        )

    def pin(self, caller: str, device_id: Optional[str], mid: str, on: bool) -> tuple[JSON, Outbox]:
        """Pin (``on``) or unpin a message for everyone in its conversation."""
        store = self.store
        with store.lock:
            msg = store.message(mid)
            require_visible(store, caller, msg)
            if msg["receiverType"] == "group":
                g = store.groups[msg["receiver"]]
                member = g.members.get(caller)
                if g.owner != caller and (member is None or member.scope not in _PINNERS):
                    raise ApiError(
                        403,
                        "ERR_ACTION_NOT_ALLOWED",
                        f"Only the admins and moderators of {g.guid} may pin its messages.",
                    )
            changed = on or "pinnedAt" in msg
            if on:
                msg["pinnedAt"] = now_s()
                msg["pinnedBy"] = caller
            else:
                msg.pop("pinnedAt", None)
                msg.pop("pinnedBy", None)
            store.changed()
            outbox: Outbox = []
            if changed:
                text = self._frame(msg, caller, device_id, "pinned" if on else "unpinned")
                outbox = [(store.peers_of_users(participants(store, msg)), text)]
            return self._view(msg, caller), outbox

    def save(
        self, caller: str, device_id: Optional[str], mid: str, on: bool
    ) -> tuple[JSON, Outbox]:
        """Save (``on``) or unsave a message for the caller alone."""
        store = self.store
        with store.lock:
            msg = store.message(mid)
            require_visible(store, caller, msg)
            mine = self._saved.setdefault(caller, {})
            key = int(msg["id"])
            changed = on != (key in mine)
            if on:
                mine.setdefault(key, now_s())
            else:
                mine.pop(key, None)
            store.changed()
            outbox: Outbox = []
            if changed:
                text = self._frame(msg, caller, device_id, "saved" if on else "unsaved")
                outbox = [(store.peers_of_users([caller]), text)]
            return self._view(msg, caller), outbox
