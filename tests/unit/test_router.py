"""The pure frame router: one test per routing rule, echo drop, and a hostile-input fuzz."""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import pytest

from cometchat_sync.events.router import FAMILIES
from cometchat_sync.events.router import UNMODELLED_TYPES
from cometchat_sync.events.router import Event
from cometchat_sync.events.router import route
from cometchat_sync.listeners import CallListener
from cometchat_sync.listeners import GroupListener
from cometchat_sync.listeners import MessageListener
from cometchat_sync.listeners import UserListener
from cometchat_sync.models import Action
from cometchat_sync.models import BaseMessage
from cometchat_sync.models import Call
from cometchat_sync.models import CustomMessage
from cometchat_sync.models import Group
from cometchat_sync.models import MediaMessage
from cometchat_sync.models import MessageReceipt
from cometchat_sync.models import ReactionEvent
from cometchat_sync.models import TextMessage
from cometchat_sync.models import TransientMessage
from cometchat_sync.models import TypingIndicator
from cometchat_sync.models import User

ME = "WEB-4_2_0-me-1700000000000"
OTHER = "WEB-4_2_0-other-1700000000001"
IRON = {"uid": "superhero1", "name": "Iron Man", "status": "online"}
CAP = {"uid": "superhero2", "name": "Captain America"}
THOR = {"uid": "superhero3", "name": "Thor"}
GROUP = {"guid": "avengers", "name": "Avengers", "type": "public", "membersCount": 3}


def envelope(ftype, body, **over):
    frame = {
        "appId": "APP",
        "deviceId": OTHER,
        "type": ftype,
        "sender": "superhero1",
        "receiver": "superhero2",
        "receiverType": "user",
        "body": body,
    }
    frame.update(over)
    return frame


def message_body(category="message", type_="text", data=None, **over):
    body = {
        "id": "101",
        "conversationId": "superhero1_user_superhero2",
        "sender": "superhero1",
        "receiver": "superhero2",
        "receiverType": "user",
        "category": category,
        "type": type_,
        "data": data if data is not None else {"text": "hi"},
        "sentAt": 1700000000,
    }
    body.update(over)
    return body


@pytest.fixture
def action_body(action_data):
    """``action_body(action, on=CAP, on_type="user", by=IRON, for_=GROUP, extras=None)``: the
    body of a group action message, on a user or (``on_type="message"``) on a message."""

    def build(action, on=CAP, on_type="user", by=IRON, for_=GROUP, extras=None):
        return message_body(
            "action",
            "message" if on_type == "message" else "groupMember",
            action_data(action, by, on, on_type, for_, extras),
            id="300",
            receiver="avengers",
            receiverType="group",
            conversationId="group_avengers",
        )

    return build


def call_body(status, receiver_type="user", sender="superhero1", initiator=None, by=IRON):
    """A call step made by ``by``; the call entity names ``initiator`` (a uid) as the
    caller when given, as the service does."""
    call: dict[str, Any] = {"sessionid": "s1", "status": status}
    if initiator is not None:
        receiver = GROUP if receiver_type == "group" else CAP
        call["data"] = {
            "entities": {
                "sender": {"entity": {"uid": initiator, "name": initiator}, "entityType": "user"},
                "receiver": {"entity": dict(receiver), "entityType": receiver_type},
            }
        }
    data = {
        "action": status,
        "entities": {
            "by": {"entity": dict(by), "entityType": "user"},
            "on": {"entity": call, "entityType": "call"},
            "for": {"entity": dict(CAP), "entityType": "user"},
        },
    }
    return message_body(
        "call",
        "audio",
        data,
        id="400",
        sender=sender,
        receiverType=receiver_type,
        receiver="superhero2" if receiver_type == "user" else "avengers",
    )


def one(events):
    assert len(events) == 1, events
    ev = events[0]
    assert isinstance(ev, Event)
    assert ev.listener_type in FAMILIES
    assert ev.method in ev.listener_type.EVENTS
    return ev


# -- message frames ------------------------------------------------------------------------


def test_text_message():
    ev = one(route(envelope("message", message_body()), ME))
    assert (ev.listener_type, ev.method) == (MessageListener, "on_text_message_received")
    (msg,) = ev.args
    assert isinstance(msg, TextMessage) and msg.text == "hi" and msg.id == 101
    assert msg is ev.message


