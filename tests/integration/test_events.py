"""Real-time events end to end: two real clients on the emulator, one test per listener method.

Every wait is bounded. Where a test asserts that something did *not* happen it first waits
for a later event on the same socket (a "barrier": frames on one socket arrive in order), or,
where no such barrier exists, makes a short bounded wait that must return False.
"""

from __future__ import annotations

import json
import queue
import threading
import time
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
from cometchat_sync import MediaMessage
from cometchat_sync import MessageListener
from cometchat_sync import MessageReceipt
from cometchat_sync import ReactionEvent
from cometchat_sync import TextMessage
from cometchat_sync import TransientMessage
from cometchat_sync import TypingIndicator
from cometchat_sync import User
from cometchat_sync.testing import CallRecorder
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import EventLog
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing import GroupRecorder
from cometchat_sync.testing import LoginRecorder
from cometchat_sync.testing import MessageRecorder
from cometchat_sync.testing import UserRecorder

A = "superhero1"
B = "superhero2"
C = "superhero3"
WAIT = 5.0


class Side:
    """One client with a recorder of every family, registered before login."""

    def __init__(self, client: CometChatClient, uid: str) -> None:
        self.client = client
        self.uid = uid
        self.messages = MessageRecorder()
        self.users = UserRecorder()
        self.groups = GroupRecorder()
        self.calls = CallRecorder()
        self.conn = ConnectionRecorder()
        self.logins = LoginRecorder()
        client.add_message_listener("rec", self.messages)
        client.add_user_listener("rec", self.users)
        client.add_group_listener("rec", self.groups)
        client.add_call_listener("rec", self.calls)
        client.add_connection_listener("rec", self.conn)
        client.add_login_listener("rec", self.logins)

    def wait(
        self, log: EventLog, method: str, count: int = 1, timeout: float = WAIT
    ) -> list[tuple[Any, ...]]:
        """Wait for ``count`` calls of ``method``; return their argument tuples."""
        assert log.wait_for_count(method, count, timeout), (
            f"{self.uid}: {method} x{count} not heard within {timeout}s; got {log.names()}"
        )
        return log.args_of(method)

    def first(self, log: EventLog, method: str, timeout: float = WAIT) -> Any:
        return self.wait(log, method, 1, timeout)[0][0]

    def wait_text(self, text: str, timeout: float = WAIT) -> TextMessage:
        """Wait for the text message ``text``; return it."""
        assert self.messages.log.wait_for(
            lambda calls: any(
                n == "on_text_message_received" and a[0].text == text for n, a in calls
            ),
            timeout,
        ), f"{self.uid}: text {text!r} not received; got {self.messages.texts()}"
        return next(m for m in self.received() if m.text == text)

    def received(self) -> list[TextMessage]:
        return [a[0] for a in self.messages.log.args_of("on_text_message_received")]


@pytest.fixture
def side(make_client, emulator) -> Callable[..., Side]:
    """``side(uid, **overrides)``: a client with recorders, logged in (auto mode: connected)."""

    def make(uid: str, login: bool = True, **overrides: Any) -> Side:
        s = Side(make_client(**overrides), uid)
        if login:
            s.client.login(uid, emulator.auth_key)
            if s.client.settings.auto_establish_socket_connection:
                s.client.wait_until_connected(WAIT)
        return s

    return make


@pytest.fixture
def pair(side) -> tuple[Side, Side]:
    """superhero1 (a) and superhero2 (b), both connected."""
    return side(A), side(B)


def barrier(emulator, to: Side, sender: str = C) -> None:
    """A message from ``sender`` to ``to``, waited for: everything the server sent ``to``
    before it has been dispatched once this returns."""
    text = f"barrier-{time.monotonic_ns()}"
    emulator.send_message(sender, to.uid, text)
    to.wait_text(text)


def frames_of_type(emulator, uid: str, kind: str) -> list[dict[str, Any]]:
    return [f for f in emulator.frames_from(uid) if f.get("type") == kind]


# -- MessageListener ---------------------------------------------------------------------------


def test_text_message_received(pair):
    a, b = pair
    sent = a.client.send_message(TextMessage(B, "hello there", metadata={"k": 1}))
    msg = b.wait_text("hello there")
    assert isinstance(msg, TextMessage)
    assert msg.id == sent.id > 0
    assert msg.sender_uid == A and msg.receiver_uid == B and msg.receiver_type == "user"
    assert msg.sender is not None and msg.sender.uid == A
    assert msg.metadata == {"k": 1}
    assert msg.sent_at == sent.sent_at


def test_media_message_received(pair):
    a, b = pair
    url = "https://files.example.com/cat.png"
    sent = a.client.send_message(MediaMessage(B, url, "image", caption="a cat"))
    msg = b.first(b.messages.log, "on_media_message_received")
    assert isinstance(msg, MediaMessage)
    assert msg.id == sent.id
    assert msg.type == "image" and msg.category == "message"
    assert msg.url == url
    assert msg.caption == "a cat"
    assert [att.url for att in msg.attachments] == [url]
    assert msg.sender_uid == A
    assert "on_text_message_received" not in b.messages.log.names()


