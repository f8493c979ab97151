"""Calls: starting a call and moving it through its statuses, each step a ``call`` message.

``POST calls`` creates a call session (``initiated``) and ``PUT calls/{sessionid}`` sets its
status (ongoing, rejected, cancelled, ended, busy, unanswered; a final status cannot change).
Every step is stored as a message of category ``call`` with ``data.action`` = the status and
the call as ``data.entities.on``, fanned out to the conversation and the initiator (observed
traffic of the official SDKs). ``data.entities.by`` and the message's sender are whoever made
the step; the call entity's own ``data.entities.sender``/``receiver`` are always the initiator
and the callee (user or group), which is where the official SDKs read them.
"""

from __future__ import annotations

import copy
import secrets
from typing import Optional

from ._conversations import conversation_id
from ._conversations import new_message
from ._conversations import post
from ._conversations import resolve_receiver
from ._params import choice
from ._peer import Outbox
from ._records import JSON
from ._records import ApiError
from ._records import CallRec
from ._records import Store
from ._records import no_access
from ._records import now_s
from ._views import receiver_entity
from ._views import user_entity

__all__ = ["Calls"]

_CALL_TYPES = ("audio", "video")
_CALL_STATUSES = ("ongoing", "rejected", "cancelled", "ended", "busy", "unanswered")
_CALL_FINAL = ("rejected", "cancelled", "ended", "busy", "unanswered")


class Calls:
    """The call sessions of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _step_message(self, call: CallRec, actor: str) -> JSON:
        """The ``call`` message of ``actor`` for the call's current status (not yet stored)."""
        store = self.store
        if call.receiver_type == "group":
            other = call.receiver
        else:
            other = call.receiver if actor == call.initiator else call.initiator
        on_entity: JSON = {
            "sessionid": call.sessionid,
            "status": call.status,
            "type": call.type,
            "initiator": call.initiator,
            "receiver": call.receiver,
            "receiverType": call.receiver_type,
            "initiatedAt": call.initiated_at,
            # Who started the call and whom it is for, whoever made this step (the official
            # SDKs read the call's initiator and receiver from here).
            "data": {
                "entities": {
                    "sender": user_entity(store, call.initiator),
                    "receiver": receiver_entity(store, call.receiver, call.receiver_type),
                }
            },
        }
        if call.joined_at is not None:
            on_entity["joinedAt"] = call.joined_at
        data: JSON = {
            "action": call.status,
            "entities": {
                "sender": user_entity(store, actor),
                "receiver": receiver_entity(store, other, call.receiver_type),
                "by": user_entity(store, actor),
                "for": receiver_entity(store, other, call.receiver_type),
                "on": {"entity": on_entity, "entityType": "call"},
            },
        }
        msg = new_message(
            store, actor, other, call.receiver_type, category="call", type_=call.type, data=data
        )
        if call.receiver_type == "user":
            msg["conversationId"] = conversation_id("user", call.initiator, call.receiver)
        return msg

    def _step(self, call: CallRec, actor: str, device_id: Optional[str]) -> tuple[JSON, Outbox]:
        """Post the step message to the conversation and the initiator."""
        msg = self._step_message(call, actor)
        outbox = post(self.store, msg, device_id, extra_uids=(call.initiator,))
        return copy.deepcopy(msg), outbox

    def initiate(self, caller: str, device_id: Optional[str], body: JSON) -> tuple[JSON, Outbox]:
        """``POST calls``: ``receiver``, ``receiverType`` and ``type`` (audio or video)."""
        type_ = choice(body, "type", _CALL_TYPES)
        store = self.store
        with store.lock:
            receiver, receiver_type = resolve_receiver(store, caller, body)
            app = store.app
            sessionid = f"v1.{app.region}.{app.app_id}.{now_s()}{secrets.token_hex(16)}"
            call = CallRec(sessionid, caller, receiver, receiver_type, type_, "initiated", now_s())
            store.calls[sessionid] = call
            return self._step(call, caller, device_id)

    def update(
        self, caller: str, device_id: Optional[str], sessionid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        """``PUT calls/{sessionid}`` with ``status``, by a party to the call."""
        status = choice(body, "status", _CALL_STATUSES)
        store = self.store
        with store.lock:
            call = store.calls.get(sessionid)
            if call is None:
                raise ApiError(
                    404, "ERR_CALL_SESSION_NOT_FOUND", f"The call {sessionid} does not exist."
                )
            party = caller in (call.initiator, call.receiver) or (
                call.receiver_type == "group" and caller in store.groups[call.receiver].members
            )
            if not party:
                raise no_access(f"update the call {sessionid}")
            if call.status in _CALL_FINAL:
                raise ApiError(
                    400,
                    "ERR_CALL_TERMINATED",
                    "The call has ended. Cannot update the status of a terminated call.",
                )
            call.status = status
            if status == "ongoing" and call.joined_at is None:
                call.joined_at = now_s()
            return self._step(call, caller, device_id)
