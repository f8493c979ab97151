"""Messages: sending (threads included), history, reading one, edits, deletes and reactions.

Every call takes the store lock and returns JSON-ready data, and, when something changed, an
outbox for :func:`~._peer.deliver`. Edits and deletes change the message in place and post an
``action`` message (``edited``/``deleted``) to the conversation and the original sender; that
action, whose ``data.entities.on`` is the changed message, is also their answer (the official
SDKs read the message from there); a reaction sends a ``reaction`` frame to the conversation
and nothing when it changes nothing.
REST shapes follow https://www.cometchat.com/docs/rest-api/messages; the frames follow the
observed traffic of the official SDKs.
"""

from __future__ import annotations

import copy
from typing import Callable
from typing import Optional

from ._blocking import require_not_blocked
from ._conversations import can_see
from ._conversations import conversation_id
from ._conversations import history_filter
from ._conversations import message_view
from ._conversations import new_message
from ._conversations import participants
from ._conversations import post
from ._conversations import require_visible
from ._conversations import resolve_receiver
from ._interactions import check_interactive
from ._mentions import mentions_filter
from ._mentions import resolve_mentions
from ._moderation import moderation_of
from ._params import choice
from ._params import csv_param
from ._params import int_param
from ._params import truthy
from ._peer import Outbox
from ._records import JSON
from ._records import ApiError
from ._records import ReactionRec
from ._records import Store
from ._records import bad_request
from ._records import membership_error
from ._records import now_s
from ._views import envelope
from ._views import receiver_entity
from ._views import user_entity
from ._views import user_json

__all__ = ["Messages"]

_MESSAGE_TYPES = ("text", "image", "video", "audio", "file")


def _not_the_sender(uid: str, mid: str) -> ApiError:
    return ApiError(
        403,
        "ERR_MESSAGE_NOT_A_SENDER",
        f"The user with UID {uid} is not the sender of the message {mid}.",
    )