def test_custom_message_received(pair):
    a, b = pair
    sent = a.client.send_message(
        CustomMessage(B, "location", {"lat": 51.5, "lng": -0.12}, sub_type="pin")
    )
    msg = b.first(b.messages.log, "on_custom_message_received")
    assert isinstance(msg, CustomMessage)
    assert msg.id == sent.id
    assert msg.custom_type == "location"
    assert msg.custom_data == {"lat": 51.5, "lng": -0.12}
    assert msg.sub_type == "pin"
    assert msg.sender_uid == A


def test_typing_started_and_ended(pair):
    a, b = pair
    a.client.start_typing(TypingIndicator(B, metadata={"draft": True}))
    started = b.first(b.messages.log, "on_typing_started")
    assert isinstance(started, TypingIndicator)
    assert started.sender is not None and started.sender.uid == A
    assert started.receiver_id == B and started.receiver_type == "user"
    assert started.action == "started"
    assert started.metadata == {"draft": True}
    a.client.end_typing(TypingIndicator(B))
    ended = b.first(b.messages.log, "on_typing_ended")
    assert ended.sender.uid == A and ended.action == "ended"
    assert b.messages.log.names() == ["on_typing_started", "on_typing_ended"]


def test_start_typing_twice_sends_one_started_frame(pair, emulator):
    a, b = pair
    a.client.start_typing(TypingIndicator(B))
    a.client.start_typing(TypingIndicator(B))
    a.client.end_typing(TypingIndicator(B))
    # The "ended" frame is the barrier: a second "started" would have reached the server first.
    b.wait(b.messages.log, "on_typing_ended")
    actions = [f["body"]["action"] for f in frames_of_type(emulator, A, "typing_indicator")]
    assert actions == ["started", "ended"]
    assert b.messages.log.names() == ["on_typing_started", "on_typing_ended"]


def test_end_typing_without_start_sends_nothing(pair, emulator):
    a, b = pair
    a.client.end_typing(TypingIndicator(B))
    a.client.start_typing(TypingIndicator(B))  # the barrier
    b.wait(b.messages.log, "on_typing_started")
    actions = [f["body"]["action"] for f in frames_of_type(emulator, A, "typing_indicator")]
    assert actions == ["started"]
    assert b.messages.log.names() == ["on_typing_started"]


def test_typing_is_per_receiver(pair, emulator, side):
    a, b = pair
    c = side(C)
    a.client.start_typing(TypingIndicator(B))
    a.client.start_typing(TypingIndicator(C))  # another receiver: its own "started"
    b.wait(b.messages.log, "on_typing_started")
    c.wait(c.messages.log, "on_typing_started")
    receivers = [f["receiver"] for f in frames_of_type(emulator, A, "typing_indicator")]
    assert receivers == [B, C]


def test_delivered_and_read_receipts_round_trip(pair):
    a, b = pair
    before = int(time.time())
    sent = a.client.send_message(TextMessage(B, "please read"))
    msg = b.wait_text("please read")

    b.client.mark_as_delivered(msg)
    receipt = a.first(a.messages.log, "on_messages_delivered")
    assert isinstance(receipt, MessageReceipt)
    assert receipt.message_id == sent.id
    assert receipt.receipt_type == "delivered"
    assert receipt.sender is not None and receipt.sender.uid == B
    assert isinstance(receipt.timestamp, int) and receipt.timestamp >= before - 1
    assert receipt.delivered_at == receipt.timestamp

    b.client.mark_as_read(msg)
    read = a.first(a.messages.log, "on_messages_read")
    assert read.message_id == sent.id
    assert read.receipt_type == "read"
    assert read.sender.uid == B
    assert isinstance(read.timestamp, int) and read.timestamp >= receipt.timestamp
    assert read.read_at == read.timestamp
    assert a.messages.log.names() == ["on_messages_delivered", "on_messages_read"]


def test_receipts_to_all_only_from_a_server_frame(pair, emulator):
    """The emulator never generates ``deliveredToAll``/``readByAll`` itself (it only relays
    what clients send, and the SDK sends ``delivered``/``read``): push the server's frames."""
    a, _ = pair
    for action, mid in (("deliveredToAll", "41"), ("readByAll", "42")):
        frame = json.dumps(
            {
                "appId": emulator.app_id,
                "receiver": "g1",
                "receiverType": "group",
                "type": "receipts",
                "sender": B,
                "body": {
                    "action": action,
                    "messageId": mid,
                    "user": {"uid": B, "name": "B"},
                    "timestamp": 1700000000,
                },
            }
        )
        assert emulator.push_raw(A, frame) == 1
    to_all = a.first(a.messages.log, "on_messages_delivered_to_all")
    by_all = a.first(a.messages.log, "on_messages_read_by_all")
    assert (to_all.message_id, to_all.receipt_type, to_all.delivered_at) == (
        41,
        "deliveredToAll",
        1700000000,
    )
    assert (by_all.message_id, by_all.receipt_type, by_all.read_at) == (
        42,
        "readByAll",
        1700000000,
    )