@pytest.mark.parametrize("media", ["image", "video", "audio", "file"])
def test_media_message(media):
    body = message_body(type_=media, data={"url": "https://x", "attachments": [{"url": "x"}]})
    ev = one(route(envelope("message", body), ME))
    assert ev.method == "on_media_message_received"
    assert isinstance(ev.args[0], MediaMessage) and ev.message is ev.args[0]


@pytest.mark.parametrize(("category", "type_"), [("custom", "location"), ("message", "custom")])
def test_custom_message(category, type_):
    body = message_body(category, type_, {"customData": {"lat": 1}})
    ev = one(route(envelope("message", body), ME))
    assert ev.method == "on_custom_message_received"
    assert isinstance(ev.args[0], CustomMessage)


@pytest.mark.parametrize("action", ["edited", "deleted"])
def test_message_edited_and_deleted_pass_the_target_message(action, action_body):
    target = message_body(data={"text": "new text"}, editedAt=1700000100, deletedAt=1700000200)
    ev = one(route(envelope("message", action_body(action, target, "message")), ME))
    assert (ev.listener_type, ev.method) == (MessageListener, f"on_message_{action}")
    (msg,) = ev.args
    assert isinstance(msg, TextMessage) and msg.id == 101 and msg.text == "new text"
    assert isinstance(ev.message, Action) and ev.message.id == 300  # track the action's id


def test_message_edited_without_message_entity_is_dropped(action_body):
    assert route(envelope("message", action_body("edited", CAP, "user")), ME) == []


@pytest.mark.parametrize("action", ["joined", "invited"])
def test_group_member_joined(action, action_body):
    body = action_body(action, on=IRON, by=IRON)
    ev = one(route(envelope("message", body), ME))
    assert (ev.listener_type, ev.method) == (GroupListener, "on_group_member_joined")
    act, user, group = ev.args
    assert isinstance(act, Action) and act is ev.message
    assert user.uid == "superhero1"
    assert isinstance(group, Group) and group.guid == "avengers"


def test_group_member_left(action_body):
    ev = one(route(envelope("message", action_body("left", on=IRON, by=IRON)), ME))
    assert ev.method == "on_group_member_left"
    assert ev.args[1].uid == "superhero1" and ev.args[2].guid == "avengers"


@pytest.mark.parametrize(
    ("action", "method"),
    [
        ("kicked", "on_group_member_kicked"),
        ("banned", "on_group_member_banned"),
        ("unbanned", "on_group_member_unbanned"),
        ("added", "on_member_added_to_group"),
    ],
)
def test_group_by_on_for_actions(action, method, action_body):
    ev = one(route(envelope("message", action_body(action, on=CAP, by=IRON)), ME))
    assert (ev.listener_type, ev.method) == (GroupListener, method)
    act, on_user, by_user, group = ev.args
    assert isinstance(act, Action)
    assert on_user.uid == "superhero2"  # kicked / banned / unbanned / added user
    assert by_user.uid == "superhero1"  # by
    assert group.guid == "avengers"
    # the listener accepts exactly these arguments
    getattr(GroupListener(), method)(*ev.args)


def test_group_member_scope_changed(action_body):
    body = action_body(
        "scopeChanged", on=THOR, extras={"scope": {"new": "moderator", "old": "participant"}}
    )
    ev = one(route(envelope("message", body), ME))
    assert ev.method == "on_group_member_scope_changed"
    _act, user, new, old, group = ev.args
    assert (user.uid, new, old, group.guid) == (
        "superhero3",
        "moderator",
        "participant",
        "avengers",
    )


def test_scope_changed_without_scope_is_dropped(action_body):
    assert route(envelope("message", action_body("scopeChanged", on=THOR)), ME) == []


def test_group_action_without_group_or_users_is_dropped(action_body):
    body = action_body("kicked")
    del body["data"]["entities"]["for"]
    assert route(envelope("message", body), ME) == []
    body = action_body("kicked")
    del body["data"]["entities"]["by"]
    assert route(envelope("message", body), ME) == []


def test_unknown_action_is_dropped(action_body):
    assert route(envelope("message", action_body("teleported")), ME) == []


@pytest.mark.parametrize(
    ("status", "method"),
    [
        ("initiated", "on_incoming_call_received"),
        ("ongoing", "on_outgoing_call_accepted"),
        ("rejected", "on_outgoing_call_rejected"),
        ("busy", "on_outgoing_call_rejected"),
        ("cancelled", "on_incoming_call_cancelled"),
        ("unanswered", "on_incoming_call_cancelled"),
        ("ended", "on_call_ended_message_received"),
    ],
)
def test_call_by_status(status, method):
    ev = one(route(envelope("message", call_body(status)), ME))
    assert (ev.listener_type, ev.method) == (CallListener, method)
    assert isinstance(ev.args[0], Call) and ev.args[0].status == status
    assert ev.message is ev.args[0]
    getattr(CallListener(), method)(*ev.args)


