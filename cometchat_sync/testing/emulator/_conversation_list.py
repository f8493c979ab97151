"""Conversations: each user's list of conversations, built from the stored messages, and the
calls on one conversation (fetch, tag, delete, mark read, delivered or unread).

A user's conversation with another user or a group exists once a message is in it; its
``lastMessage`` is the newest message (thread replies and edit/delete actions aside), its
``unreadMessageCount`` counts what :func:`~._receipts.counts_as_unread` counts, and the list
is ordered by the newest message first. Deleting a conversation hides its messages from that
user until a new one arrives. Because everything is computed from the messages under the
store lock, conversations and unread counts always agree with what was sent. Shapes follow
https://www.cometchat.com/docs/rest-api/conversations and the conversation the official
JavaScript SDK reads.
"""

from __future__ import annotations

from ._conversations import can_see
from ._conversations import message_view
from ._params import csv_param
from ._params import int_param
from ._params import paginate
from ._params import truthy
from ._receipts import conversation_of
from ._receipts import counts_as_unread
from ._receipts import in_view
from ._receipts import mark
from ._receipts import mark_unread
from ._records import JSON
from ._records import ApiError
from ._records import Store
from ._records import bad_request
from ._views import group_json
from ._views import user_json

__all__ = ["ConversationList"]

_MAX_TAGS = 25
_MAX_TAG_LENGTH = 100


def _not_found(conv: str) -> ApiError:
    return ApiError(
        404, "ERR_CONVERSATION_NOT_ACCESSIBLE", f"The conversation {conv} does not exist."
    )


def _in_list(msg: JSON) -> bool:
    """Whether ``msg`` can be a conversation's last message."""
    return "parentId" not in msg and not (msg["category"] == "action" and msg["type"] == "message")


