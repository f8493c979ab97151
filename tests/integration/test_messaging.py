"""The messaging calls themselves, against the emulator: REST sends, history, edits and
deletes, users, groups, calls, the socket sends and their error rules, argument checks and
the server's ``AUTH_ERR_AUTH_TOKEN_NOT_FOUND``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import Action
from cometchat_sync import BaseMessage
from cometchat_sync import Call
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import CustomMessage
from cometchat_sync import Group
from cometchat_sync import GroupMember
from cometchat_sync import MediaMessage
from cometchat_sync import NotLoggedInError
from cometchat_sync import TextMessage
from cometchat_sync import TransientMessage
from cometchat_sync import TypingIndicator
from cometchat_sync import User
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import LoginRecorder
from cometchat_sync.testing import MessageRecorder

A = "superhero1"
B = "superhero2"
C = "superhero3"
WAIT = 5.0


@pytest.fixture
def a(connected):
    return connected(A)


@pytest.fixture
def b(connected):
    return connected(B)


def raises_code(code: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> CometChatException:
    with pytest.raises(CometChatException) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, f"{info.value!r}"
    return info.value


# -- sending ------------------------------------------------------------------------------------


def test_send_text_message(a, emulator):
    before = int(time.time())
    sent = a.send_message(TextMessage(B, "hello", metadata={"m": [1, 2]}, tags=["t1"]))
    assert type(sent) is TextMessage
    assert sent.id > 0
    assert isinstance(sent.sent_at, int) and sent.sent_at >= before - 1
    assert sent.text == "hello"
    assert (sent.sender_uid, sent.receiver_uid, sent.receiver_type) == (A, B, "user")
    assert (sent.category, sent.type) == ("message", "text")
    assert sent.metadata == {"m": [1, 2]} and sent.tags == ["t1"]
    assert sent.conversation_id == f"{A}_user_{B}"
    assert sent.sender is not None and sent.sender.uid == A
    assert isinstance(sent.receiver, User) and sent.receiver.uid == B
    stored = emulator.messages()[-1]
    assert int(stored["id"]) == sent.id and stored["data"]["text"] == "hello"


def test_send_media_message(a):
    url = "https://cdn.example.com/clip.mp4"
    sent = a.send_message(MediaMessage(B, url, "video", caption="watch"))
    assert type(sent) is MediaMessage
    assert sent.id > 0 and isinstance(sent.sent_at, int)
    assert (sent.category, sent.type) == ("message", "video")
    assert sent.url == url and sent.caption == "watch"
    assert [att.url for att in sent.attachments] == [url]


def test_send_custom_message(a):
    sent = a.send_message(CustomMessage(B, "poll", {"q": "tea?", "options": ["yes", "no"]}))
    assert type(sent) is CustomMessage
    assert sent.id > 0 and isinstance(sent.sent_at, int)
    assert sent.category == "custom" and sent.custom_type == "poll"
    assert sent.custom_data == {"q": "tea?", "options": ["yes", "no"]}


def test_send_thread_reply(a):
    parent = a.send_message(TextMessage(B, "parent"))
    reply = a.send_message(TextMessage(B, "reply", parent_id=parent.id))
    assert reply.parent_id == parent.id
    assert a.get_message(parent.id).reply_count == 1


def test_message_ids_increase(a):
    ids = [a.send_message(TextMessage(B, f"n{i}")).id for i in range(5)]
    assert ids == sorted(set(ids))


def test_send_to_an_unknown_user_or_a_group_one_is_not_in(a, b):
    raises_code("ERR_UID_NOT_FOUND", a.send_message, TextMessage("nobody-at-all", "hi"))
    a.create_group(Group("closed-club", "Club"))
    raises_code(
        "ERR_NOT_A_MEMBER", b.send_message, TextMessage("closed-club", "hi", receiver_type="group")
    )
    raises_code("ERR_GUID_NOT_FOUND", a.send_message, TextMessage("no-group", "x", "group"))


# -- history ------------------------------------------------------------------------------------


@pytest.fixture
def six(a) -> list[BaseMessage]:
    return [a.send_message(TextMessage(B, f"h{i}")) for i in range(6)]


def ids(messages: Sequence[BaseMessage]) -> list[int]:
    return [m.id for m in messages]


def test_fetch_latest(a, b, six):
    assert ids(a.fetch_messages(B)) == ids(six)
    latest = a.fetch_messages(B, limit=3)
    assert ids(latest) == ids(six[3:])  # the newest three, oldest first
    assert all(type(m) is TextMessage for m in latest)
    assert [m.text for m in latest] == ["h3", "h4", "h5"]
    # the other side sees the same conversation
    assert ids(b.fetch_messages(A)) == ids(six)


def test_fetch_before_and_after(a, six):
    assert ids(a.fetch_messages(B, before_id=six[3].id, limit=2)) == ids(six[1:3])
    assert ids(a.fetch_messages(B, before_id=six[3].id)) == ids(six[:3])
    assert ids(a.fetch_messages(B, after_id=six[2].id)) == ids(six[3:])
    assert ids(a.fetch_messages(B, after_id=six[0].id, limit=2)) == ids(six[1:3])
    assert ids(a.fetch_messages(B, after_id=0, limit=100)) == ids(six)
    assert a.fetch_messages(B, after_id=six[-1].id) == []
    assert a.fetch_messages(B, before_id=six[0].id) == []


def test_fetch_is_per_conversation(a, six):
    a.send_message(TextMessage(C, "to c"))
    assert ids(a.fetch_messages(B)) == ids(six)
    assert [m.text for m in a.fetch_messages(C)] == ["to c"]


@pytest.mark.parametrize("limit", [0, -1, 101, True, 2.5, "10", None])
def test_fetch_limit_is_validated(a, emulator, limit):
    requests = emulator.request_count()
    raises_code("ERR_INVALID_PARAMETER", a.fetch_messages, B, limit=limit)
    assert emulator.request_count() == requests  # refused before any request


def test_fetch_limit_bounds_are_accepted(a, six):
    assert len(a.fetch_messages(B, limit=1)) == 1
    assert len(a.fetch_messages(B, limit=100)) == 6


def test_fetch_before_and_after_together_is_refused(a):
    raises_code("ERR_INVALID_PARAMETER", a.fetch_messages, B, before_id=5, after_id=1)


def test_fetch_group_conversation(a, b, connected):
    a.create_group(Group("history-g", "History"))
    b.join_group("history-g")
    m1 = a.send_message(TextMessage("history-g", "g1", receiver_type="group"))
    m2 = b.send_message(TextMessage("history-g", "g2", receiver_type="group"))
    a.send_message(TextMessage(B, "not in the group"))
    got = b.fetch_messages("history-g", "group")
    texts = [m for m in got if isinstance(m, TextMessage)]
    assert ids(texts) == [m1.id, m2.id]
    assert all(m.receiver_type == "group" and m.receiver_uid == "history-g" for m in texts)
    joins = [m for m in got if isinstance(m, Action)]
    assert [j.action for j in joins] == ["joined"]
    assert ids(got) == sorted(ids(got))
    assert ids(b.fetch_messages("history-g", "group", after_id=m1.id)) == [m2.id]
    c = connected(C)
    raises_code("ERR_GROUP_NOT_JOINED", c.fetch_messages, "history-g", "group")


def test_get_message(a, b, six):
    got = b.get_message(six[2].id)
    assert type(got) is TextMessage and got.id == six[2].id and got.text == "h2"
    raises_code("ERR_MESSAGE_ID_NOT_FOUND", a.get_message, 10_000_000)


# -- edit and delete ----------------------------------------------------------------------------


def test_edit_own_message(a):
    sent = a.send_message(TextMessage(B, "colour"))
    sent.text = "color"
    edited = a.edit_message(sent)
    assert type(edited) is TextMessage
    assert edited.id == sent.id and edited.text == "color"
    assert edited.edited_by == A and isinstance(edited.edited_at, int)
    assert a.get_message(sent.id).text == "color"


def test_edit_custom_message(a):
    sent = a.send_message(CustomMessage(B, "score", {"home": 0, "away": 0}))
    sent.custom_data = {"home": 1, "away": 0}
    edited = a.edit_message(sent)
    assert type(edited) is CustomMessage
    assert edited.id == sent.id and edited.custom_data == {"home": 1, "away": 0}
    assert isinstance(edited.edited_at, int)


def test_edit_someone_elses_message_is_refused(a, b):
    sent = a.send_message(TextMessage(B, "mine"))
    theirs = b.get_message(sent.id)
    theirs.text = "hijacked"
    raises_code("ERR_MESSAGE_NOT_A_SENDER", b.edit_message, theirs)
    assert a.get_message(sent.id).text == "mine"


def test_delete_own_message(a):
    sent = a.send_message(TextMessage(B, "bye"))
    deleted = a.delete_message(sent.id)
    assert deleted.id == sent.id
    assert deleted.deleted_by == A and isinstance(deleted.deleted_at, int)
    assert deleted.is_deleted and a.get_message(sent.id).is_deleted
    raises_code("ERR_BAD_REQUEST", a.delete_message, sent.id)  # already deleted


def test_delete_someone_elses_message_is_refused(a, b):
    sent = a.send_message(TextMessage(B, "keep"))
    raises_code("ERR_MESSAGE_NOT_A_SENDER", b.delete_message, sent.id)
    assert not a.get_message(sent.id).is_deleted


def test_edit_or_delete_unknown_message(a):
    ghost = TextMessage(B, "ghost")
    ghost.id = 9_999_999
    raises_code("ERR_MESSAGE_ID_NOT_FOUND", a.edit_message, ghost)
    raises_code("ERR_MESSAGE_ID_NOT_FOUND", a.delete_message, 9_999_999)


# -- users --------------------------------------------------------------------------------------


def test_get_user(a, b):
    user = a.get_user(B)
    assert isinstance(user, User)
    assert user.uid == B and user.name == "Captain America"
    assert user.status == "online"  # b is connected


def test_get_unknown_user(a):
    err = raises_code("ERR_UID_NOT_FOUND", a.get_user, "no-such-user")
    assert "no-such-user" in err.message


# -- groups -------------------------------------------------------------------------------------


def test_create_and_get_group(a, b):
    created = a.create_group(Group("team-x", "Team X", description="the team"))
    assert isinstance(created, Group)
    assert (created.guid, created.name, created.type) == ("team-x", "Team X", "public")
    assert created.owner == A and created.has_joined and created.scope == "admin"
    assert created.members_count == 1 and created.description == "the team"
    seen = b.get_group("team-x")
    assert seen.guid == "team-x" and not seen.has_joined and seen.scope is None
    raises_code("ERR_GUID_ALREADY_EXISTS", b.create_group, Group("team-x", "Again"))
    raises_code("ERR_GUID_NOT_FOUND", a.get_group, "no-such-group")


def test_join_password_group(a, b):
    a.create_group(Group("vault", "Vault", "password", raw={"password": "s3cret"}))
    raises_code("ERR_WRONG_GROUP_PASS", b.join_group, "vault", "password", "guess")
    raises_code("ERR_EMPTY_GROUP_PASS", b.join_group, "vault", "password")
    assert not b.get_group("vault").has_joined
    joined = b.join_group("vault", "password", "s3cret")
    assert joined.guid == "vault" and joined.has_joined and joined.scope == "participant"
    raises_code("ERR_ALREADY_JOINED", b.join_group, "vault", "password", "s3cret")


def test_private_group_cannot_be_joined(a, b):
    a.create_group(Group("hidden", "Hidden", "private"))
    raises_code("ERR_GROUP_JOIN_NOT_ALLOWED", b.join_group, "hidden", "private")


def test_members_join_and_leave(a, b, connected):
    a.create_group(Group("club", "Club"))
    b.join_group("club")
    c = connected(C)
    c.join_group("club")
    members = a.get_group_members("club")
    assert all(isinstance(m, GroupMember) for m in members)
    assert {m.uid: m.scope for m in members} == {A: "admin", B: "participant", C: "participant"}
    assert a.get_group("club").members_count == 3
    b.leave_group("club")
    assert {m.uid for m in a.get_group_members("club")} == {A, C}
    assert not b.get_group("club").has_joined
    raises_code("ERR_GROUP_NOT_JOINED", b.leave_group, "club")
    assert len(a.get_group_members("club", limit=1)) == 1


def test_member_management_and_scope_rules(a, b, connected):
    a.create_group(Group("ops", "Ops"))
    b.join_group("ops")
    raises_code("AUTH_ERR_NO_ACCESS", b.kick_group_member, "ops", A)  # a participant
    a.update_group_member_scope("ops", B, "moderator")
    assert {m.uid: m.scope for m in a.get_group_members("ops")}[B] == "moderator"
    a.add_members_to_group("ops", [C])
    assert {m.uid for m in a.get_group_members("ops")} == {A, B, C}
    b.kick_group_member("ops", C)  # a moderator may kick a participant
    assert {m.uid for m in a.get_group_members("ops")} == {A, B}
    a.ban_group_member("ops", B)
    assert {m.uid for m in a.get_group_members("ops")} == {A}
    raises_code("ERR_BANNED_GROUPMEMBER", b.join_group, "ops")
    a.unban_group_member("ops", B)
    assert b.join_group("ops").scope == "participant"
    raises_code("ERR_INVALID_PARAMETER", a.update_group_member_scope, "ops", B, "king")


# -- reactions and calls ------------------------------------------------------------------------


def test_reactions_over_rest(a, b):
    sent = a.send_message(TextMessage(B, "nice"))
    b.add_reaction(sent.id, "🔥")
    assert a.get_message(sent.id).raw["reactions"] == [
        {"reaction": "🔥", "count": 1, "reactedByMe": False}
    ]
    b.remove_reaction(sent.id, "🔥")
    assert "reactions" not in a.get_message(sent.id).raw
    raises_code("ERR_MESSAGE_ID_NOT_FOUND", b.add_reaction, 9_999_999, "🔥")


def test_call_lifecycle_over_rest(a, b):
    call = a.initiate_call(B, "audio")
    assert isinstance(call, Call) and call.session_id
    assert (call.status, call.type, call.sender_uid, call.receiver_uid) == (
        "initiated",
        "audio",
        A,
        B,
    )
    accepted = b.accept_call(call.session_id)
    assert accepted.session_id == call.session_id and accepted.status == "ongoing"
    ended = a.end_call(call.session_id)
    assert ended.status == "ended"
    raises_code("ERR_CALL_TERMINATED", b.reject_call, call.session_id)
    raises_code("ERR_CALL_SESSION_NOT_FOUND", a.accept_call, "no-such-session")


# -- socket sends: connection and login rules ---------------------------------------------------


def test_socket_sends_need_a_connection(login, a, emulator):
    b = login(B)  # manual mode, never connected
    assert b.get_connection_status() == "disconnected"
    a.send_message(TextMessage(B, "for receipts"))
    received = b.fetch_messages(A)[-1]
    assert received.text == "for receipts"
    raises_code("NO_WEBSOCKET_CONNECTION", b.start_typing, TypingIndicator(A))
    raises_code("NO_WEBSOCKET_CONNECTION", b.mark_as_delivered, received)
    raises_code("NO_WEBSOCKET_CONNECTION", b.mark_as_read, received)
    raises_code("NO_WEBSOCKET_CONNECTION", b.send_transient_message, TransientMessage(A))
    b.end_typing(TypingIndicator(A))  # nothing was started: nothing to send, no error
    # REST still works without the socket
    assert b.send_message(TextMessage(A, "over REST")).id > 0

    b.connect()
    b.start_typing(TypingIndicator(A))  # the failed start was not remembered: sent now
    b.mark_as_read(received)
    assert emulator.wait_for_frame(B, lambda f: f.get("type") == "receipts", WAIT)
    kinds = [f.get("type") for f in emulator.frames_from(B) if f.get("type") != "auth"]
    assert [k for k in kinds if k] == ["typing_indicator", "receipts"]

    b.disconnect()
    raises_code("NO_WEBSOCKET_CONNECTION", b.end_typing, TypingIndicator(A))
    raises_code("NO_WEBSOCKET_CONNECTION", b.mark_as_delivered, received)


def test_socket_sends_need_a_user(make_client):
    client = make_client()
    msg = TextMessage.from_json(
        {
            "id": "5",
            "sender": A,
            "receiver": B,
            "type": "text",
            "category": "message",
            "receiverType": "user",
        }
    )
    for call, arg in (
        (client.start_typing, TypingIndicator(B)),
        (client.end_typing, TypingIndicator(B)),
        (client.mark_as_delivered, msg),
        (client.mark_as_read, msg),
        (client.send_transient_message, TransientMessage(B)),
        (client.send_message, TextMessage(B, "hi")),
        (client.fetch_messages, B),
        (client.get_user, B),
    ):
        with pytest.raises(NotLoggedInError) as info:
            call(arg)
        assert info.value.code == "ERR_NOT_LOGGED_IN"


# -- MODE throttling ----------------------------------------------------------------------------


def test_no_transient_mode_skips_typing_and_transient_and_blocks_receipts(connected, emulator):
    b = connected(B)  # DEFAULT mode
    rec = MessageRecorder()
    b.add_message_listener("rec", rec)
    emulator.set_mode("NO_TRANSIENT")
    a = connected(A)
    sent = b.send_message(TextMessage(A, "read me"))
    received = a.get_message(sent.id)
    assert a.start_typing(TypingIndicator(B)) is None
    assert a.end_typing(TypingIndicator(B)) is None
    assert a.send_transient_message(TransientMessage(B, data={"x": 1})) is None
    raises_code("RECEIPTS_TEMPORARILY_BLOCKED", a.mark_as_read, received)
    raises_code("RECEIPTS_TEMPORARILY_BLOCKED", a.mark_as_delivered, received)
    relayed = ("typing_indicator", "transient_message", "receipts")
    assert emulator.wait_for_frame(A, lambda f: f.get("type") in relayed, 0.5) is None
    assert rec.log.names() == []


def test_limited_transient_mode_skips_typing_only(connected, emulator):
    b = connected(B)
    rec = MessageRecorder()
    b.add_message_listener("rec", rec)
    emulator.set_mode("LIMITED_TRANSIENT")
    a = connected(A)
    a.start_typing(TypingIndicator(B))
    a.send_transient_message(TransientMessage(B, data={"x": 1}))  # sent: the barrier
    assert rec.log.wait_for_count("on_transient_message_received", 1, WAIT)
    assert rec.log.names() == ["on_transient_message_received"]
    assert [f for f in emulator.frames_from(A) if f.get("type") == "typing_indicator"] == []
    sent = b.send_message(TextMessage(A, "read me"))
    raises_code("RECEIPTS_TEMPORARILY_BLOCKED", a.mark_as_read, a.get_message(sent.id))


# -- argument checks ----------------------------------------------------------------------------


def _message_with_id(mid: int) -> TextMessage:
    msg = TextMessage(B, "x")
    msg.id = mid
    return msg


BAD_CALLS: dict[str, tuple[str, Callable[[CometChatClient], Any]]] = {
    "empty-receiver": ("MISSING_PARAMETERS", lambda c: c.send_message(TextMessage("", "x"))),
    "blank-receiver": ("MISSING_PARAMETERS", lambda c: c.send_message(TextMessage("  ", "x"))),
    "bad-receiver-type": (
        "ERR_INVALID_PARAMETER",
        lambda c: c.send_message(TextMessage(B, "x", receiver_type="channel")),
    ),
    "empty-text": ("MISSING_PARAMETERS", lambda c: c.send_message(TextMessage(B, ""))),
    "not-a-message": ("ERR_INVALID_PARAMETER", lambda c: c.send_message("hello")),  # type: ignore[arg-type]
    "fetch-empty-receiver": ("MISSING_PARAMETERS", lambda c: c.fetch_messages("")),
    "fetch-bad-receiver-type": ("ERR_INVALID_PARAMETER", lambda c: c.fetch_messages(B, "channel")),
    "fetch-limit-0": ("ERR_INVALID_PARAMETER", lambda c: c.fetch_messages(B, limit=0)),
    "fetch-before-0": ("ERR_INVALID_PARAMETER", lambda c: c.fetch_messages(B, before_id=0)),
    "fetch-after-negative": ("ERR_INVALID_PARAMETER", lambda c: c.fetch_messages(B, after_id=-1)),
    "get-message-0": ("ERR_INVALID_PARAMETER", lambda c: c.get_message(0)),
    "delete-0": ("ERR_INVALID_PARAMETER", lambda c: c.delete_message(0)),
    "delete-negative": ("ERR_INVALID_PARAMETER", lambda c: c.delete_message(-7)),
    "delete-bool": ("ERR_INVALID_PARAMETER", lambda c: c.delete_message(True)),
    "delete-str": ("ERR_INVALID_PARAMETER", lambda c: c.delete_message("12")),  # type: ignore[arg-type]
    "edit-unsent": ("ERR_INVALID_PARAMETER", lambda c: c.edit_message(TextMessage(B, "x"))),
    "edit-negative-id": ("ERR_INVALID_PARAMETER", lambda c: c.edit_message(_message_with_id(-1))),
    "react-0": ("ERR_INVALID_PARAMETER", lambda c: c.add_reaction(0, "x")),
    "react-empty": ("ERR_INVALID_PARAMETER", lambda c: c.add_reaction(1, "")),
    "unreact-negative": ("ERR_INVALID_PARAMETER", lambda c: c.remove_reaction(-1, "x")),
    "receipt-unsent": ("ERR_INVALID_PARAMETER", lambda c: c.mark_as_read(TextMessage(B, "x"))),
    "receipt-not-a-message": ("ERR_INVALID_PARAMETER", lambda c: c.mark_as_delivered(5)),  # type: ignore[arg-type]
    "typing-empty-receiver": (
        "MISSING_PARAMETERS",
        lambda c: c.start_typing(TypingIndicator("")),
    ),
    "typing-bad-receiver-type": (
        "ERR_INVALID_PARAMETER",
        lambda c: c.start_typing(TypingIndicator(B, "channel")),
    ),
    "typing-not-an-indicator": ("ERR_INVALID_PARAMETER", lambda c: c.start_typing(B)),  # type: ignore[arg-type]
    "transient-bad-data": (
        "ERR_INVALID_PARAMETER",
        lambda c: c.send_transient_message(TransientMessage(B, data=[1])),  # type: ignore[arg-type]
    ),
    "transient-empty-receiver": (
        "MISSING_PARAMETERS",
        lambda c: c.send_transient_message(TransientMessage("")),
    ),
    "get-user-empty": ("MISSING_PARAMETERS", lambda c: c.get_user("")),
    "get-group-empty": ("MISSING_PARAMETERS", lambda c: c.get_group("")),
    "join-group-empty": ("MISSING_PARAMETERS", lambda c: c.join_group("")),
    "create-group-no-guid": ("MISSING_PARAMETERS", lambda c: c.create_group(Group(""))),
    "scope-unknown": (
        "ERR_INVALID_PARAMETER",
        lambda c: c.update_group_member_scope("g", B, "owner"),
    ),
    "call-empty-receiver": ("MISSING_PARAMETERS", lambda c: c.initiate_call("")),
    "call-bad-type": ("ERR_INVALID_PARAMETER", lambda c: c.initiate_call(B, "hologram")),
    "call-bad-receiver-type": (
        "ERR_INVALID_PARAMETER",
        lambda c: c.initiate_call(B, receiver_type="channel"),
    ),
    "call-bad-status": ("ERR_INVALID_PARAMETER", lambda c: c.reject_call("s", "maybe")),
    "call-empty-session": ("MISSING_PARAMETERS", lambda c: c.accept_call("")),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_invalid_arguments_are_refused_locally(a, emulator, name):
    code, call = BAD_CALLS[name]
    requests = emulator.request_count()
    frames = len(emulator.frames_from(A))
    with pytest.raises(CometChatException) as info:
        call(a)
    assert info.value.code == code, f"{info.value!r}"
    assert emulator.request_count() == requests, "nothing goes to the server"
    assert [f for f in emulator.frames_from(A)[frames:] if f.get("action") != "ping"] == []


def test_edit_message_with_a_bare_id_is_refused(a):
    sent = a.send_message(TextMessage(B, "x"))
    raises_code("ERR_INVALID_PARAMETER", a.edit_message, sent.id)


def test_group_members_limit_is_validated(a, emulator):
    a.create_group(Group("limits", "Limits"))
    requests = emulator.request_count()
    raises_code("ERR_INVALID_PARAMETER", a.get_group_members, "limits", limit=0)
    assert emulator.request_count() == requests


# -- the server forgets the token ---------------------------------------------------------------


def test_auth_token_not_found_logs_out_locally(make_client, emulator):
    client = make_client()
    logins = LoginRecorder()
    conn = ConnectionRecorder()
    client.add_login_listener("rec", logins)
    client.add_connection_listener("rec", conn)
    client.login(A, emulator.auth_key)
    client.wait_until_connected(WAIT)
    emulator.fail_next_request("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", 401)
    raises_code("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", client.get_user, B)
    assert client.get_logged_in_user() is None
    assert logins.log.wait_for_count("on_logout_success", 1, WAIT)
    assert logins.log.names() == ["on_login_success", "on_logout_success"]
    client.wait_until_disconnected(WAIT)
    assert emulator.wait_for_sockets(A, 0, WAIT)
    assert conn.last_reason() == "token_revoked"
    with pytest.raises(NotLoggedInError):
        client.get_user(B)
    with pytest.raises(NotLoggedInError):
        client.start_typing(TypingIndicator(B))


def test_other_server_errors_do_not_log_out(a, emulator):
    emulator.fail_next_request("ERR_TOO_MANY_REQUESTS", 429)
    raises_code("ERR_TOO_MANY_REQUESTS", a.get_user, B)
    assert a.get_logged_in_user() is not None and a.get_logged_in_user().uid == A
    assert a.get_user(B).uid == B
    assert a.get_connection_status() == "connected"
