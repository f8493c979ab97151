"""How records look on the wire: user, group and member JSON, entity wrappers, frame envelopes.

Pure rendering, called with the store lock held; nothing here changes the store. Field names
and the envelope layout follow the REST answers documented at
https://www.cometchat.com/docs/rest-api/chat-apis and the observed traffic of the official SDKs.
"""

from __future__ import annotations

import copy
import json
from typing import Optional

from ._records import JSON
from ._records import GroupRec
from ._records import Store
from ._records import UserRec

__all__ = [
    "envelope",
    "group_json",
    "member_json",
    "receiver_entity",
    "user_entity",
    "user_json",
]


def user_json(store: Store, rec: UserRec, status: Optional[str] = None) -> JSON:
    """A User; ``status`` is ``online`` while the user has a socket, unless given."""
    out: JSON = {"uid": rec.uid, "name": rec.name}
    if rec.avatar:
        out["avatar"] = rec.avatar
    if rec.link:
        out["link"] = rec.link
    out["role"] = rec.role
    if rec.metadata is not None:
        out["metadata"] = copy.deepcopy(rec.metadata)
    out["status"] = status or ("online" if store.online(rec.uid) else "offline")
    if rec.status_message:
        out["statusMessage"] = rec.status_message
    if rec.last_active_at is not None:
        out["lastActiveAt"] = rec.last_active_at
    out["createdAt"] = rec.created_at
    if rec.tags:
        out["tags"] = list(rec.tags)
    return out


def group_json(g: GroupRec, viewer: Optional[str] = None) -> JSON:
    """A Group; with a ``viewer``, also ``hasJoined`` and the viewer's scope and join time."""
    out: JSON = {"guid": g.guid, "name": g.name, "type": g.type}
    if g.description is not None:
        out["description"] = g.description
    if g.icon is not None:
        out["icon"] = g.icon
    out["owner"] = g.owner
    out["membersCount"] = len(g.members)
    out["createdAt"] = g.created_at
    if g.metadata is not None:
        out["metadata"] = copy.deepcopy(g.metadata)
    if g.tags:
        out["tags"] = list(g.tags)
    if viewer is not None:
        member = g.members.get(viewer)
        out["hasJoined"] = member is not None
        if member is not None:
            out["scope"] = member.scope
            out["joinedAt"] = member.joined_at
    return out


def member_json(store: Store, g: GroupRec, uid: str) -> JSON:
    """A GroupMember: the user plus ``scope`` and ``joinedAt``."""
    out = user_json(store, store.users[uid])
    member = g.members[uid]
    out["scope"] = member.scope
    out["joinedAt"] = member.joined_at
    return out


def user_entity(store: Store, uid: str) -> JSON:
    """``{"entity": <User>, "entityType": "user"}`` as in a message's ``data.entities``."""
    return {"entity": user_json(store, store.users[uid]), "entityType": "user"}


def receiver_entity(store: Store, receiver: str, receiver_type: str) -> JSON:
    """The entity wrapper of a message's receiver: a user or a group."""
    if receiver_type == "group":
        return {"entity": group_json(store.groups[receiver]), "entityType": "group"}
    return user_entity(store, receiver)


def envelope(
    app_id: str,
    kind: str,
    *,
    sender: str,
    receiver: Optional[str],
    receiver_type: Optional[str],
    device_id: Optional[str],
    body: JSON,
    message_sender: Optional[str] = None,
) -> str:
    """One server frame, serialised: ``appId, receiver?, receiverType?, deviceId?, type, sender,
    messageSender?, body`` (absent keys are left out)."""
    frame: JSON = {"appId": app_id}
    if receiver is not None:
        frame["receiver"] = receiver
    if receiver_type is not None:
        frame["receiverType"] = receiver_type
    if device_id is not None:
        frame["deviceId"] = device_id
    frame["type"] = kind
    frame["sender"] = sender
    if message_sender is not None:
        frame["messageSender"] = message_sender
    frame["body"] = body
    return json.dumps(frame)