def test_group_receipts_reach_the_sender(pair):
    a, b = pair
    a.client.create_group(Group("g-receipts", "Receipts"))
    b.client.join_group("g-receipts")
    sent = a.client.send_message(TextMessage("g-receipts", "to the group", receiver_type="group"))
    msg = b.wait_text("to the group")
    assert msg.receiver_type == "group" and msg.receiver_uid == "g-receipts"
    b.client.mark_as_read(msg)
    read = a.first(a.messages.log, "on_messages_read")
    assert (read.message_id, read.receipt_type, read.sender.uid) == (sent.id, "read", B)
    assert (read.receiver_id, read.receiver_type) == ("g-receipts", "group")
    assert isinstance(read.read_at, int)


def test_transient_message_received(pair):
    a, b = pair
    a.client.send_transient_message(TransientMessage(B, data={"live": "reaction", "n": 3}))
    tm = b.first(b.messages.log, "on_transient_message_received")
    assert isinstance(tm, TransientMessage)
    assert tm.data == {"live": "reaction", "n": 3}
    assert tm.sender is not None and tm.sender.uid == A
    assert tm.receiver_id == B and tm.receiver_type == "user"


def test_message_edited(pair):
    a, b = pair
    sent = a.client.send_message(TextMessage(B, "frist"))
    b.wait_text("frist")
    sent.text = "first"
    a.client.edit_message(sent)
    edited = b.first(b.messages.log, "on_message_edited")
    assert isinstance(edited, TextMessage)
    assert edited.id == sent.id
    assert edited.text == "first"
    assert edited.edited_by == A and edited.edited_at is not None
    assert "on_message_deleted" not in b.messages.log.names()


def test_message_deleted(pair):
    a, b = pair
    sent = a.client.send_message(TextMessage(B, "oops"))
    b.wait_text("oops")
    a.client.delete_message(sent.id)
    deleted = b.first(b.messages.log, "on_message_deleted")
    assert isinstance(deleted, TextMessage)
    assert deleted.id == sent.id
    assert deleted.deleted_by == A and deleted.deleted_at is not None
    assert deleted.is_deleted


def test_reaction_added_and_removed(pair):
    a, b = pair
    sent = a.client.send_message(TextMessage(B, "react to me"))
    b.wait_text("react to me")
    b.client.add_reaction(sent.id, "👍")
    added = a.first(a.messages.log, "on_message_reaction_added")
    assert isinstance(added, ReactionEvent)
    assert (added.message_id, added.reaction, added.uid) == (sent.id, "👍", B)
    assert added.reacted_by.uid == B
    assert added.action == "message_reaction_added"
    b.client.remove_reaction(sent.id, "👍")
    removed = a.first(a.messages.log, "on_message_reaction_removed")
    assert (removed.message_id, removed.reaction, removed.uid) == (sent.id, "👍", B)
    assert removed.action == "message_reaction_removed"
    assert a.messages.log.names() == ["on_message_reaction_added", "on_message_reaction_removed"]


# -- own echo -----------------------------------------------------------------------------------


def test_own_echo_is_dropped_but_other_sessions_of_the_same_user_get_it(side, emulator):
    a = side(A)
    a2 = side(A)  # the same user, another client: its own resource
    b = side(B)
    assert a.client.resource != a2.client.resource
    assert emulator.wait_for_sockets(A, 2)
    sent = a.client.send_message(TextMessage(B, "from a"))
    b.wait_text("from a")
    echoed = a2.wait_text("from a")
    assert echoed.id == sent.id
    # b's reply reaches a after the echo of "from a" (same socket, in order).
    b.client.send_message(TextMessage(A, "reply"))
    a.wait_text("reply")
    assert a.messages.texts() == ["reply"]


def test_own_typing_reaches_other_sessions_of_the_same_user_not_the_origin(side):
    a = side(A)
    a2 = side(A)
    b = side(B)
    a.client.start_typing(TypingIndicator(B))
    b.wait(b.messages.log, "on_typing_started")
    a2.wait(a2.messages.log, "on_typing_started")
    b.client.send_message(TextMessage(A, "barrier"))
    a.wait_text("barrier")
    assert "on_typing_started" not in a.messages.log.names()


# -- UserListener -------------------------------------------------------------------------------


def test_presence_online_when_the_other_logs_in(side):
    a = side(A, subscribe_presence_for_all_users=())
    b = side(B)
    user = a.first(a.users.log, "on_user_online")
    assert isinstance(user, User)
    assert user.uid == B and user.status == "online"
    assert isinstance(user.last_active_at, int) and user.last_active_at > 0
    assert b.users.log.names() == []  # b has no subscription


@pytest.mark.parametrize("leave", ["logout", "close"])
def test_presence_offline_when_the_other_leaves(side, leave):
    a = side(A, subscribe_presence_for_all_users=())
    b = side(B)
    a.wait(a.users.log, "on_user_online")
    getattr(b.client, leave)()  # logs out, or closes its client
    user = a.first(a.users.log, "on_user_offline")
    assert user.uid == B and user.status == "offline"
    assert a.users.log.names() == ["on_user_online", "on_user_offline"]


def test_no_presence_without_a_subscription(side, emulator):
    a = side(A)  # no subscription
    watcher = side(C, subscribe_presence_for_all_users=())
    auth = next(f for f in emulator.frames_from(A) if f.get("type") == "auth")
    assert "presenceSubscription" not in auth["body"]
    b = side(B)
    watcher.wait(watcher.users.log, "on_user_online")
    b.client.logout()
    watcher.wait(watcher.users.log, "on_user_offline")
    barrier(emulator, a, sender="superhero4")
    assert a.users.log.names() == []


