"""Message actions that answer with the updated message, against the emulator over real
sockets: reactions (as the official SDKs return them), pins (conversation-wide, heard by
every participant; scopes in groups) and saves (the user's own, heard by their other
devices only). Negative checks synchronise on a later event over the same socket."""

from __future__ import annotations

from typing import Any
from typing import Callable

import pytest

from cometchat_sync import BaseMessage
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import Group
from cometchat_sync import MessageListener
from cometchat_sync import ReactionCount
from cometchat_sync import TextMessage
from cometchat_sync import TransientMessage
from cometchat_sync.events.router import PIN_SAVE_TYPES
from cometchat_sync.events.router import route
from cometchat_sync.testing import MessageRecorder

A, B, C = "superhero1", "superhero2", "superhero3"
WAIT = 5.0


def listening(client: CometChatClient) -> MessageRecorder:
    recorder = MessageRecorder()
    client.add_message_listener("rec", recorder)
    return recorder


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(CometChatException) as caught:
        call()
    return caught.value.code


def test_reactions_return_the_updated_message(login):
    a, b = login(A), login(B)
    sent = a.send_message(TextMessage(B, "react to me"))
    after_a = a.add_reaction(sent.id, "👍")
    assert after_a.id == sent.id and isinstance(after_a, TextMessage)
    assert after_a.text == "react to me"
    counts = ReactionCount.of_message(after_a)
    assert [(c.reaction, c.count, c.reacted_by_me) for c in counts] == [("👍", 1, True)]
    after_b = b.add_reaction(sent.id, "👍")
    assert [(c.count, c.reacted_by_me) for c in ReactionCount.of_message(after_b)] == [(2, True)]
    removed = a.remove_reaction(sent.id, "👍")
    assert [(c.count, c.reacted_by_me) for c in ReactionCount.of_message(removed)] == [(1, False)]
    # where the official SDKs read the counts: the message's data
    assert removed.raw["data"]["reactions"] == [
        {"reaction": "👍", "count": 1, "reactedByMe": False}
    ]


def test_reaction_counts_are_read_from_the_messages_data():
    """The official SDKs read a message's counts from ``data.reactions``; so does
    ``ReactionCount.of_message`` (a top-level ``reactions`` is the fallback)."""
    wire = {"id": "3", "category": "message", "type": "text", "receiver": B,
            "receiverType": "user", "data": {"text": "x", "reactions": [
                {"reaction": "ok", "count": 2, "reactedByMe": True}]}}  # fmt: skip
    message = BaseMessage.from_json(wire)
    assert [(c.reaction, c.count, c.reacted_by_me) for c in ReactionCount.of_message(message)] == [
        ("ok", 2, True)
    ]
    legacy = BaseMessage.from_json({**wire, "data": {"text": "x"}, "reactions": [
        {"reaction": "no", "count": 1}]})  # fmt: skip
    assert [c.reaction for c in ReactionCount.of_message(legacy)] == ["no"]


def test_a_pin_is_for_everyone_in_the_conversation(login):
    a, b = login(A, auto=True), login(B, auto=True)
    heard = listening(b)
    a.wait_until_connected(WAIT)
    b.wait_until_connected(WAIT)
    sent = a.send_message(TextMessage(B, "the wifi password is in the kitchen"))
    pinned = a.pin_message(sent.id)
    assert pinned.id == sent.id and pinned.pinned_by == A and (pinned.pinned_at or 0) > 0
    assert heard.log.wait_for_count("on_message_pinned", 1, WAIT)
    ((message,),) = heard.log.args_of("on_message_pinned")
    assert (message.id, message.pinned_by) == (sent.id, A)
    assert b.get_message(sent.id).pinned_by == A  # kept on the message itself

    again = b.pin_message(sent.id)  # idempotent: the latest pinner wins
    assert again.pinned_by == B
    unpinned = a.unpin_message(sent.id)
    assert (unpinned.pinned_at, unpinned.pinned_by) == (None, None)
    assert heard.log.wait_for_count("on_message_unpinned", 1, WAIT)
    a.unpin_message(sent.id)  # nothing to unpin: no second event
    a.send_transient_message(TransientMessage(B, data={"barrier": 1}))
    assert heard.log.wait_for_count("on_transient_message_received", 1, WAIT)
    assert len(heard.log.args_of("on_message_unpinned")) == 1