class Messages:
    """Sending, reading, editing, deleting and reacting to the messages of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def stored(self) -> list[JSON]:
        """Every stored message (actions and calls included), oldest first, as copies."""
        with self.store.lock:
            return copy.deepcopy(self.store.messages)

    def send(
        self,
        sender: str,
        device_id: Optional[str],
        body: JSON,
        parent_id: Optional[str] = None,
    ) -> tuple[JSON, Outbox]:
        """``POST messages`` (and ``POST messages/{id}/thread``)."""
        store = self.store
        with store.lock:
            sender_rec = store.user(sender)
            receiver, receiver_type = resolve_receiver(store, sender_rec.uid, body)
            if receiver_type == "user":
                require_not_blocked(store, sender_rec.uid, receiver)
            category = choice(
                body,
                "category",
                ("message", "custom", "interactive"),
                default="message",
                code="ERR_INVALID_MESSAGE_CATEGORY",
            )
            type_ = body.get("type", "text")
            if not isinstance(type_, str) or not type_:
                raise ApiError(400, "ERR_INVALID_MESSAGE_TYPE", "The message type is invalid.")
            if category == "message" and type_ not in _MESSAGE_TYPES:
                raise ApiError(
                    400,
                    "ERR_INVALID_MESSAGE_TYPE",
                    f"The type must be one of {', '.join(_MESSAGE_TYPES)}.",
                )
            raw_data = body.get("data", {})
            if raw_data is None:
                raw_data = {}
            if not isinstance(raw_data, dict):
                raise bad_request({"data": ["The data must be an object."]})
            data: JSON = {k: copy.deepcopy(v) for k, v in raw_data.items() if k != "entities"}
            if category == "message" and type_ == "text":
                text = data.get("text", body.get("text"))
                if text is not None and not isinstance(text, str):
                    raise bad_request({"text": ["The text must be a string."]})
                if not text:
                    raise ApiError(400, "ERR_EMPTY_MESSAGE_TEXT", "The message text is empty.")
                data["text"] = text
            if category == "interactive":
                check_interactive(data)
            data.pop("moderation", None)  # the service's to set, never the sender's
            resolve_mentions(store, data)
            parent: Optional[JSON] = None
            if parent_id is not None:
                parent = store.message(parent_id)
                require_visible(store, sender_rec.uid, parent)
            data["entities"] = {
                "sender": {"entity": user_json(store, sender_rec), "entityType": "user"},
                "receiver": receiver_entity(store, receiver, receiver_type),
            }
            msg = new_message(
                store,
                sender_rec.uid,
                receiver,
                receiver_type,
                category=category,
                type_=type_,
                data=data,
            )
            muid = body.get("muid")
            if isinstance(muid, str) and muid:
                msg["muid"] = muid
            _copy_tags(body, msg)
            if parent is not None:
                msg["parentId"] = parent["id"]
                parent["replyCount"] = int(parent.get("replyCount", 0)) + 1
            moderation = moderation_of(store)
            moderation.hold(msg)  # pending: only the sender's devices see it for now
            outbox = moderation.after_post(msg, post(store, msg, device_id), device_id)
            return copy.deepcopy(msg), outbox

    def history(
        self, caller: str, kind: str, target: Optional[str], query: dict[str, str]
    ) -> tuple[list[JSON], JSON]:
        """``GET users/{uid}/messages``, ``GET groups/{guid}/messages``, ``GET messages``."""
        store = self.store
        with store.lock:
            visible = self._conversation_filter(caller, kind, target)
            wanted = history_filter(store, caller, query)
            mentioned = mentions_filter(query)
            held = moderation_of(store).held_from(caller)
            per_page = int_param(query, "per_page", 30, 1, 100)
            categories = csv_param(query, "categories")
            types = csv_param(query, "types")
            hide_deleted = truthy(query.get("hideDeleted"))
            hide_replies = truthy(query.get("hideReplies"))
            items = [
                m
                for m in store.messages
                if visible(m)
                and (categories is None or m["category"] in categories)
                and (types is None or m["type"] in types)
                and not (hide_deleted and "deletedAt" in m)
                and not (hide_replies and "parentId" in m)
                and wanted(m)
                and mentioned(m)
                and not held(m)
            ]
            raw_id = query.get("id")
            affix = query.get("affix", "prepend")
            if raw_id:
                try:
                    pivot = int(raw_id)
                except ValueError:
                    raise bad_request({"id": ["The id must be an integer."]}) from None
                if affix == "append":
                    chunk = [m for m in items if int(m["id"]) > pivot][:per_page]
                else:
                    chunk = [m for m in items if int(m["id"]) < pivot][-per_page:]
            elif query.get("sentAt"):  # a timestamp instead of an id as the cursor
                at = int_param(query, "sentAt", 0, 0, 2**62)
                if affix == "append":
                    chunk = [m for m in items if int(m["sentAt"]) >= at][:per_page]
                else:
                    chunk = [m for m in items if int(m["sentAt"]) < at][-per_page:]
            else:
                chunk = items[-per_page:]
            meta: JSON = {"current": {"limit": per_page, "count": len(chunk)}}
            if chunk:
                meta["previous"] = {"id": chunk[0]["id"], "affix": "prepend"}
                meta["next"] = {"id": chunk[-1]["id"], "affix": "append"}
                # A cursor while more lies that way: the official SDKs stop paging without one.
                edge = chunk[-1] if affix == "append" else chunk[0]
                if any(_beyond(m, edge, affix) for m in items):
                    meta["cursor"] = {"affix": affix, "id": edge["id"], "sentAt": edge["sentAt"]}
            return [message_view(store, m, caller) for m in chunk], meta

    def _conversation_filter(
        self, caller: str, kind: str, target: Optional[str]
    ) -> Callable[[JSON], bool]:
        """Which messages a history request covers: one 1:1, one group, or all of ``caller``."""
        store = self.store
        if kind == "user":
            assert target is not None
            conv = conversation_id("user", caller, store.user(target).uid)
            return lambda m: bool(m["receiverType"] == "user" and m["conversationId"] == conv)
        if kind == "thread":  # the replies to one message
            assert target is not None
            parent = store.message(target)
            require_visible(store, caller, parent)
            return lambda m: bool(m.get("parentId") == parent["id"])
        if kind == "group":
            assert target is not None
            g = store.group(target)
            if caller not in g.members:
                raise membership_error(
                    403, "ERR_GROUP_NOT_JOINED", caller, g.guid, "has not joined"
                )
            conv = conversation_id("group", caller, g.guid)
            return lambda m: bool(m["conversationId"] == conv)
        return lambda m: can_see(store, caller, m)

    def get(self, caller: str, mid: str) -> JSON:
        with self.store.lock:
            msg = self.store.message(mid)
            require_visible(self.store, caller, msg)
            return message_view(self.store, msg, caller)

    def _post_action(
        self, caller: str, device_id: Optional[str], msg: JSON, action: str
    ) -> tuple[JSON, Outbox]:
        """Create, store and fan out the ``edited``/``deleted`` action for ``msg``; returns
        the action as ``caller`` sees it (the answer of the edit or delete) and its fan-out."""
        store = self.store
        data: JSON = {
            "action": action,
            "entities": {
                "by": user_entity(store, caller),
                "on": {"entity": copy.deepcopy(msg), "entityType": "message"},
                "for": receiver_entity(store, msg["receiver"], msg["receiverType"]),
            },
        }
        act = new_message(
            store,
            caller,
            msg["receiver"],
            msg["receiverType"],
            category="action",
            type_="message",
            data=data,
        )
        act["conversationId"] = msg["conversationId"]
        outbox = post(store, act, device_id, extra_uids=(msg["sender"],))
        answer = copy.deepcopy(act)
        answer["data"]["entities"]["on"]["entity"] = message_view(store, msg, caller)
        return answer, outbox

    def edit(
        self, caller: str, device_id: Optional[str], mid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        """``PUT messages/{id}``: text, metadata, customData and tags of the sender's message."""
        with self.store.lock:
            msg = self.store.message(mid)
            require_visible(self.store, caller, msg)
            if msg["sender"] != caller or msg["category"] not in ("message", "custom"):
                raise _not_the_sender(caller, mid)
            if "deletedAt" in msg:
                raise bad_request({"id": [f"The message {mid} has been deleted."]})
            new_data = body.get("data")
            if new_data is not None and not isinstance(new_data, dict):
                raise bad_request({"data": ["The data must be an object."]})
            new_data = new_data or {}
            text = new_data.get("text", body.get("text"))
            metadata = new_data.get("metadata", body.get("metadata"))
            custom = new_data.get("customData", body.get("customData"))
            if text is not None:
                if not isinstance(text, str):
                    raise bad_request({"text": ["The text must be a string."]})
                if msg["type"] == "text" and not text:
                    raise ApiError(400, "ERR_EMPTY_MESSAGE_TEXT", "The message text is empty.")
                msg["data"]["text"] = text
            if metadata is not None:
                if not isinstance(metadata, dict):
                    raise bad_request({"metadata": ["The metadata must be an object."]})
                msg["data"]["metadata"] = copy.deepcopy(metadata)
            if custom is not None:
                msg["data"]["customData"] = copy.deepcopy(custom)
            _copy_tags(body, msg)
            _stamp(msg, "edited", caller)
            # The answer is the ``edited`` action; the edited message is its ``on`` entity.
            return self._post_action(caller, device_id, msg, "edited")

    def delete(self, caller: str, device_id: Optional[str], mid: str) -> tuple[JSON, Outbox]:
        """``DELETE messages/{id}``: the sender, or a group's owner or moderators and admins."""
        store = self.store
        with store.lock:
            msg = store.message(mid)
            require_visible(store, caller, msg)
            allowed = msg["sender"] == caller
            if not allowed and msg["receiverType"] == "group":
                g = store.groups[msg["receiver"]]
                m = g.members.get(caller)
                allowed = g.owner == caller or (m is not None and m.scope != "participant")
            if not allowed:
                raise _not_the_sender(caller, mid)
            if "deletedAt" in msg:
                raise bad_request({"id": [f"The message {mid} has already been deleted."]})
            _stamp(msg, "deleted", caller)
            return self._post_action(caller, device_id, msg, "deleted")

    def react(
        self, caller: str, device_id: Optional[str], mid: str, reaction: str, add: bool
    ) -> tuple[JSON, Outbox]:
        """``POST``/``DELETE messages/{id}/reactions/{reaction}``."""
        if not reaction:
            raise bad_request({"reaction": ["The reaction is required."]})
        store = self.store
        with store.lock:
            msg = store.message(mid)
            require_visible(store, caller, msg)
            recs = store.reactions.setdefault(int(msg["id"]), [])
            existing = next((r for r in recs if r.uid == caller and r.reaction == reaction), None)
            if add and existing is None:
                rec = ReactionRec(next(store.reaction_ids), caller, reaction, now_s())
                recs.append(rec)
                event = "message_reaction_added"
            elif not add and existing is not None:
                recs.remove(existing)
                rec = ReactionRec(existing.rid, caller, reaction, now_s())
                event = "message_reaction_removed"
            else:
                return message_view(store, msg, caller), []  # nothing changed: no event
            body: JSON = {
                "action": event,
                "id": str(rec.rid),
                "messageId": msg["id"],
                "uid": caller,
                "reaction": reaction,
                "reactedBy": user_json(store, store.users[caller]),
                "reactedAt": rec.reacted_at,
                "conversationId": msg["conversationId"],
            }
            if "parentId" in msg:
                body["parentId"] = msg["parentId"]
            text = envelope(
                store.app.app_id,
                "reaction",
                sender=caller,
                receiver=msg["receiver"],
                receiver_type=msg["receiverType"],
                device_id=device_id,
                body=body,
            )
            store.changed()
            peers = store.peers_of_users(participants(store, msg))
            return message_view(store, msg, caller), [(peers, text)]


def _beyond(m: JSON, edge: JSON, affix: str) -> bool:
    """Whether ``m`` lies past ``edge`` in the paging direction ``affix``."""
    if affix == "append":
        return int(m["id"]) > int(edge["id"])
    return int(m["id"]) < int(edge["id"])


def _copy_tags(body: JSON, msg: JSON) -> None:
    tags = body.get("tags")
    if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
        msg["tags"] = list(tags)


def _stamp(msg: JSON, what: str, by: str) -> None:
    """``{what}At``/``{what}By`` and ``updatedAt`` on an edited or deleted message."""
    t = now_s()
    msg[f"{what}At"] = t
    msg[f"{what}By"] = by
    msg["updatedAt"] = t
