"""Action messages: edits, deletes, group membership, reactions and calls, with their fan-out."""

from __future__ import annotations


def _err(r, status, code):
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code


def _text(receiver, text, receiver_type="user"):
    return {
        "receiver": receiver,
        "receiverType": receiver_type,
        "category": "message",
        "type": "text",
        "data": {"text": text},
    }


def test_edit_and_delete_fan_out_actions(kit, emu):
    a = kit.ws("superhero1", "A")
    b = kit.ws("superhero2", "B")
    msg = kit.ok("POST", "messages", uid="superhero1", resource="A", body=_text("superhero2", "v1"))
    for ws in (a, b):
        assert ws.recv()["body"]["id"] == msg["id"]

    _err(
        kit.call("PUT", f"messages/{msg['id']}", uid="superhero2", body={"text": "hack"}),
        403,
        "ERR_MESSAGE_NOT_A_SENDER",
    )
    answer = kit.ok(
        "PUT",
        f"messages/{msg['id']}",
        uid="superhero1",
        resource="A",
        body={"data": {"text": "v2", "metadata": {"m": 1}}},
    )
    # the answer is the edited action; the edited message is its "on" entity
    assert (answer["category"], answer["data"]["action"]) == ("action", "edited")
    edited = answer["data"]["entities"]["on"]["entity"]
    assert edited["data"]["text"] == "v2" and edited["data"]["metadata"] == {"m": 1}
    assert edited["editedBy"] == "superhero1" and edited["editedAt"] >= msg["sentAt"]
    for ws in (a, b):
        f = ws.recv()
        assert f["type"] == "message" and f["deviceId"] == "A"
        act = f["body"]
        assert (act["category"], act["type"], act["data"]["action"]) == (
            "action",
            "message",
            "edited",
        )
        assert int(act["id"]) > int(msg["id"])
        assert act["conversationId"] == msg["conversationId"]
        ents = act["data"]["entities"]
        assert ents["by"] == {"entity": ents["by"]["entity"], "entityType": "user"}
        assert ents["by"]["entity"]["uid"] == "superhero1"
        assert ents["on"]["entityType"] == "message"
        assert ents["on"]["entity"]["id"] == msg["id"]
        assert ents["on"]["entity"]["data"]["text"] == "v2"
        assert ents["for"]["entityType"] == "user" and ents["for"]["entity"]["uid"] == "superhero2"

    answer = kit.ok("DELETE", f"messages/{msg['id']}", uid="superhero1", resource="A")
    assert (answer["category"], answer["data"]["action"]) == ("action", "deleted")
    deleted = answer["data"]["entities"]["on"]["entity"]
    assert deleted["deletedBy"] == "superhero1" and "deletedAt" in deleted
    for ws in (a, b):
        act = ws.recv()["body"]
        assert act["data"]["action"] == "deleted"
        assert act["data"]["entities"]["on"]["entity"]["deletedBy"] == "superhero1"

    history = kit.ok("GET", "users/superhero1/messages", uid="superhero2")
    assert [m["category"] for m in history] == ["message", "action", "action"]
    assert history[0]["deletedAt"] and history[0]["data"]["text"] == "v2"
    hidden = kit.ok(
        "GET",
        "users/superhero1/messages",
        uid="superhero2",
        params={"hideDeleted": "true", "categories": "message"},
    )
    assert hidden == []


