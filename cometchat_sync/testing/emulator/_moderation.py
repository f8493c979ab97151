"""Moderation: holding messages for review, the verdict and its frame, and flagged messages.

As the hosted service does when moderation is on
(https://www.cometchat.com/docs/sdk/javascript/ai-moderation): a text, image or video message
is stored with ``data.moderation.status`` ``"pending"`` and reaches only its sender's
devices (history requests of others leave it out, a disapproved one for good); the verdict
(``approved`` or ``disapproved``) goes to the sender's devices as an
``on_moderation_status_changed`` frame whose body is the message (the official SDKs deliver
it even to the device that sent the message). An approved message then reaches the receivers as an
ordinary ``message`` frame; a disapproved one never does (the emulator's reading of "blocked"
messages in https://www.cometchat.com/docs/rest-api/moderation-apis/approve-blocked-messages).

The verdict comes from :meth:`Moderation.moderate` (``Emulator.moderate``) or at once from a
policy callable given to :meth:`Moderation.enable`. Flags
(https://www.cometchat.com/docs/sdk/javascript/flag-message): ``POST messages/{id}/flagged``
with ``{"id": reasonId, "remark"?}``; the reasons are the settings' ``flagReasons``.
"""

from __future__ import annotations

import copy
import threading
import weakref
from typing import Callable
from typing import Optional

from ._conversations import participants
from ._conversations import require_visible
from ._peer import Outbox
from ._records import JSON
from ._records import Store
from ._records import bad_request
from ._records import now_s
from ._views import envelope

__all__ = ["DEFAULT_FLAG_REASONS", "MODERATED_TYPES", "Moderation", "Policy", "moderation_of"]

#: The message types the hosted service moderates.
MODERATED_TYPES = frozenset({"text", "image", "video"})

#: The flag reasons of a new emulated app (the emulator's choice; an app's own are set in
#: its dashboard).
DEFAULT_FLAG_REASONS: tuple[JSON, ...] = (
    {"id": "spam", "name": "Spam", "description": "Unwanted or repeated promotional content."},
    {"id": "harassment", "name": "Harassment", "description": "Bullying or threats."},
    {"id": "inappropriate", "name": "Inappropriate", "description": "Offensive content."},
)

Policy = Callable[[JSON], Optional[bool]]
"""``policy(message_json)``: ``True`` approves, ``False`` disapproves, ``None`` holds it."""


class Moderation:
    """Which messages wait for a verdict, the verdicts, and the flags of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.enabled = False
        self.policy: Optional[Policy] = None
        self.reasons: list[JSON] = [dict(r, createdAt=0, updatedAt=0) for r in DEFAULT_FLAG_REASONS]
        self.flags: list[JSON] = []

    def enable(self, on: bool, policy: Optional[Policy] = None) -> None:
        with self.store.lock:
            self.enabled = on
            self.policy = policy if on else None

    # -- sending ----------------------------------------------------------------------------

    def hold(self, msg: JSON) -> bool:
        """Mark ``msg`` (not yet stored) pending when moderation applies to it."""
        if not self.enabled or msg["category"] != "message" or msg["type"] not in MODERATED_TYPES:
            return False
        msg["data"]["moderation"] = {"status": "pending"}
        return True

    def after_post(self, msg: JSON, outbox: Outbox, device_id: Optional[str]) -> Outbox:
        """The fan-out of a just-stored message: the sender's devices only while it is
        pending; with a policy, the verdict at once."""
        status = msg["data"].get("moderation", {}).get("status")
        if status != "pending":
            return outbox
        held = [([p for p in peers if p.uid == msg["sender"]], text) for peers, text in outbox]
        if self.policy is None:
            return held
        verdict = self.policy(copy.deepcopy(msg))
        if verdict is None:
            return held
        return held + self._verdict(msg, verdict, device_id)

    def held_from(self, viewer: str) -> Callable[[JSON], bool]:
        """Whether a stored message is hidden from ``viewer``: pending or disapproved, and
        not theirs (the caller holds the store lock)."""

        def held(m: JSON) -> bool:
            data = m.get("data")
            moderation = data.get("moderation") if isinstance(data, dict) else None
            status = moderation.get("status") if isinstance(moderation, dict) else None
            return status in ("pending", "disapproved") and m["sender"] != viewer

        return held

    # -- verdicts ---------------------------------------------------------------------------

    def moderate(self, message_id: str, approved: bool) -> Outbox:
        """Give a pending message its verdict; an ``ApiError`` (404 for an unknown message,
        400 for one not pending) otherwise."""
        store = self.store
        with store.lock:
            msg = store.message(message_id)
            if msg["data"].get("moderation", {}).get("status") != "pending":
                raise bad_request({"id": [f"The message {message_id} is not pending moderation."]})
            return self._verdict(msg, approved, None)

    def _verdict(self, msg: JSON, approved: bool, device_id: Optional[str]) -> Outbox:
        store = self.store
        status = "approved" if approved else "disapproved"
        msg["data"]["moderation"] = {"status": status}
        msg["updatedAt"] = now_s()
        store.changed()
        app_id = store.app.app_id
        common = {
            "sender": msg["sender"],
            "receiver": msg["receiver"],
            "receiver_type": msg["receiverType"],
            "device_id": device_id,
        }
        frame = envelope(app_id, "on_moderation_status_changed", body=msg, **common)
        outbox: Outbox = [(store.peers_of_users([msg["sender"]]), frame)]
        if approved:
            others = [uid for uid in participants(store, msg) if uid != msg["sender"]]
            outbox.append(
                (store.peers_of_users(others), envelope(app_id, "message", body=msg, **common))
            )
        return outbox

    # -- flags ------------------------------------------------------------------------------

    def flag(self, caller: str, mid: str, body: JSON) -> JSON:
        """``POST messages/{id}/flagged``."""
        store = self.store
        with store.lock:
            msg = store.message(mid)
            require_visible(store, caller, msg)
            reason = body.get("id")
            if not isinstance(reason, str) or not reason:
                raise bad_request({"id": ["The reason id is required."]})
            if all(r["id"] != reason for r in self.reasons):
                raise bad_request({"id": [f"The reason id {reason} does not exist."]})
            remark = body.get("remark")
            if remark is not None and not isinstance(remark, str):
                raise bad_request({"remark": ["The remark must be a string."]})
            self.flags.append(
                {
                    "messageId": msg["id"],
                    "uid": caller,
                    "reasonId": reason,
                    "remark": remark,
                    "flaggedAt": now_s(),
                }
            )
            store.changed()
            return {"success": True, "message": f"Message {mid} has been flagged successfully."}

    def flag_reasons(self) -> list[JSON]:
        """The ``flagReasons`` of the settings."""
        with self.store.lock:
            return copy.deepcopy(self.reasons)


_BY_STORE: weakref.WeakKeyDictionary[Store, Moderation] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def moderation_of(store: Store) -> Moderation:
    """The one :class:`Moderation` of ``store`` (made on first use; every domain that needs
    it, the messages and the settings, finds the same one)."""
    with _REGISTRY_LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            found = _BY_STORE[store] = Moderation(store)
        return found