# -- GroupListener ------------------------------------------------------------------------------


def make_group(a: Side, guid: str, *members: Side) -> Group:
    """``a`` creates the public group ``guid``, then each of ``members`` joins it."""
    group = a.client.create_group(Group(guid, "Avengers", "public"))
    for member in members:
        member.client.join_group(guid)
    return group


def group_action(watcher: Side, method: str, action: str) -> tuple[Any, ...]:
    """Wait for ``watcher`` to hear ``method``, check that its first argument is the Action
    ``action``, and return the arguments after it."""
    heard, *rest = watcher.wait(watcher.groups.log, method)[0]
    assert isinstance(heard, Action) and heard.action == action
    return tuple(rest)


def test_group_member_joined(pair):
    a, b = pair
    make_group(a, "g-joined", b)
    user, group = group_action(a, "on_group_member_joined", "joined")
    assert isinstance(user, User) and user.uid == B
    assert isinstance(group, Group) and group.guid == "g-joined"


def test_group_member_left(pair):
    a, b = pair
    make_group(a, "g-left", b)
    a.wait(a.groups.log, "on_group_member_joined")
    b.client.leave_group("g-left")
    user, group = group_action(a, "on_group_member_left", "left")
    assert user.uid == B and group.guid == "g-left"


def test_group_member_kicked(pair, side):
    a, b = pair
    c = side(C)
    make_group(a, "g-kick", b, c)
    a.client.kick_group_member("g-kick", B)
    for watcher in (b, c):  # the kicked user and the remaining members hear it
        kicked, by, group = group_action(watcher, "on_group_member_kicked", "kicked")
        assert (kicked.uid, by.uid, group.guid) == (B, A, "g-kick")


def test_group_member_banned_and_unbanned(pair):
    a, b = pair
    make_group(a, "g-ban", b)
    a.client.ban_group_member("g-ban", B)
    banned, by, group = group_action(b, "on_group_member_banned", "banned")
    assert (banned.uid, by.uid, group.guid) == (B, A, "g-ban")
    a.client.unban_group_member("g-ban", B)
    unbanned, by, group = group_action(b, "on_group_member_unbanned", "unbanned")
    assert (unbanned.uid, by.uid, group.guid) == (B, A, "g-ban")


def test_group_member_scope_changed(pair):
    a, b = pair
    make_group(a, "g-scope", b)
    a.client.update_group_member_scope("g-scope", B, "moderator")
    user, new, old, group = group_action(b, "on_group_member_scope_changed", "scopeChanged")
    assert (user.uid, new, old, group.guid) == (B, "moderator", "participant", "g-scope")


def test_member_added_to_group(pair):
    a, b = pair
    make_group(a, "g-add", b)
    a.client.add_members_to_group("g-add", [C])
    added, by, group = group_action(b, "on_member_added_to_group", "added")
    assert (added.uid, by.uid, group.guid) == (C, A, "g-add")


def test_added_user_hears_its_own_addition(pair):
    a, b = pair
    make_group(a, "g-add-me")
    a.client.add_members_to_group("g-add-me", moderators=[B])
    added, by, group = group_action(b, "on_member_added_to_group", "added")
    assert (added.uid, by.uid, group.guid) == (B, A, "g-add-me")


# -- CallListener -------------------------------------------------------------------------------


def ring(caller: Side, callee: Side) -> Call:
    """``caller`` calls ``callee``; return the call once ``callee`` has heard it ring."""
    call = caller.client.initiate_call(callee.uid)
    callee.wait(callee.calls.log, "on_incoming_call_received")
    return call


def test_incoming_call_received(pair):
    a, b = pair
    call = a.client.initiate_call(B, "video")
    assert isinstance(call, Call) and call.session_id and call.status == "initiated"
    incoming = b.first(b.calls.log, "on_incoming_call_received")
    assert isinstance(incoming, Call)
    assert incoming.session_id == call.session_id
    assert incoming.type == "video" and incoming.status == "initiated"
    assert incoming.sender_uid == A
    assert a.calls.log.names() == []


@pytest.mark.parametrize(
    ("by", "method", "kwargs", "heard", "status"),
    [
        ("callee", "accept_call", {}, "on_outgoing_call_accepted", "ongoing"),
        ("callee", "reject_call", {}, "on_outgoing_call_rejected", "rejected"),
        (
            "caller",
            "reject_call",
            {"status": "cancelled"},
            "on_incoming_call_cancelled",
            "cancelled",
        ),
    ],
    ids=["callee-accepts", "callee-rejects", "caller-cancels"],
)
def test_the_other_side_hears_a_ringing_call_answered(pair, by, method, kwargs, heard, status):
    caller, callee = pair
    call = ring(caller, callee)
    answerer, other = (callee, caller) if by == "callee" else (caller, callee)
    getattr(answerer.client, method)(call.session_id, **kwargs)
    answered = other.first(other.calls.log, heard)
    assert answered.session_id == call.session_id and answered.status == status


