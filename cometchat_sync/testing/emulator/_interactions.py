"""Interactive messages: sending them is ``POST messages`` (category ``interactive``); this
module records interactions and tells the conversation when a message's goal is met.

``PATCH messages/{id}/interacted`` with ``{"interactions": [elementId, ...]}`` is what the
official JavaScript SDK 4.2.0 sends for ``markAsInteracted`` (observed traffic); the answer's
``data.message`` is a sentence. Each interaction is kept in the message's
``data.interactions`` (``elementId``, ``interactedAt``). When the message's
``data.interactionGoal`` (``type`` ``anyAction``, ``anyOf``, ``allOf`` or ``none``, and
``elementIds``) becomes met, the participants get one ``interaction_completed`` frame:
``{"messageId", "user", "interactions"}`` with the envelope's ``messageSender``
(https://www.cometchat.com/docs/sdk/javascript/interactive-messages). The sender may interact
only when the message allows it (``data.allowSenderInteraction``).
"""

from __future__ import annotations

import copy
from typing import Any
from typing import Optional

from ._conversations import participants
from ._conversations import require_visible
from ._peer import Outbox
from ._records import JSON
from ._records import ApiError
from ._records import Store
from ._records import bad_request
from ._records import now_s
from ._views import envelope
from ._views import user_json

__all__ = ["GOAL_TYPES", "check_interactive", "goal_met", "mark_interacted"]

GOAL_TYPES = ("anyAction", "anyOf", "allOf", "none")


def check_interactive(data: JSON) -> None:
    """400 unless ``data`` holds an ``interactiveData`` object and a well-formed goal; then
    ``data.interactions`` starts empty."""
    if not isinstance(data.get("interactiveData"), dict):
        raise bad_request({"interactiveData": ["The interactiveData must be an object."]})
    goal = data.get("interactionGoal")
    if goal is not None:
        ids = goal.get("elementIds", []) if isinstance(goal, dict) else None
        if (
            not isinstance(goal, dict)
            or goal.get("type") not in GOAL_TYPES
            or not isinstance(ids, list)
            or not all(isinstance(i, str) for i in ids)
        ):
            raise bad_request(
                {"interactionGoal": [f"The type must be one of {', '.join(GOAL_TYPES)}."]}
            )
    data["interactions"] = []


def goal_met(goal: Any, interactions: list[JSON]) -> bool:
    """Whether ``interactions`` meet ``goal`` (no goal counts as ``none``)."""
    if not isinstance(goal, dict):
        return False
    done = {i.get("elementId") for i in interactions}
    wanted = set(goal.get("elementIds") or [])
    kind = goal.get("type")
    if kind == "anyAction":
        return bool(done)
    if kind == "anyOf":
        return bool(done & wanted)
    if kind == "allOf":
        return bool(wanted) and wanted <= done
    return False


def mark_interacted(
    store: Store, caller: str, device_id: Optional[str], mid: str, body: JSON
) -> tuple[JSON, Outbox]:
    """``PATCH messages/{id}/interacted``."""
    elements = body.get("interactions")
    if (
        not isinstance(elements, list)
        or not elements
        or not all(isinstance(e, str) and e for e in elements)
    ):
        raise bad_request({"interactions": ["Give a list of element ids."]})
    with store.lock:
        msg = store.message(mid)
        require_visible(store, caller, msg)
        if msg["category"] != "interactive":
            raise bad_request({"id": [f"The message {mid} is not an interactive message."]})
        data = msg["data"]
        if msg["sender"] == caller and not data.get("allowSenderInteraction"):
            raise ApiError(
                403,
                "ERR_MESSAGE_NO_ACCESS",
                "The sender cannot interact with this message (allowSenderInteraction).",
            )
        interactions: list[JSON] = data.setdefault("interactions", [])
        before = goal_met(data.get("interactionGoal"), interactions)
        at = now_s()
        interactions.extend({"elementId": e, "interactedAt": at} for e in elements)
        msg["updatedAt"] = at
        store.changed()
        answer = {"message": f"Message {mid} marked as interacted."}
        if before or not goal_met(data.get("interactionGoal"), interactions):
            return answer, []
        frame = envelope(
            store.app.app_id,
            "interaction_completed",
            sender=caller,
            receiver=msg["receiver"],
            receiver_type=msg["receiverType"],
            device_id=device_id,
            message_sender=msg["sender"],
            body={
                "messageId": msg["id"],
                "user": user_json(store, store.users[caller]),
                "interactions": copy.deepcopy(interactions),
            },
        )
        return answer, [(store.peers_of_users(participants(store, msg)), frame)]