def test_group_membership_actions_fan_out(kit, emu):
    owner = kit.ws("superhero1", "O")
    s2 = kit.ws("superhero2", "S2")
    s3 = kit.ws("superhero3", "S3")
    s4 = kit.ws("superhero4", "S4")

    g = kit.ok(
        "POST",
        "groups",
        uid="superhero1",
        body={"guid": "Avengers", "name": "Avengers", "type": "password", "password": "pw"},
    )
    assert g["guid"] == "avengers" and g["owner"] == "superhero1"
    assert (g["hasJoined"], g["scope"], g["membersCount"]) == (True, "admin", 1)
    _err(
        kit.call("POST", "groups", uid="superhero2", body={"guid": "avengers", "name": "x"}),
        400,
        "ERR_GUID_ALREADY_EXISTS",
    )

    def action(ws, expected, on):
        f = ws.recv()
        body = f["body"]
        assert f["type"] == "message" and f["receiverType"] == "group"
        assert (body["category"], body["type"]) == ("action", "groupMember")
        assert body["data"]["action"] == expected
        assert body["receiver"] == "avengers" and body["conversationId"] == "group_avengers"
        ents = body["data"]["entities"]
        assert ents["on"]["entity"]["uid"] == on
        assert ents["for"] == {"entity": ents["for"]["entity"], "entityType": "group"}
        assert ents["for"]["entity"]["guid"] == "avengers"
        return body

    # join (wrong / right password, twice)
    _err(
        kit.call("POST", "groups/avengers/members", uid="superhero2", body={"password": "no"}),
        403,
        "ERR_WRONG_GROUP_PASS",
    )
    answer = kit.ok(
        "POST", "groups/avengers/members", uid="superhero2", resource="S2", body={"password": "pw"}
    )
    # the answer is the joined action; the group (as the joiner sees it) is its "for" entity
    assert (answer["category"], answer["data"]["action"]) == ("action", "joined")
    joined = answer["data"]["entities"]["for"]["entity"]
    assert (joined["guid"], joined["hasJoined"], joined["scope"]) == (
        "avengers",
        True,
        "participant",
    )
    for ws in (owner, s2):
        body = action(ws, "joined", "superhero2")
        assert body["data"]["entities"]["by"]["entity"]["uid"] == "superhero2"
    _err(
        kit.call("POST", "groups/avengers/members", uid="superhero2", body={"password": "pw"}),
        400,
        "ERR_ALREADY_JOINED",
    )

    # add members (PUT) by the owner
    added = kit.ok(
        "PUT",
        "groups/avengers/members",
        uid="superhero1",
        body={"participants": ["superhero3", "ghost"], "moderators": ["superhero4"]},
    )
    assert set(added) == {"admins", "moderators", "participants", "usersToBan"}
    assert added["admins"] == added["usersToBan"] == {}
    assert added["participants"]["superhero3"]["success"] is True
    assert added["participants"]["superhero3"]["data"]["data"]["action"] == "added"
    assert added["participants"]["ghost"]["success"] is False
    assert added["participants"]["ghost"]["error"]["code"] == "ERR_UID_NOT_FOUND"
    assert added["moderators"]["superhero4"]["success"] is True
    # added in order admins, moderators, participants; each addition goes to the members of
    # that moment, so superhero3 (added last) hears only its own
    for ws, expected in ((owner, ["superhero4", "superhero3"]), (s2, ["superhero4", "superhero3"]),
                         (s4, ["superhero4", "superhero3"]), (s3, ["superhero3"])):  # fmt: skip
        got = []
        for _ in expected:
            f = ws.recv()
            assert f["body"]["data"]["action"] == "added"
            got.append(f["body"]["data"]["entities"]["on"]["entity"]["uid"])
        assert got == expected
    members = {m["uid"]: m for m in kit.ok("GET", "groups/avengers/members", uid="superhero2")}
    assert {u: m["scope"] for u, m in members.items()} == {
        "superhero1": "admin",
        "superhero2": "participant",
        "superhero4": "moderator",
        "superhero3": "participant",
    }
    assert all("joinedAt" in m and "name" in m for m in members.values())

    # group message goes to every member
    gm = kit.ok(
        "POST", "messages", uid="superhero3", resource="S3", body=_text("avengers", "hi", "group")
    )
    assert gm["conversationId"] == "group_avengers"
    assert gm["data"]["entities"]["receiver"]["entityType"] == "group"
    for ws in (owner, s2, s3, s4):
        f = ws.recv()
        assert f["body"]["id"] == gm["id"] and f["deviceId"] == "S3"

    # scope change (owner), with extras
    kit.ok(
        "PUT", "groups/avengers/members/superhero3", uid="superhero1", body={"scope": "moderator"}
    )
    for ws in (owner, s2, s3, s4):
        body = action(ws, "scopeChanged", "superhero3")
        assert body["data"]["extras"] == {"scope": {"new": "moderator", "old": "participant"}}
    _err(
        kit.call(
            "PUT", "groups/avengers/members/superhero2", uid="superhero4", body={"scope": "admin"}
        ),
        403,
        "AUTH_ERR_NO_ACCESS",
    )

    # kick (moderator kicks a participant): members and the kicked user hear it
    kit.ok("DELETE", "groups/avengers/members/superhero2", uid="superhero4")
    for ws in (owner, s2, s3, s4):
        body = action(ws, "kicked", "superhero2")
        assert body["data"]["entities"]["by"]["entity"]["uid"] == "superhero4"

    # ban / unban
    kit.ok("POST", "groups/avengers/bannedusers/superhero2", uid="superhero1")
    for ws in (owner, s2, s3, s4):
        action(ws, "banned", "superhero2")
    _err(
        kit.call("POST", "groups/avengers/members", uid="superhero2", body={"password": "pw"}),
        403,
        "ERR_BANNED_GROUPMEMBER",
    )
    assert [u["uid"] for u in kit.ok("GET", "groups/avengers/bannedusers", uid="superhero1")] == [
        "superhero2"
    ]
    kit.ok("DELETE", "groups/avengers/bannedusers/superhero2", uid="superhero1")
    for ws in (owner, s2, s3, s4):
        action(ws, "unbanned", "superhero2")
    _err(
        kit.call("DELETE", "groups/avengers/bannedusers/superhero2", uid="superhero1"),
        400,
        "ERR_NOT_A_BANNED_USER",
    )

    # leave: remaining members and the leaver
    kit.ok("DELETE", "groups/avengers/members", uid="superhero3", resource="S3")
    for ws in (owner, s3, s4):
        action(ws, "left", "superhero3")
    kit.marker(s2)  # not a member any more: heard nothing
    _err(
        kit.call("DELETE", "groups/avengers/members", uid="superhero3"), 400, "ERR_GROUP_NOT_JOINED"
    )

    history = kit.ok("GET", "groups/avengers/messages", uid="superhero1", params={"per_page": 100})
    assert [m["data"]["action"] for m in history if m["category"] == "action"] == [
        "joined",
        "added",
        "added",
        "scopeChanged",
        "kicked",
        "banned",
        "unbanned",
        "left",
    ]
    _err(kit.call("GET", "groups/avengers/messages", uid="superhero5"), 403, "ERR_GROUP_NOT_JOINED")
    info = kit.ok("GET", "groups/avengers", uid="superhero5")
    assert (info["hasJoined"], info["membersCount"]) == (False, 2) and "scope" not in info