def test_call_ended_message_received(pair):
    a, b = pair
    call = ring(a, b)
    b.client.accept_call(call.session_id)
    a.wait(a.calls.log, "on_outgoing_call_accepted")
    a.client.end_call(call.session_id)
    ended = b.first(b.calls.log, "on_call_ended_message_received")
    assert ended.session_id == call.session_id and ended.status == "ended"
    assert b.calls.log.names() == ["on_incoming_call_received", "on_call_ended_message_received"]


# -- LoginListener ------------------------------------------------------------------------------


def test_login_success_and_logout_success(side, emulator):
    a = side(A, login=False)
    user = a.client.login(A, emulator.auth_key)
    heard = a.first(a.logins.log, "on_login_success")
    assert isinstance(heard, User) and heard.uid == A == user.uid
    a.client.logout()
    a.wait(a.logins.log, "on_logout_success")
    assert a.logins.log.names() == ["on_login_success", "on_logout_success"]


@pytest.mark.parametrize(
    ("uid", "key_ok", "code"),
    [(A, False, "AUTH_ERR_APIKEY_NOT_FOUND"), ("nobody-here", True, "ERR_UID_NOT_FOUND")],
    ids=["wrong-auth-key", "unknown-uid"],
)
def test_login_failure(side, emulator, uid, key_ok, code):
    a = side(A, login=False)
    with pytest.raises(CometChatException) as info:
        a.client.login(uid, emulator.auth_key if key_ok else "not-the-key")
    assert info.value.code == code
    error = a.first(a.logins.log, "on_login_failure")
    assert isinstance(error, CometChatException) and error.code == code
    assert a.logins.log.names() == ["on_login_failure"]
    assert a.client.get_logged_in_user() is None


def test_logout_failure_still_clears_the_session(side, emulator):
    a = side(A)
    emulator.fail_next_request("ERR_MISSION_FAILED", 500)
    with pytest.raises(CometChatException) as info:
        a.client.logout()
    assert info.value.code == "ERR_MISSION_FAILED"
    error = a.first(a.logins.log, "on_logout_failure")
    assert error.code == "ERR_MISSION_FAILED"
    assert a.logins.log.names() == ["on_login_success", "on_logout_failure"]
    assert a.client.get_logged_in_user() is None
    assert emulator.wait_for_sockets(A, 0)


# -- dispatch -----------------------------------------------------------------------------------


def test_raising_listener_does_not_stop_the_next_event(side, emulator):
    b = side(B)
    hooked: list[tuple[BaseException, Any, str]] = []
    b.client.set_listener_error_hook(lambda exc, lst, method: hooked.append((exc, lst, method)))

    class Boom(MessageListener):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def on_text_message_received(self, message: TextMessage) -> None:
            self.seen.append(message.text)
            if message.text == "one":
                raise ValueError("listener bug")

    boom = Boom()
    after = MessageRecorder()
    b.client.add_message_listener("boom", boom)
    b.client.add_message_listener("after", after)  # called after boom, for the same event
    emulator.send_message(A, B, "one")
    emulator.send_message(A, B, "two")
    assert after.log.wait_for_count("on_text_message_received", 2, WAIT)
    assert after.texts() == ["one", "two"]
    assert boom.seen == ["one", "two"]
    assert b.messages.texts() == ["one", "two"]
    assert len(hooked) == 1
    exc, listener, method = hooked[0]
    assert isinstance(exc, ValueError) and str(exc) == "listener bug"
    assert listener is boom and method == "on_text_message_received"


def test_slow_listener_does_not_starve_keepalive(side, emulator):
    # Small keepalive timings, but with headroom for a loaded CI machine.
    b = side(B, ping_interval=0.5, pong_timeout=0.4)
    entered = threading.Event()

    class Slow(MessageListener):
        def on_text_message_received(self, message: TextMessage) -> None:
            if message.text == "slow":
                entered.set()
                time.sleep(5)

    b.client.add_message_listener("slow", Slow())
    emulator.send_message(A, B, "slow")
    assert entered.wait(WAIT)
    for i in range(5):
        emulator.send_message(A, B, f"after-{i}")

    def pings() -> int:
        return sum(1 for f in emulator.frames_from(B) if f.get("action") == "ping")

    # While the listener blocks the dispatcher, keepalive goes on and gets its pongs.
    start = pings()
    assert emulator.wait_until(lambda: pings() >= start + 5, 4.0)
    assert entered.is_set() and b.messages.texts() == ["slow"]  # still blocked
    assert b.client.get_connection_status() == "connected"
    assert emulator.auth_count(B) == 1

    assert b.messages.log.wait_for_count("on_text_message_received", 6, WAIT + 2)
    assert b.messages.texts() == ["slow"] + [f"after-{i}" for i in range(5)]
    assert b.client.get_connection_status() == "connected"
    assert "on_disconnected" not in b.conn.log.names()
    assert "disconnected" not in b.conn.statuses()
    assert emulator.auth_count(B) == 1 and emulator.socket_count(B) == 1


