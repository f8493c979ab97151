"""The official JS SDK reads the emulator's answers and frames as it reads the hosted
service's, beside our SDK doing the same operations: one node process runs every step.

Optional, like ``test_emulator_js_sdk.py``: skipped without node,
npm or the package. The official client logs in as ``superhero2``; ``superhero1`` and
``superhero3`` are our SDK. Each step proves one answer or frame shape: the JS promise
settles (or its listener fires) with the right values, and our SDK's return value for the
same operation agrees.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from cometchat_sync import CometChatClient
from cometchat_sync import Group
from cometchat_sync import TextMessage
from cometchat_sync.testing import CallRecorder
from cometchat_sync.testing.emulator import Emulator

pytestmark = pytest.mark.slow

A, B, C = "superhero1", "superhero2", "superhero3"

STEPS_JS = r"""
require("./shim.js");
const { CometChat } = require("@cometchat/chat-sdk-javascript");
const { cfg, out, next, heard, hear, when, fail } = require("./kit.js");
const uid = (u) => (u && u.getUid ? u.getUid() : null);
const kind = (m) => (m instanceof CometChat.TextMessage ? "TextMessage"
  : m instanceof CometChat.CustomMessage ? "CustomMessage"
  : m instanceof CometChat.Action ? "Action" : typeof m);