def test_private_group_cannot_be_joined(kit):
    kit.ok("POST", "groups", uid="superhero1", body={"guid": "p", "name": "P", "type": "private"})
    _err(kit.call("POST", "groups/p/members", uid="superhero2"), 403, "ERR_GROUP_JOIN_NOT_ALLOWED")
    assert [g["guid"] for g in kit.ok("GET", "groups", uid="superhero2")] == []
    assert [g["guid"] for g in kit.ok("GET", "groups", uid="superhero1")] == ["p"]
    _err(
        kit.call(
            "POST", "groups", uid="superhero1", body={"guid": "x", "name": "X", "type": "odd"}
        ),
        400,
        "ERR_BAD_REQUEST",
    )


def test_reactions_fan_out(kit, emu):
    a = kit.ws("superhero1", "A")
    b = kit.ws("superhero2", "B")
    c = kit.ws("superhero3", "C")
    msg = emu.send_message("superhero1", "superhero2", "react to me")
    for ws in (a, b):
        ws.recv()

    reacted = kit.ok(
        "POST", f"messages/{msg['id']}/reactions/%F0%9F%91%8D", uid="superhero2", resource="B"
    )
    assert reacted["reactions"] == [{"reaction": "\U0001f44d", "count": 1, "reactedByMe": True}]
    for ws in (a, b):
        f = ws.recv()
        assert f["type"] == "reaction" and f["deviceId"] == "B"
        body = f["body"]
        assert body["action"] == "message_reaction_added"
        assert body["messageId"] == msg["id"] and body["uid"] == "superhero2"
        assert body["reaction"] == "\U0001f44d" and body["reactedBy"]["uid"] == "superhero2"
        assert body["conversationId"] == msg["conversationId"] and body["id"]
        assert isinstance(body["reactedAt"], int)
    kit.marker(c)
    assert kit.ok("GET", f"messages/{msg['id']}", uid="superhero1")["reactions"] == [
        {"reaction": "\U0001f44d", "count": 1, "reactedByMe": False}
    ]

    kit.ok("DELETE", f"messages/{msg['id']}/reactions/%F0%9F%91%8D", uid="superhero2")
    for ws in (a, b):
        assert ws.recv()["body"]["action"] == "message_reaction_removed"
    _err(
        kit.call("POST", f"messages/{msg['id']}/reactions/x", uid="superhero3"),
        403,
        "ERR_MESSAGE_NO_ACCESS",
    )