def test_call_unknown_status_is_dropped():
    assert route(envelope("message", call_body("teleported")), ME) == []


def test_own_group_call_initiation_from_another_device_is_skipped():
    frame = envelope("message", call_body("initiated", "group", sender="me", initiator="me"))
    assert route(frame, ME, own_uid="me") == []
    assert len(route(frame, ME, own_uid="someone-else")) == 1
    assert len(route(frame, ME)) == 1


def test_the_call_initiator_is_the_call_entitys_sender_not_whoever_made_the_step():
    # superhero2 (the callee) accepts a call superhero1 started: the step is by superhero2
    step = call_body("ongoing", initiator="superhero1", by=CAP, sender="superhero2")
    call = one(route(envelope("message", step), ME, own_uid="superhero1")).args[0]
    assert isinstance(call, Call)
    assert call.call_initiator is not None and call.call_initiator.uid == "superhero1"
    assert call.initiator_uid == "superhero1"
    assert isinstance(call.call_receiver, User) and call.call_receiver.uid == "superhero2"
    # a step that does not name the call's parties has no initiator, unless it started it
    assert Call.from_json(call_body("ongoing", by=CAP)).call_initiator is None
    started = Call.from_json(call_body("initiated", by=IRON))
    assert started.initiator_uid == "superhero1"


@pytest.mark.parametrize(
    ("own_uid", "method"),
    [
        ("superhero1", "on_outgoing_call_rejected"),  # the caller: nobody answered
        ("superhero2", "on_incoming_call_cancelled"),  # the callee: the ringing stopped
        (None, "on_incoming_call_cancelled"),  # unknown: as before
    ],
)
def test_unanswered_goes_to_the_callers_rejected_and_the_callees_cancelled(own_uid, method):
    step = call_body("unanswered", initiator="superhero1")
    ev = one(route(envelope("message", step), ME, own_uid=own_uid))
    assert (ev.listener_type, ev.method) == (CallListener, method)


@pytest.mark.parametrize("status", ["ongoing", "rejected", "busy"])
def test_answers_to_a_group_call_reach_only_its_initiator(status):
    step = call_body(status, "group", initiator="superhero1", by=CAP, sender="superhero2")
    frame = envelope("message", step, receiver="avengers", receiverType="group")
    assert route(frame, ME, own_uid="superhero3") == []  # a member who did not call
    assert one(route(frame, ME, own_uid="superhero1")).listener_type is CallListener
    assert len(route(frame, ME)) == 1  # our uid unknown: delivered
    # a one-to-one answer still reaches whoever hears it
    one_to_one = envelope("message", call_body(status, initiator="superhero1", by=CAP))
    assert len(route(one_to_one, ME, own_uid="superhero2")) == 1


def test_custom_message_of_type_text_is_a_text_message():
    body = message_body("custom", "text", {"text": "hi there", "customData": {"k": 1}})
    ev = one(route(envelope("message", body), ME))
    assert ev.method == "on_text_message_received"
    assert isinstance(ev.args[0], TextMessage) and ev.args[0].text == "hi there"
    assert ev.message is ev.args[0] and ev.message.id == 101


@pytest.mark.parametrize("category", ["agentic", "card", "something_new"])
def test_messages_of_unmodelled_categories_reach_the_catch_all(category):
    body = message_body(category, "form", {"interactiveData": {"title": "t"}})
    frame = envelope("message", body)
    ev = one(route(frame, ME))
    assert (ev.listener_type, ev.method) == (MessageListener, "on_unhandled_event")
    assert ev.args == (frame,) and ev.args[0] is not frame  # a copy of the whole frame
    assert ev.message is not None and ev.message.id == 101  # the ledger sees it: no doubles
    MessageListener().on_unhandled_event(*ev.args)


@pytest.mark.parametrize("ftype", sorted(UNMODELLED_TYPES))
def test_unmodelled_frame_types_reach_the_catch_all(ftype):
    frame = envelope(ftype, {"action": "x", "messageId": "5"})
    ev = one(route(frame, ME))
    assert (ev.listener_type, ev.method, ev.args, ev.message) == (
        MessageListener,
        "on_unhandled_event",
        (frame,),
        None,
    )