class ConversationList:
    """The conversations of the users of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _latest(self, uid: str) -> dict[str, JSON]:
        """``{conversationId: newest message}`` of every conversation ``uid`` has."""
        store = self.store
        latest: dict[str, JSON] = {}
        for m in store.messages:
            if _in_list(m) and can_see(store, uid, m) and in_view(store, uid, m):
                latest[m["conversationId"]] = m
        return latest

    def _view(self, uid: str, conv: str, last: JSON, blocked_info: bool = False) -> JSON:
        store = self.store
        chat = store.chat
        if last["receiverType"] == "group":
            ctype, with_json = "group", group_json(store.groups[last["receiver"]], uid)
        else:
            other = last["receiver"] if last["sender"] == uid else last["sender"]
            ctype, with_json = "user", user_json(store, store.users[other])
            if blocked_info:
                with_json["blockedByMe"] = other in chat.blocked.get(uid, ())
                with_json["hasBlockedMe"] = uid in chat.blocked.get(other, ())
        unread = sum(
            1
            for m in store.messages
            if m["conversationId"] == conv and counts_as_unread(store, uid, m)
        )
        out: JSON = {
            "conversationId": conv,
            "conversationType": ctype,
            "conversationWith": with_json,
            "unreadMessageCount": unread,
            "unreadMentionsCount": 0,
            "lastReadMessageId": str(chat.read.get((uid, conv), 0)),
            "latestMessageId": str(last["id"]),
            "updatedAt": int(last.get("updatedAt") or last.get("sentAt") or 0),
        }
        if "deletedAt" not in last:
            out["lastMessage"] = message_view(store, last, uid)
        tags = chat.tags.get((uid, conv))
        if tags:
            out["tags"] = list(tags)
        return out

    def list(self, uid: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        """``GET conversations``: newest first, with the filters of the official SDKs."""
        store = self.store
        with store.lock:
            ctype = query.get("conversationType")
            search = (query.get("searchKey") or "").lower()
            tags = csv_param(query, "tags")
            user_tags = csv_param(query, "userTags")
            group_tags = csv_param(query, "groupTags")
            unread_only = truthy(query.get("unread"))
            include_blocked = truthy(query.get("includeBlockedUsers"))
            blocked = store.chat.blocked.get(uid, set())
            items: list[JSON] = []
            latest = self._latest(uid)
            for conv, last in sorted(latest.items(), key=lambda kv: -int(kv[1]["id"])):
                view = self._view(uid, conv, last, truthy(query.get("withBlockedInfo")))
                other = view["conversationWith"]
                entity_tags = set(
                    (
                        store.groups[other["guid"]].tags
                        if "guid" in other
                        else store.users[other["uid"]].tags
                    )
                    or ()
                )
                if ctype in ("user", "group") and view["conversationType"] != ctype:
                    continue
                if search and search not in str(other.get("name", "")).lower():
                    continue
                if tags is not None and not tags.intersection(view.get("tags", ())):
                    continue
                if user_tags is not None and ("uid" not in other or not user_tags & entity_tags):
                    continue
                if group_tags is not None and ("guid" not in other or not group_tags & entity_tags):
                    continue
                if unread_only and not view["unreadMessageCount"]:
                    continue
                if "uid" in other and other["uid"] in blocked and not include_blocked:
                    continue
                items.append(view)
            page_query = dict(query, per_page=str(int_param(query, "per_page", 30, 1, 50)))
            return paginate(items, page_query, 30)

    def _existing(self, uid: str, kind: str, target: str) -> tuple[str, JSON]:
        conv = conversation_of(self.store, uid, kind, target)
        last = self._latest(uid).get(conv)
        if last is None:
            raise _not_found(conv)
        return conv, last

    def get(self, uid: str, kind: str, target: str) -> JSON:
        """``GET users/{uid}/conversation`` or ``GET groups/{guid}/conversation``."""
        with self.store.lock:
            conv, last = self._existing(uid, kind, target)
            return self._view(uid, conv, last)

    def tag(self, uid: str, kind: str, target: str, body: JSON) -> JSON:
        """``PUT .../conversation`` with ``tags``: the user's tags of it, replaced."""
        tags = body.get("tags")
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise bad_request({"tags": ["The tags must be an array of strings."]})
        if len(tags) > _MAX_TAGS or any(len(t) > _MAX_TAG_LENGTH for t in tags):
            raise bad_request({"tags": ["At most 25 tags of at most 100 characters each."]})
        with self.store.lock:
            conv, last = self._existing(uid, kind, target)
            self.store.chat.tags[(uid, conv)] = list(dict.fromkeys(tags))
            self.store.changed()
            return self._view(uid, conv, last)

    def delete(self, uid: str, kind: str, target: str) -> JSON:
        """``DELETE .../conversation``: gone from ``uid``'s list and history only."""
        with self.store.lock:
            conv, _ = self._existing(uid, kind, target)
            newest = max(int(m["id"]) for m in self.store.messages if m["conversationId"] == conv)
            self.store.chat.cleared[(uid, conv)] = newest
            self.store.chat.tags.pop((uid, conv), None)
            self.store.changed()
            return {"success": True, "message": f"Conversation {conv} deleted successfully."}

    def mark(self, uid: str, kind: str, target: str, read: bool) -> JSON:
        """``POST .../conversation/read`` or ``.../delivered``: every message so far."""
        with self.store.lock:
            conv = conversation_of(self.store, uid, kind, target)
            mark(self.store, uid, conv, None, read)
            what = "read" if read else "delivered"
            return {"success": True, "message": f"Conversation {conv} marked as {what}."}

    def mark_unread(self, uid: str, kind: str, target: str, body: JSON) -> JSON:
        """``DELETE .../conversation/read`` with ``messageId``; answers ``{conversation}``."""
        with self.store.lock:
            conv = conversation_of(self.store, uid, kind, target)
            mark_unread(self.store, uid, conv, body)
            last = self._latest(uid).get(conv)
            if last is None:
                raise _not_found(conv)
            return {"conversation": self._view(uid, conv, last)}