def test_calls_fan_out(kit, emu):
    a = kit.ws("superhero1", "A")
    b = kit.ws("superhero2", "B")
    call = kit.ok(
        "POST",
        "calls",
        uid="superhero1",
        resource="A",
        body={"receiver": "superhero2", "receiverType": "user", "type": "video"},
    )
    assert (call["category"], call["type"], call["data"]["action"]) == (
        "call",
        "video",
        "initiated",
    )
    on = call["data"]["entities"]["on"]
    assert on["entityType"] == "call"
    sessionid = on["entity"]["sessionid"]
    assert on["entity"]["status"] == "initiated"
    parties = on["entity"]["data"]["entities"]  # the call names its caller and callee
    assert (parties["sender"]["entity"]["uid"], parties["receiver"]["entity"]["uid"]) == (
        "superhero1",
        "superhero2",
    )
    assert isinstance(on["entity"]["initiatedAt"], int)
    for ws in (a, b):
        f = ws.recv()
        assert f["body"]["id"] == call["id"] and f["deviceId"] == "A"

    accepted = kit.ok(
        "PUT", f"calls/{sessionid}", uid="superhero2", resource="B", body={"status": "ongoing"}
    )
    assert accepted["data"]["action"] == "ongoing"
    assert accepted["data"]["entities"]["on"]["entity"]["status"] == "ongoing"
    # accepted by the callee; the call still names its caller
    assert accepted["data"]["entities"]["by"]["entity"]["uid"] == "superhero2"
    step_parties = accepted["data"]["entities"]["on"]["entity"]["data"]["entities"]
    assert step_parties["sender"]["entity"]["uid"] == "superhero1"
    assert accepted["conversationId"] == call["conversationId"]
    for ws in (a, b):
        assert ws.recv()["body"]["data"]["action"] == "ongoing"
    kit.ok("PUT", f"calls/{sessionid}", uid="superhero1", body={"status": "ended"})
    for ws in (a, b):
        assert ws.recv()["body"]["data"]["entities"]["on"]["entity"]["status"] == "ended"
    _err(
        kit.call("PUT", f"calls/{sessionid}", uid="superhero1", body={"status": "ongoing"}),
        400,
        "ERR_CALL_TERMINATED",
    )
    _err(
        kit.call("PUT", "calls/nope", uid="superhero1", body={"status": "ended"}),
        404,
        "ERR_CALL_SESSION_NOT_FOUND",
    )
    _err(
        kit.call("POST", "calls", uid="superhero1", body={"receiver": "superhero2", "type": "fax"}),
        400,
        "ERR_BAD_REQUEST",
    )
