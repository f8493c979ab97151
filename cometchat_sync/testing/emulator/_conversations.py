"""Messages as every domain posts them (ids, conversations, visibility, storing, fan-out),
how a viewer sees one (reactions, receipts) and which ones a history request covers.

Plain messages, edit/delete actions, group-member actions and call steps are all messages with
one global increasing id. The helpers here, called with the store lock held, build a message,
store it, and fan it out as a ``message`` frame to every socket of its participants (both
sides of a 1:1, every member of a group) plus any extra users, the sender's own sockets
included: the ``deviceId`` of the frame lets the sender's SDK drop its own echo (observed
traffic of the official SDKs). :func:`history_filter` applies the history filters of
https://www.cometchat.com/docs/sdk/javascript/additional-message-filtering. The conversation
list built from the messages is in :mod:`._conversation_list`.
"""

from __future__ import annotations

import copy
from typing import Callable
from typing import Optional

from ._params import choice
from ._params import csv_param
from ._params import truthy
from ._peer import Outbox
from ._receipts import counts_as_unread
from ._receipts import in_view
from ._receipts import receipt_fields
from ._records import JSON
from ._records import ApiError
from ._records import Store
from ._records import bad_request
from ._records import membership_error
from ._records import now_s
from ._views import envelope

__all__ = [
    "can_see",
    "conversation_id",
    "history_filter",
    "message_view",
    "new_message",
    "participants",
    "post",
    "require_visible",
    "resolve_receiver",
]


def conversation_id(receiver_type: str, a: str, b: str) -> str:
    """``{uidA}_user_{uidB}`` (sorted) for 1:1, ``group_{guid}`` for groups (``b`` = guid)."""
    if receiver_type == "group":
        return f"group_{b}"
    lo, hi = sorted((a, b))
    return f"{lo}_user_{hi}"


def participants(store: Store, msg: JSON) -> list[str]:
    """Who sees a message: both sides of a 1:1, every member of a group."""
    if msg["receiverType"] == "group":
        g = store.groups.get(msg["receiver"])
        return list(g.members) if g is not None else []
    return [msg["sender"], msg["receiver"]]


def can_see(store: Store, uid: str, msg: JSON) -> bool:
    if msg["receiverType"] == "group":
        g = store.groups.get(msg["receiver"])
        return g is not None and uid in g.members
    return uid in (msg["sender"], msg["receiver"])


def require_visible(store: Store, uid: str, msg: JSON) -> None:
    """403 ``ERR_MESSAGE_NO_ACCESS`` unless ``uid`` can see ``msg``."""
    if not can_see(store, uid, msg):
        raise ApiError(403, "ERR_MESSAGE_NO_ACCESS", "You cannot access this message.")


def resolve_receiver(store: Store, sender: str, body: JSON) -> tuple[str, str]:
    """``(receiver, receiverType)`` of a send or a call; a group needs ``sender`` as member."""
    receiver = body.get("receiver")
    if receiver is None or (isinstance(receiver, str) and not receiver.strip()):
        raise ApiError(400, "ERR_EMPTY_RECEIVER", "The receiver field is empty.")
    if not isinstance(receiver, str):
        raise bad_request({"receiver": ["The receiver must be a string."]})
    receiver_type = choice(
        body, "receiverType", ("user", "group"), default="user", code="ERR_INVALID_RECEIVER_TYPE"
    )
    if receiver_type == "user":
        return store.user(receiver).uid, "user"
    g = store.group(receiver)
    if sender not in g.members:
        raise membership_error(403, "ERR_NOT_A_MEMBER", sender, g.guid, "is not a member of")
    return g.guid, "group"


def new_message(
    store: Store,
    sender: str,
    receiver: str,
    receiver_type: str,
    *,
    category: str,
    type_: str,
    data: JSON,
) -> JSON:
    """A new message with the next id, not yet stored."""
    t = now_s()
    return {
        "id": str(next(store.message_ids)),
        "conversationId": conversation_id(receiver_type, sender, receiver),
        "sender": sender,
        "receiver": receiver,
        "receiverType": receiver_type,
        "category": category,
        "type": type_,
        "data": data,
        "sentAt": t,
        "updatedAt": t,
    }


