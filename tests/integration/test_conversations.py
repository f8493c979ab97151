"""Conversations, unread counts, read/delivered/unread marks and receipts against the
emulator; and the catch-up of conversations this client had never seen (real sockets, a
fault proxy in front of the WebSocket, bounded waits on listener calls)."""

from __future__ import annotations

from typing import Any
from typing import Callable

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ConversationsRequestBuilder
from cometchat_sync import Group
from cometchat_sync import TextMessage
from cometchat_sync import User
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import MessageRecorder

A, B, C, D = "superhero1", "superhero2", "superhero3", "superhero4"
WAIT = 5.0


@pytest.fixture
def a(login) -> CometChatClient:
    return login(A)  # type: ignore[no-any-return]


@pytest.fixture
def b(login) -> CometChatClient:
    return login(B)  # type: ignore[no-any-return]


def send(client: CometChatClient, to: str, *lines: str, kind: str = "user") -> list[int]:
    return [client.send_message(TextMessage(to, line, kind)).id for line in lines]


def inbox(client: CometChatClient, **filters: Any) -> list[tuple[str, int, Any]]:
    builder = ConversationsRequestBuilder(client)
    for name, value in filters.items():
        getattr(builder, name)(value)
    return [
        (c.conversation_with_id, c.unread_message_count, getattr(c.last_message, "text", None))
        for c in builder.build()
    ]


def test_the_inbox_follows_the_messages_sent_over_rest(a, b, login):
    c = login(C)
    a.create_group(Group("g1", "Team", "public"))
    a.add_members_to_group("g1", [B, C])
    send(a, B, "a1", "a2")
    send(c, B, "c1")
    send(c, "g1", "team!", kind="group")
    assert inbox(b) == [("g1", 1, "team!"), (C, 1, "c1"), (A, 2, "a2")]
    assert inbox(b, set_conversation_type="user") == [(C, 1, "c1"), (A, 2, "a2")]
    assert inbox(b, set_search_keyword="spider") == [(C, 1, "c1")]
    send(b, A, "reply")  # b's own message moves the conversation up; nothing unread added
    assert inbox(b)[0] == (A, 2, "reply")
    b.mark_conversation_as_read(A, "user")
    assert inbox(b, set_unread=True) == [("g1", 1, "team!"), (C, 1, "c1")]
    paged = ConversationsRequestBuilder(b).set_limit(2).build()
    assert [len(paged.fetch_next()), len(paged.fetch_next()), paged.fetch_next()] == [2, 1, []]
    conversation = b.get_conversation("g1", "group")
    assert (conversation.conversation_type, conversation.conversation_with.name) == (
        "group",
        "Team",
    )
    assert isinstance(b.get_conversation(A, "user").conversation_with, User)


def test_unread_counts_in_every_form(a, b, login):
    c = login(C)
    a.create_group(Group("g1", "Team", "public"))
    a.add_members_to_group("g1", [B, C])
    send(a, B, "1", "2")
    send(c, B, "3")
    send(a, "g1", "4", "5", "6", kind="group")
    assert b.get_unread_message_count() == {"users": {A: 2, C: 1}, "groups": {"g1": 3}}
    assert b.get_unread_message_count_for_all_users() == {A: 2, C: 1}
    assert b.get_unread_message_count_for_all_groups() == {"g1": 3}
    assert b.get_unread_message_count_for_user(A) == {A: 2}
    assert b.get_unread_message_count_for_group("g1") == {"g1": 3}
    assert a.get_unread_message_count_for_user(B) == {}  # own messages are never unread
    b.mark_conversation_as_read("g1", "group")
    assert b.get_unread_message_count() == {"users": {A: 2, C: 1}, "groups": {}}


def test_read_delivered_unread_and_receipts(a, b):
    first, second, third = send(a, B, "one", "two", "three")
    assert a.get_message_receipts(first) == []
    b.mark_conversation_as_delivered(A, "user")
    delivered = a.get_message_receipts(first)
    assert [(r.receipt_type, r.sender.uid) for r in delivered] == [("delivered", B)]
    assert a.get_message(first).delivered_at is not None and a.get_message(first).read_at is None
    b.mark_conversation_as_read(A, "user")
    (receipt,) = a.get_message_receipts(third)  # one per recipient, as the official SDKs
    assert (receipt.receipt_type, receipt.sender.uid) == ("read", B)
    assert receipt.delivered_at is not None and receipt.read_at is not None
    assert a.get_message(third).read_at is not None
    assert b.get_unread_message_count_for_user(A) == {}
    conversation = b.mark_as_unread(b.get_message(second))
    assert conversation.unread_message_count == 2
    assert b.get_unread_message_count_for_user(A) == {A: 2}
    assert a.get_message(second).read_at is None  # the sender sees the read undone
    with pytest.raises(CometChatException) as info:
        a.mark_as_unread(a.get_message(first))  # one's own message
    assert info.value.code == "ERR_BAD_REQUEST"