def test_callback_executor_runs_listener_calls_where_the_app_says(side, emulator):
    b = side(B)
    where: list[tuple[str, threading.Thread]] = []

    class Where(MessageListener):
        def on_text_message_received(self, message: TextMessage) -> None:
            where.append((message.text, threading.current_thread()))

    b.client.add_message_listener("where", Where())
    assert b.conn.wait_for_status("connected", WAIT)  # the dispatcher has caught up
    pending: queue.Queue[Callable[[], None]] = queue.Queue()
    b.client.set_callback_executor(pending.put)
    emulator.send_message(A, B, "via executor")
    call = pending.get(timeout=WAIT)
    assert where == [] and b.messages.texts() == []  # queued, not run
    call()
    assert where == [("via executor", threading.current_thread())]
    assert b.messages.texts() == ["via executor"]
    assert pending.empty()

    b.client.set_callback_executor(None)
    emulator.send_message(A, B, "direct")
    b.wait_text("direct")
    assert where[-1][0] == "direct"
    assert where[-1][1] is not threading.current_thread()
    assert where[-1][1].name.startswith("cometchat-dispatch")


def test_an_executor_running_calls_after_logout_still_hears_what_logout_did(side, emulator):
    """An app executor (a Tk bridge) runs listener calls later, on its own thread. Calls it
    runs after logout() returned: the logout outcome and the last status change still reach
    the listeners (they tell the app what its own call did); a message of the ended session
    does not."""
    b = side(B)
    pending: queue.Queue[Callable[[], None]] = queue.Queue()
    b.client.set_callback_executor(pending.put)
    emulator.send_message(A, B, "of the old session")
    first = pending.get(timeout=WAIT)  # the message, handed over but not run yet
    b.client.logout()
    calls = [first]
    while True:
        try:
            calls.append(pending.get(timeout=0.5))
        except queue.Empty:
            break
    for call in calls:
        call()
    assert b.messages.texts() == [], "a message of the ended session reached a listener"
    assert "on_logout_success" in b.logins.log.names()
    assert b.conn.statuses()[-1] == "disconnected"
    b.client.set_callback_executor(None)


# -- hostile frames -----------------------------------------------------------------------------


def push_invalid_utf8(emulator, uid: str) -> None:
    """A *text* frame whose payload is not UTF-8. ``push_raw`` cannot make one (a ``str``
    with a lone surrogate fails to encode and is dropped silently; ``bytes`` go out as a binary
    frame), so this reaches for the emulator's socket objects."""
    sessions = emulator._backend.realtime.peers_of(uid)
    assert sessions
    for session in sessions:
        with session.send_lock:
            session.conn.send(b'{"type":"message","body":{"data":"\xff\xfe\xfd"}}', text=True)


WRONG_SHAPES = [
    '{"type":"message","body":"not an object"}',
    '{"type":"message","body":{"category":"message","type":"text","id":{"x":1},"data":[1]}}',
    '{"type":"message","body":{"category":"action","type":"groupMember",'
    '"data":{"action":"kicked","entities":{"for":"nope","on":[]}}}}',
    '{"type":"message","body":{"category":"call","type":"audio","data":{"action":"who"}}}',
    '{"type":"receipts","body":{"action":"read","messageId":[]}}',
    '{"type":"presence","body":{"action":"online","user":7}}',
    '{"type":"typing_indicator","body":null}',
    '{"type":"transient_message","body":[]}',
    '{"type":["message"],"body":{}}',
    '{"action":"pong","extra":{"deep":[1,2,3]}}',
    "null",
    '"just a string"',
    "12345",
]

HOSTILE: dict[str, Any] = {
    "malformed-json": '{"type":"message","body":{"category":',
    "json-array": '[{"type":"message","body":{}}]',
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
    "deep-object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "wrong-shapes": WRONG_SHAPES,
    "unknown-type": '{"type":"mystery_event","body":{"action":"started","user":{"uid":"x"}}}',
    "binary-frame": b"\x00\x01\x02\xff binary",
    "invalid-utf8": push_invalid_utf8,
    "too-big": '{"type":"message","body":{"pad":"' + "x" * 70_000 + '"}}',
}
CLOSES_THE_LINK = {"too-big"}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_frame_is_survived(name, side, emulator):
    # A small cap only where the cap is the point: the deep-nesting frames are ~200 KB.
    b = side(B, **({"set_max_frame_size": 65536} if name == "too-big" else {}))
    emulator.send_message(A, B, "before")  # makes the conversation known, for catch-up
    b.wait_text("before")
    payload = HOSTILE[name]
    if callable(payload):
        payload(emulator, B)
    else:
        for frame in payload if isinstance(payload, list) else [payload]:
            assert emulator.push_raw(B, frame) == 1
    emulator.send_message(A, B, "after")
    b.wait_text("after", timeout=WAIT + 3)
    # (a text frame of the wrong shape may come through as an empty TextMessage: tolerated)
    assert [t for t in b.messages.texts() if t] == ["before", "after"]
    if name in CLOSES_THE_LINK:
        # The cap closed the link; the client came back by itself and caught up.
        assert b.conn.wait_for_status("connected", WAIT, count=2)
        assert emulator.auth_count(B) >= 2
    elif name != "invalid-utf8":  # invalid UTF-8 may close the link: either is fine
        assert emulator.auth_count(B) == 1
        assert "on_disconnected" not in b.conn.log.names()
        assert b.client.get_connection_status() == "connected"
    b.client.wait_until_connected(WAIT)
    barrier(emulator, b)
    texts = [t for t in b.messages.texts() if t]
    assert texts[:2] == ["before", "after"] and len(texts) == 3