def post(
    store: Store, msg: JSON, device_id: Optional[str], extra_uids: tuple[str, ...] = ()
) -> Outbox:
    """Store ``msg`` and return its fan-out to the participants and ``extra_uids``."""
    store.messages.append(msg)
    store.msg_by_id[int(msg["id"])] = msg
    store.changed()
    text = envelope(
        store.app.app_id,
        "message",
        sender=msg["sender"],
        receiver=msg["receiver"],
        receiver_type=msg["receiverType"],
        device_id=device_id,
        body=msg,
    )
    return [(store.peers_of_users([*participants(store, msg), *extra_uids]), text)]


def message_view(store: Store, msg: JSON, viewer: str) -> JSON:
    """A copy of ``msg`` as ``viewer`` sees it: with its reaction counts (``reaction``,
    ``count``, ``reactedByMe``) in ``data.reactions``, where the official SDKs read them
    (observed: their ``getReactions()`` reads the message's data), and, as the emulator's
    earlier answers had them, in ``reactions``."""
    out = copy.deepcopy(msg)
    recs = store.reactions.get(int(msg["id"]))
    if recs:
        counts: dict[str, list[int]] = {}
        for r in recs:
            entry = counts.setdefault(r.reaction, [0, 0])
            entry[0] += 1
            if r.uid == viewer:
                entry[1] = 1
        out["reactions"] = [
            {"reaction": k, "count": v[0], "reactedByMe": bool(v[1])} for k, v in counts.items()
        ]
        if isinstance(out.get("data"), dict):
            out["data"]["reactions"] = copy.deepcopy(out["reactions"])
    out.update(receipt_fields(store, msg, viewer))
    return out


def _text(msg: JSON) -> str:
    data = msg.get("data")
    text = data.get("text") if isinstance(data, dict) else None
    return text if isinstance(text, str) else ""


def history_filter(store: Store, caller: str, query: dict[str, str]) -> Callable[[JSON], bool]:
    """Which messages the filters of a history request keep for ``caller``: not in a
    conversation they deleted, and ``unread``, ``searchKey``, ``updatedAt``/``onlyUpdates``,
    ``tags``, ``hasAttachments``, ``hasLinks``, ``hasMentions``, ``hasReactions`` and
    ``hideMessagesFromBlockedUsers`` when given."""
    unread = truthy(query.get("unread"))
    search = (query.get("searchKey") or "").lower()
    tags = csv_param(query, "tags")
    blocked = (
        store.chat.blocked.get(caller, set())
        if truthy(query.get("hideMessagesFromBlockedUsers"))
        else set()
    )
    updated_after = _epoch_param(query, "updatedAt")
    only_updates = truthy(query.get("onlyUpdates"))
    wants = {
        k
        for k in ("hasAttachments", "hasLinks", "hasMentions", "hasReactions")
        if truthy(query.get(k))
    }

    def keep(m: JSON) -> bool:
        if not in_view(store, caller, m) or m["sender"] in blocked:
            return False
        if unread and not counts_as_unread(store, caller, m):
            return False
        if search and search not in _text(m).lower():
            return False
        if tags is not None and not tags.intersection(m.get("tags") or ()):
            return False
        if updated_after is not None and int(m.get("updatedAt", 0)) < updated_after:
            return False
        if only_updates and "editedAt" not in m and "deletedAt" not in m:
            return False
        return all(_has(store, m, want) for want in wants)

    return keep


def _has(store: Store, m: JSON, want: str) -> bool:
    raw = m.get("data")
    data: JSON = raw if isinstance(raw, dict) else {}
    if want == "hasAttachments":
        return bool(data.get("attachments") or data.get("url"))
    if want == "hasLinks":
        return "http://" in _text(m) or "https://" in _text(m)
    if want == "hasMentions":
        return "<@uid:" in _text(m) or bool(m.get("mentionedUsers"))
    return bool(store.reactions.get(int(m["id"])))


def _epoch_param(query: dict[str, str], key: str) -> Optional[int]:
    raw = query.get(key)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise bad_request({key: [f"The {key} must be an integer."]}) from None
