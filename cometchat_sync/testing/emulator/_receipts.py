"""Read and delivery state: what each user has read or received, per conversation, and the
receipts of each message.

Called with the store lock held. A user's marks live in :class:`~._records.ChatState`:
``read``/``delivered`` (the highest message id per conversation) and ``receipts`` (per message
and recipient, ``[deliveredAt, readAt]``). They change through ``POST .../conversation/read``,
``.../delivered``, ``DELETE .../conversation/read`` (mark unread) and ``receipts`` frames sent
over the socket; unread counts, the ``unread`` history filter and the receipts of
``GET messages/{id}`` are read from them. Paths and shapes follow the observed traffic of the
official JavaScript SDK and https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from ._records import JSON
from ._records import Store
from ._records import bad_request
from ._records import membership_error
from ._records import message_not_found
from ._records import now_s
from ._views import user_json

__all__ = [
    "conversation_of",
    "counts_as_unread",
    "in_view",
    "mark",
    "mark_unread",
    "receipt_fields",
    "receipts_json",
    "record_socket_receipt",
    "unread_counts",
]

_DELIVERED, _READ = 0, 1


def conversation_of(store: Store, uid: str, kind: str, target: str) -> str:
    """The conversation id of ``uid`` with the user or group ``target`` (checked: the user
    must exist; a group must exist and have ``uid`` as member)."""
    if kind == "group":
        g = store.group(target)
        if uid not in g.members:
            raise membership_error(403, "ERR_GROUP_NOT_JOINED", uid, g.guid, "has not joined")
        return f"group_{g.guid}"
    other = store.user(target).uid
    lo, hi = sorted((uid, other))
    return f"{lo}_user_{hi}"


def in_view(store: Store, uid: str, msg: JSON) -> bool:
    """Whether ``msg`` is still in ``uid``'s history (not in a conversation they deleted)."""
    cleared = store.chat.cleared.get((uid, msg["conversationId"]), 0)
    return int(msg["id"]) > cleared


def counts_as_unread(store: Store, uid: str, msg: JSON, hide_blocked: bool = False) -> bool:
    """Whether ``msg`` is unread by ``uid``: a message or custom message of someone else, not
    a thread reply, not deleted, newer than what ``uid`` read and not hidden from them."""
    if msg["category"] not in ("message", "custom") or msg["sender"] == uid:
        return False
    if "parentId" in msg or "deletedAt" in msg or not in_view(store, uid, msg):
        return False
    if hide_blocked and msg["sender"] in store.chat.blocked.get(uid, ()):
        return False
    return int(msg["id"]) > store.chat.read.get((uid, msg["conversationId"]), 0)


def _messages_of(store: Store, conv: str) -> list[JSON]:
    return [m for m in store.messages if m["conversationId"] == conv]


def mark(store: Store, uid: str, conv: str, upto: Optional[int], read: bool) -> None:
    """``uid`` received (and, with ``read``, read) every message of ``conv`` up to ``upto``
    (every message when ``None``): raise the marks and fill the receipts' times."""
    messages = _messages_of(store, conv)
    if upto is None:
        upto = max((int(m["id"]) for m in messages), default=0)
    t = now_s()
    chat = store.chat
    key = (uid, conv)
    chat.delivered[key] = max(chat.delivered.get(key, 0), upto)
    if read:
        chat.read[key] = max(chat.read.get(key, 0), upto)
    for m in messages:
        mid = int(m["id"])
        if mid > upto or m["sender"] == uid or m["category"] not in ("message", "custom"):
            continue
        times = chat.receipts.setdefault(mid, {}).setdefault(uid, [None, None])
        if times[_DELIVERED] is None:
            times[_DELIVERED] = t
        if read and times[_READ] is None:
            times[_READ] = t
    store.changed()


def mark_unread(store: Store, uid: str, conv: str, body: JSON) -> None:
    """``DELETE .../conversation/read`` with ``messageId``: that message and every later one
    of the conversation become unread by ``uid``."""
    raw = body.get("messageId")
    try:
        mid = int(raw) if isinstance(raw, (int, str)) and not isinstance(raw, bool) else 0
    except ValueError:
        mid = 0
    if mid <= 0:
        raise bad_request({"messageId": ["The messageId field is required."]})
    msg = store.msg_by_id.get(mid)
    if msg is None or msg["conversationId"] != conv:
        raise message_not_found(str(raw))
    if msg["sender"] == uid:
        raise bad_request({"messageId": ["A user's own message cannot be marked as unread."]})
    chat = store.chat
    chat.read[(uid, conv)] = min(chat.read.get((uid, conv), 0), mid - 1)
    for m in _messages_of(store, conv):
        times = chat.receipts.get(int(m["id"]), {}).get(uid)
        if int(m["id"]) >= mid and times is not None:
            times[_READ] = None
    store.changed()