def test_frame_types_the_official_sdks_dispatch_are_not_dropped():
    # each of these reaches a listener the official SDKs call (by type declarations)
    for ftype in (
        "streamed_message",
        "notification_feed_item",
        "conversation_pinned",
    ):
        assert route(envelope(ftype, {"action": "x"}), ME) != [], ftype


def test_message_frame_with_bad_body_is_dropped():
    assert route(envelope("message", "not an object"), ME) == []
    assert route(envelope("message", None), ME) == []


# -- other frames --------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["started", "ended"])
def test_typing(action):
    body = {"action": action, "user": dict(IRON), "metadata": {"k": 1}}
    ev = one(route(envelope("typing_indicator", body), ME))
    assert (ev.listener_type, ev.method) == (MessageListener, f"on_typing_{action}")
    (ti,) = ev.args
    assert isinstance(ti, TypingIndicator) and ti.sender is not None
    assert ti.sender.uid == "superhero1" and ti.metadata == {"k": 1}
    assert ev.message is None


@pytest.mark.parametrize(
    ("action", "method"),
    [
        ("delivered", "on_messages_delivered"),
        ("read", "on_messages_read"),
        ("deliveredToAll", "on_messages_delivered_to_all"),
        ("readByAll", "on_messages_read_by_all"),
    ],
)
def test_receipts(action, method):
    body = {"action": action, "messageId": "101", "user": dict(CAP), "timestamp": 1700000500}
    ev = one(route(envelope("receipts", body, messageSender="superhero1"), ME))
    assert (ev.listener_type, ev.method) == (MessageListener, method)
    (r,) = ev.args
    assert isinstance(r, MessageReceipt) and r.message_id == 101 and r.receipt_type == action
    assert ev.message is None


def test_receipt_without_message_id_or_known_action_is_dropped():
    assert route(envelope("receipts", {"action": "read", "user": dict(CAP)}), ME) == []
    assert route(envelope("receipts", {"action": "seen", "messageId": 1}), ME) == []


@pytest.mark.parametrize(
    ("action", "method", "status"),
    [
        ("online", "on_user_online", "online"),
        ("available", "on_user_online", "online"),
        ("offline", "on_user_offline", "offline"),
    ],
)
def test_presence(action, method, status):
    body = {"action": action, "user": {**IRON, "status": "whatever"}, "timestamp": "1700000700"}
    frame = envelope("presence", body)
    del frame["receiver"], frame["receiverType"]
    ev = one(route(frame, ME))
    assert (ev.listener_type, ev.method) == (UserListener, method)
    (user,) = ev.args
    assert isinstance(user, User) and user.uid == "superhero1"
    assert user.status == status
    assert user.last_active_at == 1700000700
    getattr(UserListener(), method)(*ev.args)


def test_presence_without_user_or_action_is_dropped():
    assert route(envelope("presence", {"action": "online"}), ME) == []
    assert route(envelope("presence", {"action": "away", "user": dict(IRON)}), ME) == []
    assert route(envelope("presence", {"action": "online", "user": {"name": "x"}}), ME) == []


def test_transient_message():
    body = {"user": dict(IRON), "data": {"live": 1}}
    ev = one(route(envelope("transient_message", body), ME))
    assert (ev.listener_type, ev.method) == (MessageListener, "on_transient_message_received")
    assert isinstance(ev.args[0], TransientMessage) and ev.args[0].data == {"live": 1}


@pytest.mark.parametrize(
    ("action", "method"),
    [
        ("message_reaction_added", "on_message_reaction_added"),
        ("message_reaction_removed", "on_message_reaction_removed"),
    ],
)
def test_reaction(action, method):
    body = {
        "action": action,
        "id": "1",
        "messageId": "101",
        "uid": "superhero1",
        "reaction": "🎉",
        "reactedBy": dict(IRON),
        "reactedAt": 1700000800,
        "conversationId": "superhero1_user_superhero2",
    }
    ev = one(route(envelope("reaction", body), ME))
    assert (ev.listener_type, ev.method) == (MessageListener, method)
    assert isinstance(ev.args[0], ReactionEvent) and ev.args[0].message_id == 101


def test_reaction_unknown_action_is_dropped():
    assert route(envelope("reaction", {"action": "poked"}), ME) == []


# -- echo suppression, unknown types, logging ----------------------------------------------