def test_tag_and_delete_a_conversation(a, b):
    send(a, B, "hi")
    tagged = b.tag_conversation(A, "user", ["work", "vip"])
    assert tagged.tags == ["work", "vip"]
    assert [
        c.conversation_with_id for c in ConversationsRequestBuilder(b).set_tags(["vip"]).build()
    ] == [A]
    assert a.get_conversation(B, "user").tags == []  # tags are the tagger's own
    b.delete_conversation(A, "user")
    assert inbox(b) == []
    assert inbox(a) == [(B, 0, "hi")]  # the other side keeps it
    with pytest.raises(CometChatException) as info:
        b.get_conversation(A, "user")
    assert info.value.code == "ERR_CONVERSATION_NOT_ACCESSIBLE"
    send(a, B, "again")  # a new message brings it back, without the deleted history
    assert inbox(b) == [(A, 1, "again")]


BAD: list[tuple[str, Callable[[CometChatClient], Any], str]] = [
    ("type", lambda c: c.get_conversation(B, "channel"), "ERR_INVALID_PARAMETER"),
    ("empty id", lambda c: c.mark_conversation_as_read("", "user"), "MISSING_PARAMETERS"),
    ("id /", lambda c: c.delete_conversation("a/b", "user"), "ERR_INVALID_PARAMETER"),
    ("tags", lambda c: c.tag_conversation(B, "user", "vip"), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ("flag", lambda c: c.get_unread_message_count("yes"), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ("unread msg", lambda c: c.mark_as_unread(TextMessage(B, "x")), "ERR_INVALID_PARAMETER"),
    ("receipts id", lambda c: c.get_message_receipts(0), "ERR_INVALID_PARAMETER"),
    (
        "limit",
        lambda c: ConversationsRequestBuilder(c).set_limit(51).build(),
        "ERR_INVALID_PARAMETER",
    ),
    (
        "conv type",
        lambda c: ConversationsRequestBuilder(c).set_conversation_type("all").build(),
        "ERR_INVALID_PARAMETER",
    ),
]


@pytest.mark.parametrize(("name", "call", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_arguments_are_refused_before_any_request(a, emulator, name, call, code):
    before = emulator.request_count()
    with pytest.raises(CometChatException) as info:
        call(a)
    assert info.value.code == code, name
    assert emulator.request_count() == before


def test_server_refusals_keep_their_codes(a):
    with pytest.raises(CometChatException) as info:
        a.get_unread_message_count_for_group("nope")
    assert info.value.code == "ERR_GUID_NOT_FOUND"
    with pytest.raises(CometChatException) as info:
        a.mark_conversation_as_read("nobody", "user")
    assert info.value.code == "ERR_UID_NOT_FOUND"


# -- the catch-up covers conversations this client had never seen --------------------------------


@pytest.mark.parametrize("seen_before", [True, False], ids=["followed-one", "followed-none"])
def test_a_new_senders_message_sent_while_the_link_was_down_arrives_once(
    make_client, emulator, fault_proxy, seen_before
):
    if seen_before:  # older than what b saw live: never delivered
        emulator.send_message(C, B, "before b started")
    b = make_client()  # auto mode: a live link
    heard = MessageRecorder()
    link = ConnectionRecorder()
    b.add_message_listener("rec", heard)
    b.add_connection_listener("rec", link)
    b.login(B, emulator.auth_key)
    assert link.wait_for_status("connected", WAIT)
    if seen_before:
        emulator.send_message(A, B, "live")
        assert heard.log.wait_for_count("on_text_message_received", 1, WAIT)
    fault_proxy.refuse()
    assert emulator.close_sockets(B, 1011) == 1
    assert link.wait_for_status("disconnected", WAIT)
    emulator.send_message(D, B, "from someone new, while down")  # never seen by b
    emulator.send_message(C, B, "from C, while down")
    fault_proxy.pass_through()
    assert link.wait_for_status("connected", WAIT, count=2)
    expected = [
        *(["live"] if seen_before else []),
        "from someone new, while down",
        "from C, while down",
    ]
    assert heard.log.wait_for_count("on_text_message_received", len(expected), WAIT), heard.texts()
    emulator.send_message(D, B, "live again")  # the discovered conversation goes on, once
    assert heard.log.wait_for_count("on_text_message_received", len(expected) + 1, WAIT)
    assert heard.texts() == [*expected, "live again"]