(async () => {
  const settings = new CometChat.AppSettingsBuilder()
    .setRegion(cfg.region).overrideClientHost(cfg.host).overrideAdminHost(cfg.host)
    .autoEstablishSocketConnection(true).build();
  await CometChat.init(cfg.appId, settings);
  const connected = new Promise((res) => CometChat.addConnectionListener(
    "c", new CometChat.ConnectionListener({ onConnected: res })));
  const names = ["onTextMessageReceived", "onInteractiveMessageReceived",
                 "onInteractionGoalCompleted", "onMessagesDeliveredToAll", "onMessagesReadByAll"];
  const ml = {}; names.forEach((n) => { ml[n] = hear(n); });
  CometChat.addMessageListener("m", new CometChat.MessageListener(ml));
  const cl = {};
  ["onIncomingCallReceived", "onOutgoingCallAccepted", "onOutgoingCallRejected",
   "onIncomingCallCancelled"].forEach((n) => { cl[n] = hear(n); });
  CometChat.addCallListener("k", new CometChat.CallListener(cl));

  const me = await CometChat.login(cfg.uid, cfg.authKey);
  out({ event: "login", uid: me.getUid(), status: me.getStatus() });
  await connected;

  const g = await CometChat.joinGroup(cfg.group, "public");
  out({ event: "joined", guid: g.getGuid(), name: g.getName(), type: g.getType(),
        hasJoined: g.getHasJoined(), scope: g.getScope() });

  const m = await CometChat.sendMessage(new CometChat.TextMessage(cfg.peer, "v1", "user"));
  m.setText("v2");
  const e = await CometChat.editMessage(m);
  out({ event: "edited", kind: kind(e), id: String(e.getId()), text: e.getText(),
        editedBy: e.getEditedBy(), edited: e.getEditedAt() > 0 });
  const d = await CometChat.deleteMessage(m.getId());
  out({ event: "deleted", kind: kind(d), id: String(d.getId()),
        deletedBy: d.getDeletedBy(), deleted: d.getDeletedAt() > 0 });

  await CometChat.createGroup(new CometChat.Group("bgroup", "B's group", "public"));
  const added = await CometChat.addMembersToGroup("bgroup", [
    new CometChat.GroupMember(cfg.third, "participant"),
    new CometChat.GroupMember("ghost", "participant")], ["superhero4"]);
  out({ event: "added", result: added });

  const members = new CometChat.GroupMembersRequestBuilder(cfg.crowd).setLimit(100).build();
  const pages = [(await members.fetchNext()).length, (await members.fetchNext()).length];
  out({ event: "members", pages });

  const history = new CometChat.MessagesRequestBuilder().setUID(cfg.peer).setLimit(30).build();
  out({ event: "history", count: (await history.fetchPrevious()).length });

  const call = await CometChat.initiateCall(new CometChat.Call(cfg.peer, "audio", "user"));
  out({ event: "calling", session: call.getSessionId(), initiator: uid(call.getCallInitiator()) });
  const [[accepted]] = await when("onOutgoingCallAccepted");
  out({ event: "accepted", initiator: uid(accepted.getCallInitiator()),
        status: accepted.getStatus() });
  await CometChat.endCall(call.getSessionId());
  CometChat.clearActiveCall();  // no media session here: forget the ended call

  const call2 = await CometChat.initiateCall(new CometChat.Call(cfg.peer, "video", "user"));
  out({ event: "calling", session: call2.getSessionId(),
        initiator: uid(call2.getCallInitiator()) });
  const [[gaveUp]] = await when("onOutgoingCallRejected");
  out({ event: "unanswered", status: gaveUp.getStatus(), initiator: uid(gaveUp.getCallInitiator()),
        cancelled: (heard.onIncomingCallCancelled || []).length });

  const gm = await CometChat.sendMessage(new CometChat.TextMessage(cfg.group, "hi all", "group"));
  out({ event: "group_sent", id: String(gm.getId()) });
  const [[toAll]] = await when("onMessagesDeliveredToAll");
  out({ event: "delivered_to_all", id: String(toAll.getMessageId()) });
  const [[readAll]] = await when("onMessagesReadByAll");
  out({ event: "read_by_all", id: String(readAll.getMessageId()) });

  const [[ring]] = await when("onIncomingCallReceived");
  out({ event: "group_ringing", initiator: uid(ring.getCallInitiator()) });
  await next();  // a member other than us has accepted; then frames follow
  const [[interactive]] = await when("onInteractiveMessageReceived");
  await when("onInteractionGoalCompleted");  // the last frame: the ones before it are in
  const [text] = heard.onTextMessageReceived.map(([m]) => m).filter((m) => m.getId() == 9001);
  out({ event: "routed", text: text.getData().text, textKind: kind(text),
        interactive: String(interactive.getId()),
        groupAccepted: (heard.onOutgoingCallAccepted || []).length - 1 });

  await CometChat.logout();
  out({ event: "logged_out" });
  process.exit(0);
})().catch(fail);
"""


def test_the_official_js_sdk_reads_the_emulators_answers(
    no_thread_leak, js, settings_for, closing, rest_traffic
):
    with js.emulator() as emu:
        a, c = (
            closing(
                CometChatClient(emu.app_id, settings_for(emu).set_ca_bundle(js.ca_file).build())
            )
            for _ in range(2)
        )
        a.login(A, emu.auth_key)
        c.login(C, emu.auth_key)
        a.wait_until_connected(5)
        c.wait_until_connected(5)
        a_calls = CallRecorder()
        a.add_call_listener("calls", a_calls)
        a.create_group(Group("club", "The Club"))
        a.add_members_to_group("club", [C])
        a.create_group(Group("crowd", "Crowd"))
        fans = [f"fan{i:03d}" for i in range(120)]
        for fan in fans:
            emu.create_user(fan, fan)
        for start in range(0, len(fans), 25):
            a.add_members_to_group("crowd", fans[start : start + 25])

        cfg = js.config(emu, uid=B, peer=A, third=C, group="club", crowd="crowd")
        with js.start(STEPS_JS, cfg, 40, stdin=True) as node:
            _run_steps(emu, js.ca_file, a, c, a_calls, node, rest_traffic)


def _run_steps(emu, ca_file, a, c, a_calls, node, traffic) -> None:
    step = node.step

    # PUT me reports the user online, as our login returns it
    assert step("login") == {"event": "login", "uid": B, "status": "online"}
    assert a.get_logged_in_user().status == "online"

    # join: the JS SDK reads the group from the joined action
    assert step("joined") == {
        "event": "joined",
        "guid": "club",
        "name": "The Club",
        "type": "public",
        "hasJoined": True,
        "scope": "participant",
    }
    ours = c.join_group(a.create_group(Group("club2", "Club 2")).guid)
    assert (ours.guid, ours.name, ours.has_joined, ours.scope) == (
        "club2",
        "Club 2",
        True,
        "participant",
    )

    # edit and delete: the promise settles with the message, not the action
    edited = step("edited")
    assert (edited["kind"], edited["text"], edited["editedBy"], edited["edited"]) == (
        "TextMessage",
        "v2",
        B,
        True,
    )
    deleted = step("deleted")
    assert (deleted["kind"], deleted["id"], deleted["deletedBy"], deleted["deleted"]) == (
        "TextMessage",
        edited["id"],
        B,
        True,
    )
    mine = a.send_message(TextMessage(B, "w1"))
    new = TextMessage(B, "w2")
    new.id = mine.id
    ours_edited = a.edit_message(new)
    assert type(ours_edited) is TextMessage and ours_edited.text == "w2"
    assert a.delete_message(mine.id).deleted_at is not None

    # add members: the promise settles, per uid
    added = step("added")["result"]
    assert added[C] == "success" and added["superhero4"] == "success"
    assert added["ghost"] != "success"
    ours_added = a.add_members_to_group(
        "club2", ["superhero4", "ghost"], users_to_ban=["superhero5"]
    )
    assert ours_added["superhero4"] == ours_added["superhero5"] == "success"
    assert ours_added["ghost"] == added["ghost"]  # the same error message

    # members page past the first hundred, as ours does
    assert step("members")["pages"] == [100, 21]
    assert len(a.get_group_members("crowd", page=2)) == 21
    js_page2 = next(t for m, t, _ in traffic if "crowd/members" in t and "page=2" in t)
    assert "per_page=100" in js_page2

    # history: the first page says affix=prepend, as ours does
    assert step("history")["count"] >= 1
    (js_history,) = [t for m, t, _ in traffic if m == "GET" and "users/superhero1/messages" in t]
    assert "affix=prepend" in js_history
    a.fetch_messages(B)
    ours_history = [t for m, t, _ in traffic if m == "GET" and "users/superhero2/messages" in t]
    assert "affix=prepend" in ours_history[-1]

    # calls: POST calls bodies agree; the initiator is the call's sender at every step
    calling = step("calling")
    assert calling["initiator"] == B
    (js_body,) = [body for m, t, body in traffic if m == "POST" and t.endswith("/calls")]
    assert (js_body["category"], js_body["status"]) == ("call", "initiated")
    accepted = a.accept_call(calling["session"])
    assert accepted.initiator_uid == B  # ours, on the callee's own step
    assert step("accepted") == {"event": "accepted", "initiator": B, "status": "ongoing"}
    ours_call = a.initiate_call(C)
    (our_body,) = [
        body
        for m, t, body in traffic
        if m == "POST" and t.endswith("/calls") and body["receiver"] == C
    ]
    assert {k: our_body[k] for k in js_body} == {**js_body, "receiver": C, "type": "audio"}
    c.reject_call(ours_call.session_id)

    # unanswered: the caller hears a rejection, not a cancel
    calling = step("calling")
    assert a_calls.log.wait_for_count("on_incoming_call_received", 2, 5)
    status = {"status": "unanswered"}
    emu_put(emu, ca_file, f"calls/{calling['session']}", B, status)
    unanswered = step("unanswered")
    assert unanswered == {
        "event": "unanswered",
        "status": "unanswered",
        "initiator": B,
        "cancelled": 0,
    }
    assert a_calls.log.wait_for_count("on_incoming_call_cancelled", 1, 5)  # ours: the callee

    # group receipts add up to deliveredToAll and readByAll
    sent_id = int(step("group_sent")["id"])
    for member in (a, c):
        member.mark_as_delivered(member.get_message(sent_id))
    assert step("delivered_to_all")["id"] == str(sent_id)
    for member in (a, c):
        member.mark_as_read(member.get_message(sent_id))
    assert step("read_by_all")["id"] == str(sent_id)

    # a group call answered by another member: the official SDK stays silent, as ours does
    group_call = a.initiate_call("club", "audio", "group")
    assert step("group_ringing")["initiator"] == A
    c.accept_call(group_call.session_id)
    assert a_calls.log.wait_for_count("on_outgoing_call_accepted", 1, 5)
    base = {"appId": emu.app_id, "sender": A, "receiver": B, "receiverType": "user"}
    body = {"conversationId": f"{A}_user_{B}", "sender": A, "receiver": B, "receiverType": "user"}
    entities = {
        "sender": {"entity": {"uid": A, "name": "Iron Man"}, "entityType": "user"},
        "receiver": {"entity": {"uid": B, "name": "Captain America"}, "entityType": "user"},
    }
    frames = [
        {**base, "type": "message", "body": {**body, "id": "9001", "category": "custom",
         "type": "text", "data": {"text": "custom text", "entities": entities}}},
        {**base, "type": "message", "body": {**body, "id": "9002", "category": "interactive",
         "type": "form", "data": {"interactiveData": {"title": "t"}, "entities": entities,
                                  "interactionGoal": {"type": "none", "elementIds": []}}}},
        {**base, "type": "interaction_completed",
         "body": {"messageId": "9002", "user": {"uid": A, "name": "Iron Man"},
                  "interactions": [{"elementId": "submit", "interactedAt": 1700000000}]}},
    ]  # fmt: skip
    for frame in frames:
        emu.push_raw(B, json.dumps(frame))
    node.send("{}\n")
    routed = step("routed")
    assert routed == {
        "event": "routed",
        "text": "custom text",
        "textKind": "CustomMessage",  # ours hands a TextMessage (category "custom") instead
        "interactive": "9002",
        "groupAccepted": 0,
    }
    assert step("logged_out")["event"] == "logged_out"
    assert node.proc.wait(10) == 0


def emu_put(emu: Emulator, ca_file: str, path: str, uid: str, body: Any) -> None:
    """``PUT path`` as ``uid`` from another device of theirs."""
    answer = requests.put(
        f"{emu.client_host}/v3.0/{path}",
        headers={
            "appId": emu.app_id,
            "authToken": emu.create_auth_token(uid),
            "resource": "another-device",
        },
        json=body,
        timeout=5,
        verify=ca_file,
    )
    assert answer.status_code == 200, answer.text