def test_own_device_echo_is_dropped():
    frame = envelope("message", message_body(), deviceId=ME)
    assert route(frame, ME) == []
    assert len(route(frame, OTHER + "x")) == 1
    typing = envelope("typing_indicator", {"action": "started"}, deviceId=ME)
    assert route(typing, ME) == []


def test_echo_exemptions_are_not_dropped_as_echo(caplog):
    caplog.set_level(logging.DEBUG, logger="cometchat_sync.events.router")
    assert route(envelope("auth", message_body(), deviceId=ME), ME) == []
    assert "echo" not in caplog.text
    assert "not a listener event" in caplog.text
    # a moderation verdict on our own message reaches us too
    moderated = envelope("on_moderation_status_changed", message_body(), deviceId=ME)
    assert one(route(moderated, ME)).method == "on_message_moderated"


def test_empty_own_resource_drops_nothing_as_echo():
    assert len(route(envelope("message", message_body(), deviceId=""), "")) == 1


def test_unknown_frames_give_nothing_and_log_type_and_reason_only(caplog):
    caplog.set_level(logging.DEBUG, logger="cometchat_sync.events.router")
    secret_body = {"action": "x", "auth": "SECRET-JWT", "text": "PRIVATE TEXT"}
    assert route(envelope("no_such_frame", secret_body), ME) == []
    assert route({"action": "pong"}, ME) == []
    assert route(envelope("typing_indicator", secret_body), ME) == []
    assert route(envelope("message", {**message_body(""), "x": "SECRET-JWT"}), ME) == []
    assert len(caplog.records) == 4
    for rec in caplog.records:
        assert rec.levelno == logging.DEBUG
        assert rec.name == "cometchat_sync.events.router"
    assert "SECRET" not in caplog.text and "PRIVATE" not in caplog.text
    assert "'no_such_frame'" in caplog.text
    assert "not a listener event" in caplog.text
    assert "no type" in caplog.text


def test_non_dict_frames():
    for junk in (None, [], "message", 5, [{"type": "message"}]):
        assert route(junk, ME) == []  # type: ignore[arg-type]


def test_every_listener_method_named_by_the_router_exists(action_body):
    # one frame per routing rule; every produced Event must name a real listener method with
    # the right arity
    frames = [
        envelope("message", message_body()),
        envelope("message", message_body(type_="image")),
        envelope("message", message_body("custom", "x")),
        envelope("message", action_body("edited", message_body(), "message")),
        envelope("message", action_body("joined", IRON)),
        envelope("message", action_body("kicked")),
        envelope("message", action_body("scopeChanged", extras={"scope": {"new": "a"}})),
        envelope("message", call_body("ended")),
        envelope("typing_indicator", {"action": "ended"}),
        envelope("receipts", {"action": "read", "messageId": 3}),
        envelope("presence", {"action": "offline", "user": dict(IRON)}),
        envelope("transient_message", {"data": {}}),
        envelope("reaction", {"action": "message_reaction_removed"}),
        envelope("message", message_body("custom", "text")),
        envelope("message", message_body("card", "card")),
        envelope("message", call_body("unanswered", initiator="superhero1")),
        envelope("interaction_completed", {"messageId": "3"}),
    ]
    listeners = {family: family() for family in FAMILIES}
    for frame in frames:
        ev = one(route(frame, ME))
        getattr(listeners[ev.listener_type], ev.method)(*ev.args)


# -- hostile input fuzz ----------------------------------------------------------------------

_TYPES = [
    "message",
    "typing_indicator",
    "receipts",
    "presence",
    "transient_message",
    "reaction",
    "auth",
    *sorted(UNMODELLED_TYPES),
]
_KEYS = [
    "type",
    "body",
    "data",
    "entities",
    "entity",
    "entityType",
    "sender",
    "receiver",
    "receiverType",
    "category",
    "action",
    "id",
    "messageId",
    "user",
    "uid",
    "guid",
    "status",
    "timestamp",
    "on",
    "by",
    "for",
    "extras",
    "scope",
    "new",
    "old",
    "attachments",
    "customData",
    "metadata",
    "tags",
    "deviceId",
    "reactedBy",
    "sessionid",
    "sentAt",
    "parentId",
]


