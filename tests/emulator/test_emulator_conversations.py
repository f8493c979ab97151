"""The emulator's conversation, unread-count, receipt, thread, reaction-list and blocked-user
endpoints over raw HTTP: the paths, parameters, answer shapes, ``meta`` and error codes the
official SDKs use, and conversations that follow the messages sent over REST."""

from __future__ import annotations

from typing import Any

import requests

A, B, C = "superhero1", "superhero2", "superhero3"


def _error(r: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code
    return err


def send(kit: Any, sender: str, receiver: str, text: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receiver": receiver,
        "receiverType": "user",
        "category": "message",
        "type": "text",
    }
    body.update({"data": {"text": text}, **extra})
    sent: dict[str, Any] = kit.ok("POST", "messages", uid=sender, body=body)
    return sent


def test_a_conversation_is_made_by_a_message_and_follows_it(kit):
    assert kit.ok("GET", "conversations", uid=B) == []
    first = send(kit, A, B, "one")
    second = send(kit, A, B, "two")
    r = kit.call("GET", "conversations", uid=B, params={"per_page": 30, "page": 1})
    assert r.status_code == 200
    (conv,) = r.json()["data"]
    assert r.json()["meta"]["pagination"]["total"] == 1
    assert conv["conversationId"] == f"{A}_user_{B}"
    assert conv["conversationType"] == "user"
    assert conv["conversationWith"]["uid"] == A
    assert conv["lastMessage"]["id"] == second["id"]
    assert (conv["unreadMessageCount"], conv["latestMessageId"]) == (2, second["id"])
    # the sender's side: nothing unread, same last message
    (theirs,) = kit.ok("GET", "conversations", uid=A)
    assert (theirs["conversationWith"]["uid"], theirs["unreadMessageCount"]) == (B, 0)
    # read: POST .../conversation/read; then the sender's receipts show it
    assert kit.ok("POST", f"users/{A}/conversation/read", uid=B)["success"] is True
    assert kit.ok("GET", f"users/{A}/conversation", uid=B)["unreadMessageCount"] == 0
    read = kit.ok("GET", f"messages/{first['id']}", uid=A)
    assert read["readAt"] > 0 and read["deliveredAt"] > 0
    (receipt,) = read["receipts"]["data"]
    assert receipt["recipient"]["uid"] == B and receipt["readAt"] > 0
    mine = kit.ok("GET", f"messages/{first['id']}", uid=B)
    assert mine["readByMeAt"] > 0 and "readAt" not in mine
    # unread again from the second message on: the answer is {conversation}
    back = kit.ok("DELETE", f"users/{A}/conversation/read", uid=B, body={"messageId": second["id"]})
    assert back["conversation"]["unreadMessageCount"] == 1
    assert "readAt" not in kit.ok("GET", f"messages/{second['id']}", uid=A)


def test_unread_counts_answer_per_entity(kit):
    send(kit, A, B, "x")
    send(kit, C, B, "y")
    send(kit, C, B, "z")
    counts = kit.ok("GET", "messages", uid=B, params={"unread": 1, "count": 1})
    assert sorted((c["entityId"], c["entityType"], c["count"]) for c in counts) == [
        (A, "user", 1),
        (C, "user", 2),
    ]
    one = kit.ok("GET", f"users/{C}/messages", uid=B, params={"unread": 1, "count": 1, "uid": C})
    assert one == [{"entityId": C, "entityType": "user", "count": 2}]
    groups = kit.ok(
        "GET", "messages", uid=B, params={"unread": 1, "count": 1, "receiverType": "group"}
    )
    assert groups == []
    kit.ok("POST", "blockedusers", uid=B, body={"blockedUids": [C]})
    hidden = kit.ok(
        "GET",
        "messages",
        uid=B,
        params={"unread": 1, "count": 1, "hideMessagesFromBlockedUsers": 1},
    )
    assert [c["entityId"] for c in hidden] == [A]


def test_conversation_errors_and_tags(kit):
    _error(
        kit.call("GET", f"users/{A}/conversation", uid=B), 404, "ERR_CONVERSATION_NOT_ACCESSIBLE"
    )
    _error(kit.call("GET", "users/nobody/conversation", uid=B), 404, "ERR_UID_NOT_FOUND")
    _error(kit.call("POST", "groups/nope/conversation/read", uid=B), 404, "ERR_GUID_NOT_FOUND")
    send(kit, A, B, "x")
    err = _error(
        kit.call("PUT", f"users/{A}/conversation", uid=B, body={"tags": "x"}),
        400,
        "ERR_BAD_REQUEST",
    )
    assert "tags" in err["details"]
    assert kit.ok("PUT", f"users/{A}/conversation", uid=B, body={"tags": ["a", "b"]})["tags"] == [
        "a",
        "b",
    ]
    own = send(kit, B, A, "mine")
    _error(
        kit.call("DELETE", f"users/{A}/conversation/read", uid=B, body={"messageId": own["id"]}),
        400,
        "ERR_BAD_REQUEST",
    )
    _error(
        kit.call("DELETE", f"users/{A}/conversation/read", uid=B, body={}), 400, "ERR_BAD_REQUEST"
    )
    assert kit.ok("DELETE", f"users/{A}/conversation", uid=B)["success"] is True
    assert kit.ok("GET", "conversations", uid=B) == []
    assert kit.ok("GET", f"users/{A}/messages", uid=B) == []  # the history went with it
    assert len(kit.ok("GET", f"users/{B}/messages", uid=A)) == 2  # not for the other side


def test_history_cursor_thread_and_reactions(kit):
    ids = [send(kit, A, B, f"m{i}")["id"] for i in range(3)]
    r = kit.call("GET", f"users/{B}/messages", uid=A, params={"per_page": 2, "affix": "prepend"})
    meta = r.json()["meta"]
    assert meta["cursor"] == {"affix": "prepend", "id": ids[1], "sentAt": meta["cursor"]["sentAt"]}
    r = kit.call(
        "GET",
        f"users/{B}/messages",
        uid=A,
        params={"per_page": 2, "affix": "prepend", "id": ids[1]},
    )
    assert [m["id"] for m in r.json()["data"]] == [ids[0]]
    assert "cursor" not in r.json()["meta"]  # nothing older: the official SDKs stop here
    reply = send(kit, B, A, "reply")
    kit.ok("POST", f"messages/{ids[0]}/thread", uid=B, body={**reply, "data": {"text": "r"}})
    thread = kit.ok("GET", f"messages/{ids[0]}/thread", uid=A, params={"per_page": 10})
    assert [m["data"]["text"] for m in thread] == ["r"]
    _error(kit.call("GET", f"messages/{ids[0]}/thread", uid=C), 403, "ERR_MESSAGE_NO_ACCESS")
    for uid in (A, B):
        kit.ok("POST", f"messages/{ids[2]}/reactions/%F0%9F%91%8D", uid=uid)
    page = kit.call(
        "GET", f"messages/{ids[2]}/reactions", uid=A, params={"limit": 1, "affix": "append"}
    )
    (first,) = page.json()["data"]
    assert (first["uid"], first["reaction"], first["reactedBy"]["uid"]) == (A, "👍", A)
    after = kit.ok(
        "GET",
        f"messages/{ids[2]}/reactions",
        uid=A,
        params={"limit": 1, "affix": "append", "id": first["id"]},
    )
    assert [x["uid"] for x in after] == [B]


def test_blocked_users_and_filtered_lists(kit):
    out = kit.ok("POST", "blockedusers", uid=A, body={"blockedUids": [B, "ghost"]})
    assert out[B]["success"] is True and out["ghost"]["success"] is False
    _error(kit.call("POST", "blockedusers", uid=A, body={}), 400, "ERR_BAD_REQUEST")
    assert [u["uid"] for u in kit.ok("GET", "blockedusers", uid=A)] == [B]
    assert [
        u["uid"] for u in kit.ok("GET", "blockedusers", uid=B, params={"direction": "hasBlockedMe"})
    ] == [A]
    _error(
        kit.call("GET", "blockedusers", uid=A, params={"direction": "x"}), 400, "ERR_BAD_REQUEST"
    )
    kit.ok("DELETE", "blockedusers", uid=A, body={"blockedUids": [B]})
    assert kit.ok("GET", "blockedusers", uid=A) == []
    users = kit.ok(
        "GET", "users", uid=A, params={"searchKey": "man", "searchIn": "name", "sortBy": "name"}
    )
    assert [u["name"] for u in users] == ["Iron Man", "Spiderman"]
