"""The messages and reactions builders against the emulator: history both ways to the end,
thread replies through the parent id, every conversation at once, the filters, reactions
paged, and bad filters refused at ``build()``."""

from __future__ import annotations

import time
from typing import Any
from typing import Callable

import pytest
import requests

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import CustomMessage
from cometchat_sync import Group
from cometchat_sync import MessagesRequestBuilder
from cometchat_sync import ReactionCount
from cometchat_sync import ReactionsRequestBuilder
from cometchat_sync import TextMessage

A, B, C = "superhero1", "superhero2", "superhero3"


@pytest.fixture
def a(login) -> CometChatClient:
    return login(A)  # type: ignore[no-any-return]


@pytest.fixture
def b(login) -> CometChatClient:
    return login(B)  # type: ignore[no-any-return]


def rest(emulator: Any, uid: str, method: str, path: str, body: Any = None) -> Any:
    """One client-API call as ``uid`` (blocking has no SDK call); its ``data``."""
    answer = requests.request(
        method,
        f"{emulator.client_host}/v3.0/{path}",
        headers={"appId": emulator.app_id, "authToken": emulator.token_of(uid)},
        json=body,
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def texts(messages: Any) -> list[str]:
    return [m.text for m in messages]


def send(client: CometChatClient, to: str, *lines: str, **kw: Any) -> list[int]:
    return [client.send_message(TextMessage(to, line, **kw)).id for line in lines]


def test_history_pages_back_to_the_start_and_forward_to_the_end(a, b):
    send(a, B, *(f"m{i}" for i in range(7)))
    request = MessagesRequestBuilder(b).set_uid(A).set_limit(3).build()
    pages = [texts(request.fetch_previous()) for _ in range(4)]
    assert pages == [["m4", "m5", "m6"], ["m1", "m2", "m3"], ["m0"], []]
    # iteration without a starting point walks back from the newest, newest first
    walked = texts(MessagesRequestBuilder(b).set_uid(A).set_limit(3).build())
    assert walked == [f"m{i}" for i in range(6, -1, -1)]
    # from a message id: forwards to the end, oldest first
    first = MessagesRequestBuilder(b).set_uid(A).set_limit(4).build().fetch_previous()[0]
    after = MessagesRequestBuilder(b).set_uid(A).set_message_id(first.id).set_limit(2).build()
    assert texts(after) == ["m4", "m5", "m6"]
    before = MessagesRequestBuilder(b).set_uid(A).set_message_id(first.id).set_limit(2).build()
    assert texts(before.fetch_previous()) == ["m1", "m2"]
    assert texts(before.fetch_next()) == ["m4", "m5"]  # the cursor each way is its own


def test_thread_replies_come_through_the_parent_id(a, b):
    parent = a.send_message(TextMessage(B, "question"))
    for line in ("r1", "r2", "r3"):
        b.send_message(TextMessage(A, line, parent_id=parent.id))
    send(a, B, "unrelated")
    thread = MessagesRequestBuilder(a).set_parent_message_id(parent.id).set_limit(2).build()
    assert texts(thread.fetch_previous()) == ["r2", "r3"]
    assert texts(thread.fetch_previous()) == ["r1"]
    assert all(
        m.parent_id == parent.id
        for m in MessagesRequestBuilder(a).set_parent_message_id(parent.id).build()
    )
    history = MessagesRequestBuilder(a).set_uid(B).hide_replies(True).build()
    assert texts(history) == ["unrelated", "question"]


def test_every_conversation_at_once_and_the_filters(a, b, login, emulator):
    a.create_group(Group("g1", "G", "public"))
    a.add_members_to_group("g1", [B])
    c = login(C)
    send(a, B, "hello bob", tags=["urgent"])
    a.send_message(TextMessage("g1", "hello group", "group"))
    send(c, B, "see https://example.com")
    custom = a.send_message(CustomMessage(B, "poll", {"q": 1}))
    b.add_reaction(custom.id, "👍")
    everything = MessagesRequestBuilder(b).set_categories(["message", "custom"]).build()
    assert {m.receiver_uid for m in everything} == {B, "g1"}
    assert texts(
        MessagesRequestBuilder(b).set_types(["text"]).set_search_keyword("HELLO").build()
    ) == [
        "hello group",
        "hello bob",
    ]
    assert texts(MessagesRequestBuilder(b).set_tags(["urgent"]).build()) == ["hello bob"]
    singular = MessagesRequestBuilder(b).set_category("custom").set_type("poll").build()
    assert [m.id for m in singular] == [custom.id]
    assert texts(MessagesRequestBuilder(b).has_links(True).build()) == ["see https://example.com"]
    reacted = list(MessagesRequestBuilder(b).has_reactions(True).build())
    assert [m.id for m in reacted] == [custom.id]
    assert ReactionCount.of_message(reacted[0]) == [ReactionCount("👍", 1, True)]
    unread = (
        MessagesRequestBuilder(b).set_uid(A).set_unread(True).set_categories(["message", "custom"])
    )
    assert len(list(unread.build())) == 2
    b.mark_conversation_as_read(A, "user")
    assert list(unread.build()) == []
    rest(emulator, B, "POST", "blockedusers", {"blockedUids": [C]})
    hidden = MessagesRequestBuilder(b).set_uid(C).hide_messages_from_blocked_users(True).build()
    assert list(hidden) == []
    # updated after: the edited message only
    since = int(time.time())
    edited = a.send_message(TextMessage(B, "typo"))
    edited.text = "fixed"
    a.edit_message(edited)
    updates = MessagesRequestBuilder(b).set_uid(A).set_updated_after(since).updates_only(True)
    assert [m.id for m in updates.set_categories(["message"]).build()] == [edited.id]


def test_reactions_page_through_every_user(a, b, login):
    a.create_group(Group("g1", "G", "public"))
    a.add_members_to_group("g1", [B, C])
    message = a.send_message(TextMessage("g1", "react", "group"))
    reactors = [a, b, login(C)]
    for client in reactors:
        client.add_reaction(message.id, "🎉")
    b.add_reaction(message.id, "👀")
    request = ReactionsRequestBuilder(a).set_message_id(message.id).set_limit(2).build()
    first, second = request.fetch_next(), request.fetch_next()
    assert [(r.uid, r.reaction) for r in first + second] == [
        (A, "🎉"),
        (B, "🎉"),
        (C, "🎉"),
        (B, "👀"),
    ]
    assert request.fetch_next() == []
    assert [r.uid for r in request.fetch_previous()] == []  # nothing before the first one
    only = ReactionsRequestBuilder(a).set_message_id(message.id).set_reaction("🎉").build()
    assert [(r.uid, r.reacted_by.name, r.message_id) for r in only] == [
        (A, "Iron Man", message.id),
        (B, "Captain America", message.id),
        (C, "Spiderman", message.id),
    ]


BAD: list[tuple[str, Callable[[CometChatClient], Any], str]] = [
    (
        "uid+guid",
        lambda c: MessagesRequestBuilder(c).set_uid(B).set_guid("g"),
        "ERR_INVALID_PARAMETER",
    ),
    ("empty uid", lambda c: MessagesRequestBuilder(c).set_uid(""), "MISSING_PARAMETERS"),
    ("limit", lambda c: MessagesRequestBuilder(c).set_limit(500), "ERR_INVALID_PARAMETER"),
    ("id", lambda c: MessagesRequestBuilder(c).set_message_id(-1), "ERR_INVALID_PARAMETER"),
    (
        "parent",
        lambda c: MessagesRequestBuilder(c).set_parent_message_id("1"),  # type: ignore[arg-type]
        "ERR_INVALID_PARAMETER",
    ),
    ("timestamp", lambda c: MessagesRequestBuilder(c).set_timestamp(0), "ERR_INVALID_PARAMETER"),
    ("types", lambda c: MessagesRequestBuilder(c).set_types([""]), "ERR_INVALID_PARAMETER"),
    ("flag", lambda c: MessagesRequestBuilder(c).hide_replies(None), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ("updates", lambda c: MessagesRequestBuilder(c).updates_only(True), "MISSING_PARAMETERS"),
    ("no message", ReactionsRequestBuilder, "MISSING_PARAMETERS"),
    (
        "reactions limit",
        lambda c: ReactionsRequestBuilder(c).set_message_id(1).set_limit(21),
        "ERR_INVALID_PARAMETER",
    ),
    (
        "reaction",
        lambda c: ReactionsRequestBuilder(c).set_message_id(1).set_reaction(""),
        "ERR_INVALID_PARAMETER",
    ),
]


@pytest.mark.parametrize(("name", "make", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_filters_are_refused_at_build_before_any_request(a, emulator, name, make, code):
    builder = make(a)
    before = emulator.request_count()
    with pytest.raises(CometChatException) as info:
        builder.build()
    assert info.value.code == code, name
    assert emulator.request_count() == before
