"""Answers read the way the official SDKs read them: our SDK against an emulator that
answers as the hosted service does (action messages for joins, edits and deletes, per-user
results for added members, calls that name their initiator, group receipts, the login
answer), and the real-time events routed as the official SDKs route them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from cometchat_sync import Call
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import Group
from cometchat_sync import TextMessage
from cometchat_sync.testing import CallRecorder
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import MessageRecorder

A = "superhero1"
B = "superhero2"
C = "superhero3"
WAIT = 5.0


def rest(emulator: Emulator, method: str, path: str, uid: str, body: Any = None) -> Any:
    """One client-API call as ``uid`` from another device (its own token and resource)."""
    answer = requests.request(
        method,
        f"{emulator.client_host}/v3.0/{path}",
        headers={
            "appId": emulator.app_id,
            "authToken": emulator.create_auth_token(uid),
            "resource": f"other-device-{uid}",
        },
        json=body,
        timeout=WAIT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def spy_on_requests(
    client: CometChatClient, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """Record (method, url, params, body) of every REST call ``client`` makes."""
    seen: list[dict[str, Any]] = []
    real = client._rest.call

    def call(method: str, url: str, **kwargs: Any) -> Any:
        seen.append({"method": method, "url": url, **kwargs})
        return real(method, url, **kwargs)

    monkeypatch.setattr(client._rest, "call", call)
    return seen


def marker(sender: CometChatClient, receiver: CometChatClient, log: MessageRecorder) -> None:
    """Send a text from ``sender`` and wait until ``receiver``'s listener has it: everything
    the server sent ``receiver`` before it has been delivered by then (one socket, in order)."""
    user = receiver.get_logged_in_user()
    assert user is not None
    sent = sender.send_message(TextMessage(user.uid, "marker"))
    assert log.log.wait_for(
        lambda calls: any(n == "on_text_message_received" and a[0].id == sent.id for n, a in calls),
        WAIT,
    )


# -- groups ---------------------------------------------------------------------------------


def test_join_group_reads_the_group_from_the_joined_action(connected):
    a, b = connected(A), connected(B)
    a.create_group(Group("club", "The Club", "public", description="d"))
    joined = b.join_group("club")
    assert isinstance(joined, Group)
    assert (joined.guid, joined.name, joined.type) == ("club", "The Club", "public")
    assert joined.has_joined and joined.scope == "participant"
    assert joined.description == "d" and joined.owner == A


def test_add_members_returns_what_became_of_each_user(connected):
    a = connected(A)
    a.create_group(Group("ops", "Ops"))
    results = a.add_members_to_group(
        "ops", [C, "ghost"], moderators=[B], users_to_ban=["superhero4"]
    )
    assert set(results) == {C, "ghost", B, "superhero4"}
    assert results[C] == results[B] == results["superhero4"] == "success"
    assert "ghost" in results["ghost"] and results["ghost"] != "success"
    # a user already in the group: refused for that user only
    again = a.add_members_to_group("ops", [C, "superhero5"])
    assert again["superhero5"] == "success" and "already" in again[C]
    scopes = {m.uid: m.scope for m in a.get_group_members("ops")}
    assert scopes == {A: "admin", B: "moderator", C: "participant", "superhero5": "participant"}
    # a bare string is not a list of uids (it would be split into characters)
    for bad in ({"participants": C}, {"moderators": "ab"}, {"users_to_ban": C}):
        with pytest.raises(CometChatException) as info:
            a.add_members_to_group("ops", **bad)
        assert info.value.code == "ERR_INVALID_PARAMETER"


def test_group_members_page_past_the_first_hundred(connected, emulator):
    a = connected(A)
    a.create_group(Group("crowd", "Crowd"))
    uids = [f"fan{i:03d}" for i in range(120)]
    for uid in uids:
        emulator.create_user(uid, uid)
    for start in range(0, len(uids), 25):  # the service takes 25 users per call
        assert set(a.add_members_to_group("crowd", uids[start : start + 25]).values()) == {
            "success"
        }
    first = a.get_group_members("crowd", limit=100)
    second = a.get_group_members("crowd", limit=100, page=2)
    assert (len(first), len(second)) == (100, 21)
    assert {m.uid for m in first} | {m.uid for m in second} == {A, *uids}
    assert a.get_group_members("crowd", limit=100, page=3) == []
    with pytest.raises(CometChatException) as info:
        a.get_group_members("crowd", page=0)
    assert info.value.code == "ERR_INVALID_PARAMETER"


# -- messages -------------------------------------------------------------------------------


def test_edit_and_delete_return_the_message_not_the_action(connected):
    a = connected(A)
    sent = a.send_message(TextMessage(B, "v1"))
    edited_text = TextMessage(B, "v2")
    edited_text.id = sent.id
    edited = a.edit_message(edited_text)
    assert type(edited) is TextMessage
    assert (edited.id, edited.text, edited.edited_by) == (sent.id, "v2", A)
    assert edited.edited_at is not None
    deleted = a.delete_message(sent.id)
    assert type(deleted) is TextMessage
    assert (deleted.id, deleted.deleted_by) == (sent.id, A) and deleted.deleted_at is not None


def test_history_first_page_says_affix_prepend(connected, monkeypatch):
    a = connected(A)
    a.send_message(TextMessage(B, "one"))
    seen = spy_on_requests(a, monkeypatch)
    assert [m.text for m in a.fetch_messages(B) if isinstance(m, TextMessage)] == ["one"]
    (request,) = seen
    assert request["params"] == {"per_page": 30, "affix": "prepend"}


# -- calls ----------------------------------------------------------------------------------


def test_post_calls_carries_category_and_status(connected, monkeypatch):
    a = connected(A)
    seen = spy_on_requests(a, monkeypatch)
    a.initiate_call(B, "video")
    (request,) = seen
    assert request["body"] == {
        "receiver": B,
        "receiverType": "user",
        "type": "video",
        "category": "call",
        "status": "initiated",
    }


def test_the_initiator_of_every_call_step_is_the_caller(connected):
    a, b = connected(A), connected(B)
    a_calls = CallRecorder()
    a.add_call_listener("calls", a_calls)
    started = a.initiate_call(B)
    assert started.initiator_uid == A
    accepted = b.accept_call(started.session_id)  # made by the callee
    assert accepted.initiator_uid == A and accepted.call_receiver is not None
    assert accepted.call_receiver.uid == B
    assert a_calls.log.wait_for_count("on_outgoing_call_accepted", 1, WAIT)
    (heard,) = a_calls.log.args_of("on_outgoing_call_accepted")
    assert isinstance(heard[0], Call) and heard[0].initiator_uid == A
    ended = b.end_call(started.session_id)
    assert ended.initiator_uid == A


def test_unanswered_is_the_callers_rejection_and_the_callees_cancel(connected, emulator):
    a, b = connected(A), connected(B)
    a_calls, b_calls = CallRecorder(), CallRecorder()
    a.add_call_listener("calls", a_calls)
    b.add_call_listener("calls", b_calls)
    call = a.initiate_call(B)
    assert b_calls.log.wait_for_count("on_incoming_call_received", 1, WAIT)
    # the caller's other device gives up ringing
    rest(emulator, "PUT", f"calls/{call.session_id}", A, {"status": "unanswered"})
    assert a_calls.log.wait_for_count("on_outgoing_call_rejected", 1, WAIT)
    assert b_calls.log.wait_for_count("on_incoming_call_cancelled", 1, WAIT)
    assert "on_incoming_call_cancelled" not in a_calls.log.names()
    assert "on_outgoing_call_rejected" not in b_calls.log.names()


def test_answers_to_a_group_call_reach_only_the_caller(connected):
    a, b, c = connected(A), connected(B), connected(C)
    a.create_group(Group("crew", "Crew"))
    a.add_members_to_group("crew", [B, C])
    a_calls, c_calls, c_messages = CallRecorder(), CallRecorder(), MessageRecorder()
    a.add_call_listener("calls", a_calls)
    c.add_call_listener("calls", c_calls)
    c.add_message_listener("messages", c_messages)
    call = a.initiate_call("crew", "audio", "group")
    assert c_calls.log.wait_for_count("on_incoming_call_received", 1, WAIT)
    b.accept_call(call.session_id)
    assert a_calls.log.wait_for_count("on_outgoing_call_accepted", 1, WAIT)
    marker(a, c, c_messages)  # c has had every frame sent before the marker
    assert c_calls.log.names() == ["on_incoming_call_received"]


# -- receipts, login ------------------------------------------------------------------------


def test_group_receipts_add_up_to_delivered_to_all_and_read_by_all(connected):
    a, b, c = connected(A), connected(B), connected(C)
    a.create_group(Group("team", "Team"))
    a.add_members_to_group("team", [B, C])
    a_messages = MessageRecorder()
    a.add_message_listener("messages", a_messages)
    b_messages, c_messages = MessageRecorder(), MessageRecorder()
    b.add_message_listener("m", b_messages)
    c.add_message_listener("m", c_messages)
    sent = a.send_message(TextMessage("team", "hello team", "group"))
    for member, log in ((b, b_messages), (c, c_messages)):
        assert log.log.wait_for_count("on_text_message_received", 1, WAIT)
        (received,) = log.log.args_of("on_text_message_received")
        member.mark_as_delivered(received[0])
    assert a_messages.log.wait_for_count("on_messages_delivered_to_all", 1, WAIT)
    (receipt,) = a_messages.log.args_of("on_messages_delivered_to_all")
    assert receipt[0].message_id == sent.id and receipt[0].receipt_type == "deliveredToAll"
    assert "on_messages_read_by_all" not in a_messages.log.names()
    for member, log in ((b, b_messages), (c, c_messages)):
        member.mark_as_read(log.log.args_of("on_text_message_received")[0][0])
    assert a_messages.log.wait_for_count("on_messages_read_by_all", 1, WAIT)
    assert a_messages.log.args_of("on_messages_read_by_all")[0][0].message_id == sent.id
    assert len(a_messages.log.args_of("on_messages_delivered_to_all")) == 1  # once


def test_group_conversation_marks_over_rest_add_up_too(connected):
    a, b, c = connected(A), connected(B), connected(C)
    a.create_group(Group("desk", "Desk"))
    a.add_members_to_group("desk", [B, C])
    a_messages = MessageRecorder()
    a.add_message_listener("messages", a_messages)
    sent = [a.send_message(TextMessage("desk", text, "group")) for text in ("one", "two")]
    b.mark_conversation_as_delivered("desk", "group")
    c.mark_conversation_as_read("desk", "group")
    assert a_messages.log.wait_for_count("on_messages_delivered_to_all", 2, WAIT)
    assert "on_messages_read_by_all" not in a_messages.log.names()  # b has not read them
    b.mark_conversation_as_read("desk", "group")
    assert a_messages.log.wait_for_count("on_messages_read_by_all", 2, WAIT)
    for method in ("on_messages_delivered_to_all", "on_messages_read_by_all"):
        ids = [args[0].message_id for args in a_messages.log.args_of(method)]
        assert sorted(ids) == [m.id for m in sent], method  # each message, once


def test_login_answer_reports_the_user_online(make_client, emulator):
    client = make_client(auto=False)
    user = client.login(A, emulator.auth_key)
    assert user.uid == A and user.status == "online"


# -- events the official SDKs route ----------------------------------------------------------


def test_custom_text_and_unmodelled_events_reach_a_listener(connected, emulator):
    a = connected(A)
    log = MessageRecorder()
    a.add_message_listener("messages", log)
    base = {"appId": emulator.app_id, "sender": B, "receiver": A, "receiverType": "user"}
    body = {
        "id": "9001",
        "conversationId": f"{A}_user_{B}",
        "sender": B,
        "receiver": A,
        "receiverType": "user",
        "sentAt": 1700000000,
    }
    frames = [
        {**base, "type": "message", "body": {**body, "category": "custom", "type": "text",
                                              "data": {"text": "custom text"}}},
        {**base, "type": "message", "body": {**body, "id": "9002", "category": "interactive",
                                              "type": "form", "data": {"interactiveData": {}}}},
        {**base, "type": "interaction_completed", "body": {"messageId": "9002"}},
    ]  # fmt: skip
    for frame in frames:
        emulator.push_raw(A, json.dumps(frame))
    # interactive messages and their goal events have their own listener methods
    assert log.log.wait_for_count("on_interaction_goal_completed", 1, WAIT)
    assert log.texts() == ["custom text"]
    (interactive,) = log.log.args_of("on_interactive_message_received")[0]
    assert (interactive.id, interactive.type) == (9002, "form")
    (receipt,) = log.log.args_of("on_interaction_goal_completed")[0]
    assert receipt.message_id == 9002
    assert log.log.args_of("on_unhandled_event") == []