def _junk(rng, depth=0):
    choice = rng.randrange(14 if depth < 4 else 10)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 2**63, -(2**70), 10**5000])
    if choice == 3:
        return rng.choice([float("inf"), float("-inf"), float("nan"), 1e308, -0.0, 3.7])
    if choice == 4:
        return rng.choice(["", "1e999", "nan", " 12 ", "x" * 10_000, "\x00\ud800", "0x1f"])
    if choice == 5:
        return rng.choice([*_TYPES, "user", "group", "text", "image", "custom", "call"])
    if choice == 6:
        return rng.choice(
            ["started", "ended", "read", "online", "edited", "kicked", "scopeChanged", "ended"]
        )
    if choice == 7:
        return rng.choice([ME, OTHER])
    if choice == 8:
        return rng.choice(["action", "message", "call", "custom", "groupMember"])
    if choice == 9:
        return rng.choice([[], {}, (), b"bytes", object()])
    if choice in (10, 11):
        return {rng.choice(_KEYS): _junk(rng, depth + 1) for _ in range(rng.randrange(6))}
    if choice == 12:
        return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice([*_KEYS, 1, None, ("t",)]): _junk(rng, depth + 1) for _ in range(3)}


def _mutate(rng, value, rate):
    """Replace random parts of a realistic frame with junk."""
    if rng.random() < rate:
        return _junk(rng)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if rng.random() < rate / 2:
                continue  # drop a key
            out[k] = _mutate(rng, v, rate)
        return out
    if isinstance(value, list):
        return [_mutate(rng, v, rate) for v in value]
    return value


@pytest.fixture
def seeds(action_body):
    """Realistic frames of every family: the starting points of the mutation fuzz."""
    return [
        envelope("message", message_body()),
        envelope("message", message_body(type_="image", data={"attachments": [{"url": "u"}]})),
        envelope("message", message_body("custom", "x", {"customData": {"a": 1}})),
        envelope("message", action_body("edited", message_body(), "message")),
        envelope("message", action_body("kicked")),
        envelope(
            "message", action_body("scopeChanged", extras={"scope": {"new": "a", "old": "b"}})
        ),
        envelope("message", call_body("initiated", "group")),
        envelope("typing_indicator", {"action": "started", "user": dict(IRON)}),
        envelope("receipts", {"action": "read", "messageId": "5", "user": dict(CAP)}),
        envelope("presence", {"action": "online", "user": dict(IRON), "timestamp": 5}),
        envelope("transient_message", {"data": {"a": 1}, "user": dict(IRON)}),
        envelope("reaction", {"action": "message_reaction_added", "reactedBy": dict(IRON)}),
    ]


def _check(events):
    assert isinstance(events, list)
    for ev in events:
        assert isinstance(ev, Event)
        assert ev.listener_type in FAMILIES
        assert ev.method in ev.listener_type.EVENTS
        assert isinstance(ev.args, tuple)
        assert ev.message is None or isinstance(ev.message, BaseMessage)
        if ev.method == "on_unhandled_event":
            # the catch-all passes the frame itself, a plain dict (whose repr is Python's:
            # the fuzz's 5000-digit ints, which json.loads never yields, make it raise)
            assert isinstance(ev.args[0], dict)
            repr(ev.message)
        else:
            repr(ev)  # reprs must not raise either


def test_fuzz_random_junk_never_raises(caplog):
    caplog.set_level(logging.DEBUG, logger="cometchat_sync.events.router")  # exercise the log path
    rng = random.Random(20240501)
    for _ in range(3000):
        frame = _junk(rng)
        if not isinstance(frame, dict) or rng.random() < 0.5:
            frame = {"type": rng.choice(_TYPES), "deviceId": OTHER, "body": _junk(rng)}
        _check(route(frame, ME, own_uid=rng.choice([None, "superhero1"])))
    # the models themselves withstand the fuzz: the router's last-resort guard never fired
    assert "unexpected" not in caplog.text


def test_fuzz_mutated_realistic_frames_never_raise(seeds):
    rng = random.Random(7)
    routed = 0
    for i in range(3000):
        seed = seeds[i % len(seeds)]
        events = route(_mutate(rng, seed, rate=rng.choice([0.02, 0.1, 0.3])), ME)
        _check(events)
        routed += bool(events)
    assert routed > 300  # the fuzz also exercises the successful paths


def test_deep_nesting_and_json_extremes_never_raise():
    deep: dict[str, Any] = {"category": "action", "data": {}}
    for _ in range(2000):
        deep = {"category": "action", "data": {"entities": {"on": {"entity": deep}}}}
    _check(route(envelope("message", deep), ME))
    extremes = json.loads(
        '{"type":"message","body":{"id":1e999,"sentAt":NaN,"category":"message",'
        '"type":"text","data":{"text":-Infinity}}}'
    )
    _check(route(extremes, ME))