def test_in_a_group_only_admins_and_moderators_pin(login):
    a, b, c = login(A), login(B), login(C)
    a.create_group(Group("desk", "Desk"))
    b.join_group("desk")
    c.join_group("desk")
    sent = c.send_message(TextMessage("desk", "read the rules", "group"))
    assert code_of(lambda: b.pin_message(sent.id)) == "ERR_ACTION_NOT_ALLOWED"
    assert code_of(lambda: c.unpin_message(sent.id)) == "ERR_ACTION_NOT_ALLOWED"
    a.update_group_member_scope("desk", B, "moderator")
    assert b.pin_message(sent.id).pinned_by == B
    assert a.unpin_message(sent.id).pinned_by is None  # any admin, not only the pinner


def test_a_save_is_private_and_reaches_the_users_other_devices(login):
    phone = login(A, auto=True)
    laptop = login(A, auto=True)
    b = login(B, auto=True)
    on_phone, on_laptop, on_b = listening(phone), listening(laptop), listening(b)
    for client in (phone, laptop, b):
        client.wait_until_connected(WAIT)
    sent = b.send_message(TextMessage(A, "remember this"))

    saved = phone.save_message(sent.id)
    assert saved.id == sent.id and (saved.saved_at or 0) > 0
    assert on_laptop.log.wait_for_count("on_message_saved", 1, WAIT)
    ((message,),) = on_laptop.log.args_of("on_message_saved")
    assert message.id == sent.id and message.saved_at == saved.saved_at
    assert b.get_message(sent.id).saved_at is None  # nobody else sees it

    unsaved = laptop.unsave_message(sent.id)
    assert unsaved.saved_at is None
    assert on_phone.log.wait_for_count("on_message_unsaved", 1, WAIT)
    # the device that acted, and the other user, heard nothing of it
    laptop.send_transient_message(TransientMessage(A, data={"barrier": 1}))
    phone.send_transient_message(TransientMessage(B, data={"barrier": 2}))
    assert on_phone.log.wait_for_count("on_transient_message_received", 1, WAIT)
    assert on_b.log.wait_for_count("on_transient_message_received", 1, WAIT)
    assert on_phone.log.args_of("on_message_saved") == []
    assert on_laptop.log.args_of("on_message_unsaved") == []
    assert [n for n in on_b.log.names() if "saved" in n or "pinned" in n] == []


@pytest.mark.parametrize("call", ["pin_message", "unpin_message", "save_message", "unsave_message"])
def test_bad_and_unknown_message_ids(login, emulator, call):
    a = login(A)
    act: Callable[[Any], object] = getattr(a, call)
    before = emulator.request_count()
    for bad in (0, -1, "5", None, True):
        with pytest.raises(CometChatException) as caught:
            act(bad)
        assert caught.value.code == "ERR_INVALID_PARAMETER"
    assert emulator.request_count() == before
    assert code_of(lambda: act(999999)) == "ERR_MESSAGE_ID_NOT_FOUND"
    b, c = login(B), login(C)
    private = b.send_message(TextMessage(C, "between us"))
    assert c.get_message(private.id).id == private.id
    assert code_of(lambda: act(private.id)) == "ERR_MESSAGE_NO_ACCESS"


@pytest.mark.parametrize(
    ("ftype", "action", "method"),
    [
        ("message_pin_save", "pinned", "on_message_pinned"),
        ("message_pin_save", "unpinned", "on_message_unpinned"),
        ("message_pin_save", "saved", "on_message_saved"),
        ("message_pin_save", "unsaved", "on_message_unsaved"),
        ("message_pinned", None, "on_message_pinned"),
        ("message_unsaved", None, "on_message_unsaved"),
    ],
)
def test_the_router_reads_pin_and_save_frames(ftype, action, method):
    body: dict[str, Any] = {"message": {"id": "7", "category": "message", "type": "text",
                                        "data": {"text": "x"}, "pinnedBy": A}}  # fmt: skip
    if action is not None:
        body["action"] = action
    frame = {"type": ftype, "sender": B, "body": body}
    (event,) = route(frame, "my-resource")
    assert (event.listener_type, event.method) == (MessageListener, method)
    assert event.args[0].id == 7 and event.message is None  # not a delivery for the ledger
    assert event.args[0].pinned_by == A
    assert route({**frame, "body": {"action": "shelved", "message": body["message"]}}, "r") == []
    assert route({**frame, "deviceId": "my-resource"}, "my-resource") == []  # our own echo
    assert ftype in PIN_SAVE_TYPES