def record_socket_receipt(store: Store, uid: str, frame: JSON) -> None:
    """A ``receipts`` frame from ``uid``'s socket (``markAsRead``/``markAsDelivered``): store
    it as a mark up to its ``messageId`` in that message's conversation."""
    body = frame.get("body")
    if not isinstance(body, dict):
        return
    action = body.get("action")
    try:
        mid = int(body.get("messageId", 0))
    except (TypeError, ValueError):
        return
    msg = store.msg_by_id.get(mid)
    if msg is None or action not in ("read", "delivered"):
        return
    group = store.groups.get(msg["receiver"]) if msg["receiverType"] == "group" else None
    if uid not in (group.members if group is not None else (msg["sender"], msg["receiver"])):
        return
    mark(store, uid, msg["conversationId"], mid, read=action == "read")


def receipt_fields(store: Store, msg: JSON, viewer: str) -> JSON:
    """The receipt times ``viewer`` sees on ``msg``: its sender sees ``deliveredAt``/``readAt``
    once every recipient has them; a recipient sees their own as
    ``deliveredToMeAt``/``readByMeAt``."""
    times = store.chat.receipts.get(int(msg["id"]), {})
    out: JSON = {}
    if viewer != msg["sender"]:
        mine = times.get(viewer)
        if mine is not None:
            for slot, key in ((_DELIVERED, "deliveredToMeAt"), (_READ, "readByMeAt")):
                if mine[slot] is not None:
                    out[key] = mine[slot]
        return out
    if msg["receiverType"] == "group":
        g = store.groups.get(msg["receiver"])
        recipients = [u for u in (g.members if g else ()) if u != viewer]
    else:
        recipients = [msg["receiver"]]
    for slot, key in ((_DELIVERED, "deliveredAt"), (_READ, "readAt")):
        stamps = [times.get(u, [None, None])[slot] for u in recipients]
        if recipients and all(s is not None for s in stamps):
            out[key] = max(s for s in stamps if s is not None)
    return out


def receipts_json(store: Store, msg: JSON, viewer: str) -> JSON:
    """``{"data": [...]}``: one entry per recipient with a receipt (``recipient``,
    ``messageId``, ``deliveredAt``, ``readAt``); a recipient sees only their own."""
    items: list[JSON] = []
    for uid, (delivered, read) in store.chat.receipts.get(int(msg["id"]), {}).items():
        if viewer not in (msg["sender"], uid) or uid not in store.users:
            continue
        item: JSON = {"recipient": user_json(store, store.users[uid]), "messageId": msg["id"]}
        if delivered is not None:
            item["deliveredAt"] = delivered
        if read is not None:
            item["readAt"] = read
        items.append(item)
    return {"data": items}


def unread_counts(
    store: Store, uid: str, kind: str, target: Optional[str], query: dict[str, Any]
) -> list[JSON]:
    """The answer of ``GET messages?unread=1&count=1`` (all of ``uid``'s conversations,
    ``receiverType`` narrowing it) and of the same on ``users/{uid}/messages`` or
    ``groups/{guid}/messages``: ``[{entityId, entityType, count}]``, non-zero counts only."""
    hide = str(query.get("hideMessagesFromBlockedUsers", "0")).lower() in ("1", "true")
    only_conv = conversation_of(store, uid, kind, target) if target is not None else None
    only_type = query.get("receiverType") if kind == "all" else None
    counts: dict[tuple[str, str], int] = {}
    for m in store.messages:
        if only_conv is not None and m["conversationId"] != only_conv:
            continue
        if only_type in ("user", "group") and m["receiverType"] != only_type:
            continue
        if m["receiverType"] == "group":
            g = store.groups.get(m["receiver"])
            if g is None or uid not in g.members:
                continue
            entity = ("group", m["receiver"])
        elif uid in (m["sender"], m["receiver"]):
            entity = ("user", m["sender"] if m["receiver"] == uid else m["receiver"])
        else:
            continue
        if counts_as_unread(store, uid, m, hide):
            counts[entity] = counts.get(entity, 0) + 1
    return [
        {"entityId": key, "entityType": etype, "count": count}
        for (etype, key), count in counts.items()
    ]