# -- no message lost, none doubled ----------------------------------------------------------------


def check_exactly_once(b: Side, expected: list[TextMessage]) -> None:
    got = b.received()
    assert [m.text for m in got] == [m.text for m in expected]
    assert [m.id for m in got] == [m.id for m in expected]
    ids = [m.id for m in got]
    assert all(x < y for x, y in zip(ids, ids[1:])), "ids must strictly increase"


def test_no_message_lost_or_doubled_across_a_dead_link(side, emulator, fault_proxy):
    a = side(A)
    b = side(B, ping_interval=0.3, pong_timeout=0.2)
    assert fault_proxy.connections_accepted >= 2  # both links go through the proxy
    first = a.client.send_message(TextMessage(B, "m-000"))
    b.wait_text("m-000")

    fault_proxy.blackhole()
    sent = [first] + [a.client.send_message(TextMessage(B, f"m-{i:03d}")) for i in range(1, 101)]
    assert b.conn.wait_for_status("disconnected", WAIT)  # keepalive noticed the dead path
    assert b.received() == [b.received()[0]]  # nothing came through the dead path
    fault_proxy.pass_through()

    assert b.messages.log.wait_for_count("on_text_message_received", 101, 15)
    assert b.conn.wait_for_status("connected", WAIT, count=2)
    barrier(emulator, b)
    got = b.received()
    assert got[-1].sender_uid == C
    b.messages.log.calls[:] = [c for c in b.messages.log.calls if c[1][0].sender_uid == A]
    check_exactly_once(b, sent)


def test_catch_up_pages_through_a_long_outage(side, emulator, fault_proxy):
    a = side(A)
    b = side(B)
    emulator.send_message(A, B, "m-000", resource=a.client.resource)
    b.wait_text("m-000")
    fault_proxy.refuse()
    assert emulator.close_sockets(B, 1011) == 1
    assert b.conn.wait_for_status("disconnected", WAIT)
    # 250 messages: three catch-up pages of at most 100
    missed = [
        emulator.send_message(A, B, f"m-{i:03d}", resource=a.client.resource) for i in range(1, 251)
    ]
    fault_proxy.pass_through()
    assert b.messages.log.wait_for_count("on_text_message_received", 251, 15)
    barrier(emulator, b)
    got = [m for m in b.received() if m.sender_uid == A]
    assert [m.text for m in got] == [f"m-{i:03d}" for i in range(251)]
    assert [m.id for m in got[1:]] == [int(m["id"]) for m in missed]


def test_no_message_lost_or_doubled_with_live_and_caught_up_mixed(side, emulator, fault_proxy):
    a = side(A)
    b = side(B, ping_interval=0.3, pong_timeout=0.2)
    rejected: list[int] = []
    ledger = b.client._delivery.ledger  # instrumented only to prove the scenario produced doubles
    admit = ledger.admit

    def counting_admit(message: Any, *, live: bool = True) -> bool:
        ok: bool = admit(message, live=live)
        if not ok:
            rejected.append(message.id)
        return ok

    ledger.admit = counting_admit

    # before the cut: live
    sent = [a.client.send_message(TextMessage(B, f"m-{i:03d}")) for i in range(10)]
    assert b.messages.log.wait_for_count("on_text_message_received", 10, WAIT)
    # during the cut: only the catch-up can bring these
    fault_proxy.blackhole()
    sent += [a.client.send_message(TextMessage(B, f"m-{i:03d}")) for i in range(10, 40)]
    assert b.conn.wait_for_status("disconnected", WAIT)
    # around the reconnect: the catch-up request is held 0.5 s by the server, so these are
    # stored before it is answered (they are in its page) *and* go live to the new socket
    requests = emulator.request_count()
    emulator.set_request_delay(0.5)
    fault_proxy.pass_through()
    assert emulator.wait_until(lambda: emulator.request_count() > requests, WAIT)
    assert emulator.auth_count(B) == 2
    around = [
        emulator.send_message(A, B, f"m-{i:03d}", resource=a.client.resource) for i in range(40, 55)
    ]
    emulator.set_request_delay(0)
    sent += [TextMessage.from_json(m) for m in around]
    # after: live again
    sent += [a.client.send_message(TextMessage(B, f"m-{i:03d}")) for i in range(55, 65)]

    assert b.messages.log.wait_for_count("on_text_message_received", len(sent), 15)
    barrier(emulator, b)
    b.messages.log.calls[:] = [c for c in b.messages.log.calls if c[1][0].sender_uid == A]
    check_exactly_once(b, sent)
    assert set(rejected) >= {m.id for m in sent[40:55]}, "the live copies were dropped"
    assert b.conn.statuses().count("connected") == 2


def cut_and_miss(a: Side, b: Side, emulator, proxy: FaultProxy, n: int) -> list[TextMessage]:
    """Close b's socket from the server side and keep b out (the proxy refuses new
    connections) while a sends ``n`` messages; then let b back in and wait for the reconnect."""
    proxy.refuse()
    assert emulator.close_sockets(B, 1011) == 1
    assert b.conn.wait_for_status("disconnected", WAIT)
    missed = [a.client.send_message(TextMessage(B, f"missed-{i}")) for i in range(n)]
    assert all(isinstance(m, TextMessage) for m in missed)
    proxy.pass_through()
    assert b.conn.wait_for_status("connected", WAIT, count=2)
    # A live message after the reconnect: the catch-up is dispatched before it.
    emulator.send_message(A, B, "live-after", resource=a.client.resource)
    b.wait_text("live-after")
    return [m for m in missed if isinstance(m, TextMessage)]


def test_catch_up_after_a_server_side_close(side, emulator, fault_proxy):
    a = side(A)
    b = side(B)
    emulator.send_message(A, B, "direct")
    b.wait_text("direct")
    missed = cut_and_miss(a, b, emulator, fault_proxy, 3)
    assert b.messages.texts() == ["direct", *(m.text for m in missed), "live-after"]


def test_catch_up_goes_on_past_a_conversation_it_cannot_read(side, emulator, fault_proxy):
    a = side(A)
    b = side(B)
    make_group(a, "g-gone", b)
    emulator.send_message(A, "g-gone", "in the group", receiver_type="group")
    b.wait_text("in the group")  # b follows the group conversation first ...
    emulator.send_message(A, B, "direct")
    b.wait_text("direct")  # ... then the 1:1 one
    a.client.kick_group_member("g-gone", B)  # the group history is now closed to b
    b.wait(b.groups.log, "on_group_member_kicked")
    missed = cut_and_miss(a, b, emulator, fault_proxy, 3)
    assert b.messages.texts() == [
        "in the group",
        "direct",
        *(m.text for m in missed),
        "live-after",
    ]


def down_while(a: Side, b: Side, emulator, proxy: FaultProxy, act: Callable[[], None]) -> None:
    """b's socket is closed by the server and kept down while ``act()`` runs (b acting over
    REST); then b reconnects, and a live message after the catch-up is waited for."""
    emulator.send_message(A, B, "direct")
    b.wait_text("direct")  # b follows the conversation
    proxy.refuse()
    assert emulator.close_sockets(B, 1011) == 1
    assert b.conn.wait_for_status("disconnected", WAIT)
    act()
    proxy.pass_through()
    assert b.conn.wait_for_status("connected", WAIT, count=2)
    emulator.send_message(A, B, "live-after", resource=a.client.resource)
    b.wait_text("live-after")


def test_catch_up_does_not_echo_a_message_this_client_sent_while_down(side, emulator, fault_proxy):
    a = side(A)
    b = side(B)
    sent: list[BaseMessage] = []
    down_while(
        a,
        b,
        emulator,
        fault_proxy,
        lambda: sent.append(b.client.send_message(TextMessage(A, "sent while down"))),
    )
    assert sent[0].id > 0
    assert b.messages.texts() == ["direct", "live-after"]


def test_catch_up_does_not_echo_a_call_this_client_started_while_down(side, emulator, fault_proxy):
    a = side(A)
    b = side(B)
    down_while(a, b, emulator, fault_proxy, lambda: b.client.initiate_call(A))
    assert b.calls.log.names() == []  # live, the echo of b's own call is dropped


def test_catch_up_does_not_echo_an_edit_this_client_made_while_down(side, emulator, fault_proxy):
    a = side(A)
    b = side(B)
    own = b.client.send_message(TextMessage(A, "tpyo"))

    def edit() -> None:
        own.text = "typo"
        b.client.edit_message(own)

    down_while(a, b, emulator, fault_proxy, edit)
    assert b.messages.log.names() == ["on_text_message_received"] * 2  # no on_message_edited


def test_live_echo_of_own_call_and_edit_is_dropped(pair, emulator):
    a, b = pair
    own = b.client.send_message(TextMessage(A, "tpyo"))
    own.text = "typo"
    b.client.edit_message(own)
    ring(b, a)
    barrier(emulator, b)
    assert b.calls.log.names() == []
    assert b.messages.log.names() == ["on_text_message_received"]  # the barrier only


class ListenerAbort(BaseException):
    """A ``BaseException`` subclass that is not an ``Exception``, raised by a listener."""


@pytest.mark.parametrize("raised", [ListenerAbort, SystemExit, KeyboardInterrupt, GeneratorExit])
def test_a_listener_raising_any_base_exception_costs_no_other_delivery(side, emulator, raised):
    b = side(B)
    hooked: list[BaseException] = []
    b.client.set_listener_error_hook(lambda exc, lst, method: hooked.append(exc))

    class Abort(MessageListener):
        def on_text_message_received(self, message: TextMessage) -> None:
            raise raised("listener gives up")

    after = MessageRecorder()
    b.client.add_message_listener("abort", Abort())
    b.client.add_message_listener("after", after)  # called after it, for the same event
    emulator.send_message(A, B, "one")
    emulator.send_message(A, B, "two")
    assert after.log.wait_for_count("on_text_message_received", 2, WAIT)
    assert after.texts() == ["one", "two"]
    assert [type(e) for e in hooked] == [raised, raised]
    b.client.remove_message_listener("abort")
    barrier(emulator, b)  # the dispatcher thread is alive and still delivering
    assert b.client.get_connection_status() == "connected"
