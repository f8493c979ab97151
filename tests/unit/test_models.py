"""Models parsed from CometChat's wire JSON (REST bodies, WebSocket frames) and built to send."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from cometchat_sync.errors import CometChatException
from cometchat_sync.models import Action
from cometchat_sync.models import Attachment
from cometchat_sync.models import BaseMessage
from cometchat_sync.models import Call
from cometchat_sync.models import CustomMessage
from cometchat_sync.models import Group
from cometchat_sync.models import GroupMember
from cometchat_sync.models import InteractiveMessage
from cometchat_sync.models import MediaMessage
from cometchat_sync.models import MessageReceipt
from cometchat_sync.models import ReactionEvent
from cometchat_sync.models import TextMessage
from cometchat_sync.models import TransientMessage
from cometchat_sync.models import TypingIndicator
from cometchat_sync.models import User
from cometchat_sync.models._coerce import as_bool
from cometchat_sync.models._coerce import as_int
from cometchat_sync.models._coerce import as_opt_int
from cometchat_sync.models._coerce import as_opt_str
from cometchat_sync.models._coerce import as_str
from cometchat_sync.models._coerce import as_str_list

IRON = {
    "uid": "superhero1",
    "name": "Iron Man",
    "avatar": "https://data.cometchat.com/assets/images/avatars/ironman.png",
    "status": "online",
    "role": "default",
    "lastActiveAt": 1700000000,
}
CAP = {"uid": "superhero2", "name": "Captain America", "status": "offline"}
GROUP = {
    "guid": "avengers",
    "name": "Avengers",
    "type": "public",
    "description": "Earth's mightiest",
    "icon": "https://x/icon.png",
    "owner": "superhero1",
    "membersCount": "5",
    "hasJoined": True,
    "scope": "admin",
    "createdAt": "1699990000",
    "metadata": {"city": "NYC"},
    "tags": ["heroes"],
    "conversationId": "group_avengers",
    "password": "secret-pass",
}


def text_json(**over):
    d = {
        "id": "101",
        "muid": "m-101",
        "conversationId": "superhero1_user_superhero2",
        "sender": "superhero1",
        "receiverType": "user",
        "receiver": "superhero2",
        "category": "message",
        "type": "text",
        "data": {
            "text": "Hello Cap",
            "metadata": {"lang": "en"},
            "entities": {
                "sender": {"entity": dict(IRON), "entityType": "user"},
                "receiver": {"entity": dict(CAP), "entityType": "user"},
            },
        },
        "sentAt": 1700000100,
        "updatedAt": "1700000100",
        "deliveredAt": 1700000101,
        "readAt": 1700000102,
        "parentId": "0",
        "replyCount": 2,
        "tags": ["pinned"],
        "mentions": {},
        "myReceipt": {"read": True},
        "newServerField": {"x": 1},
    }
    d.update(over)
    return d


@pytest.fixture
def action_json(action_data):
    """``action_json(action, on, on_type="user", by=IRON, for_=GROUP, extras=None,
    type_="groupMember")``: a group action message as the REST API returns it."""

    def build(action, on, on_type="user", by=IRON, for_=GROUP, extras=None, type_="groupMember"):
        return {
            "id": "300",
            "conversationId": "group_avengers",
            "sender": by["uid"],
            "receiver": "avengers",
            "receiverType": "group",
            "category": "action",
            "type": type_,
            "data": {
                **action_data(action, by, on, on_type, for_, extras),
                "text": f"something {action}",
            },
            "sentAt": 1700000300,
        }

    return build


def call_json(status="initiated", receiver_type="user"):
    return {
        "id": "400",
        "sender": "superhero1",
        "receiver": "superhero2" if receiver_type == "user" else "avengers",
        "receiverType": receiver_type,
        "category": "call",
        "type": "video",
        "data": {
            "action": status,
            "entities": {
                "by": {"entity": dict(IRON), "entityType": "user"},
                "on": {
                    "entity": {
                        "sessionid": "v1.us.123abc",
                        "status": status,
                        "initiatedAt": "1700000400",
                        "joinedAt": 1700000410,
                        "data": {
                            "metadata": {},
                            "entities": {  # who started the call, and whom it is for
                                "sender": {"entity": dict(IRON), "entityType": "user"},
                                "receiver": {"entity": dict(CAP), "entityType": "user"},
                            },
                        },
                    },
                    "entityType": "call",
                },
                "for": {"entity": dict(CAP), "entityType": "user"},
            },
        },
        "sentAt": 1700000400,
    }


# -- coercion helpers ----------------------------------------------------------------------


def test_safe_coercions_never_raise():
    assert as_opt_int("42") == 42
    assert as_opt_int(" 7 ") == 7
    assert as_opt_int("3.9") == 3
    assert as_opt_int(json.loads("1e999")) is None
    assert as_opt_int(float("nan")) is None
    assert as_opt_int("1e999") is None
    assert as_opt_int([1]) is None
    assert as_int(None, 5) == 5
    assert as_str(10**5000) == ""
    assert as_str(12) == "12"
    assert as_str({"a": 1}, "d") == "d"
    assert as_opt_str(None) is None
    assert as_opt_str("") == ""
    assert as_opt_str([]) is None
    assert as_str_list(["a", 1, None, {"x": 1}, 10**5000]) == ["a", "1"]
    assert as_bool("false") is False
    assert as_bool("true") is True
    assert as_bool(0) is False
    assert as_bool([], True) is True


# -- Group ---------------------------------------------------------------------------------


def test_group_from_wire():
    g = Group.from_json(GROUP)
    assert g.guid == "avengers"
    assert g.name == "Avengers"
    assert g.type == "public"
    assert g.description == "Earth's mightiest"
    assert g.icon == "https://x/icon.png"
    assert g.owner == "superhero1"
    assert g.members_count == 5  # string coerced
    assert g.has_joined is True
    assert g.scope == "admin"
    assert g.created_at == 1699990000
    assert g.metadata == {"city": "NYC"}
    assert g.tags == ["heroes"]
    assert g.raw["conversationId"] == "group_avengers"  # unknown field kept
    assert "password" not in g.raw
    assert "secret" not in repr(g)
    assert repr(g) == "Group(guid='avengers', name='Avengers', type='public', members_count=5)"


def test_group_missing_fields_and_round_trip():
    g = Group.from_json({"guid": "g1"})
    assert (g.name, g.type, g.members_count, g.has_joined, g.scope) == (
        "",
        "public",
        0,
        False,
        None,
    )
    assert g.metadata == {} and g.tags == []
    assert Group.from_json(g.to_json()) == g
    full = Group.from_json(GROUP)
    assert Group.from_json(full.to_json()) == full


def test_group_member():
    m = GroupMember.from_json({**CAP, "scope": "moderator", "joinedAt": "1700000000", "x": 1})
    assert isinstance(m, User)
    assert m.uid == "superhero2"
    assert m.scope == "moderator"
    assert m.joined_at == 1700000000
    assert m.raw["x"] == 1
    assert m.to_json()["scope"] == "moderator"
    assert repr(m) == "GroupMember(uid='superhero2', name='Captain America', scope='moderator')"
    bare = GroupMember.from_json({"uid": "u"})
    assert bare.scope == "participant" and bare.joined_at is None
    hostile = GroupMember.from_json({"uid": "u", "lastActiveAt": float("inf"), "scope": 5})
    assert hostile.uid == "u" and hostile.scope == "5"


# -- messages ------------------------------------------------------------------------------


def test_text_message_from_wire():
    m = BaseMessage.from_json(text_json())
    assert type(m) is TextMessage
    assert m.id == 101  # string id coerced
    assert m.muid == "m-101"
    assert m.conversation_id == "superhero1_user_superhero2"
    assert m.sender_uid == "superhero1"
    assert isinstance(m.sender, User) and m.sender.name == "Iron Man"
    assert m.receiver_uid == m.receiver_id == "superhero2"
    assert isinstance(m.receiver, User) and m.receiver.uid == "superhero2"
    assert m.receiver_type == "user"
    assert (m.category, m.type) == ("message", "text")
    assert m.text == "Hello Cap"
    assert m.metadata == {"lang": "en"}
    assert m.sent_at == 1700000100 and m.updated_at == 1700000100
    assert m.delivered_at == 1700000101 and m.read_at == 1700000102
    assert m.parent_id is None  # "0" means no parent
    assert m.reply_count == 2
    assert m.tags == ["pinned"]
    assert m.edited_at is None and m.deleted_at is None and not m.is_deleted
    assert m.raw["newServerField"] == {"x": 1}
    assert m.raw["myReceipt"] == {"read": True}
    assert repr(m) == (
        "TextMessage(id=101, sender='superhero1', receiver='superhero2', "
        "receiver_type='user', text='Hello Cap')"
    )


def test_message_numeric_id_and_group_receiver():
    d = text_json(id=102, receiver="avengers", receiverType="group")
    d["data"]["entities"]["receiver"] = {"entity": dict(GROUP), "entityType": "group"}
    m = BaseMessage.from_json(d)
    assert m.id == 102
    assert isinstance(m.receiver, Group) and m.receiver.guid == "avengers"
    assert m.receiver_type == "group"


def test_message_missing_everything_never_raises():
    for cls in (BaseMessage, TextMessage, MediaMessage, CustomMessage, Action, Call):
        m = cls.from_json({})
        assert m.id == 0
        assert m.sender is None and m.sender_uid == ""
        assert m.receiver is None and m.receiver_uid == ""
        assert m.receiver_type == "user"
        assert m.metadata == {} and m.tags == [] and m.raw == {}
        repr(m)
    assert type(BaseMessage.from_json({})) is BaseMessage


def test_message_odd_field_types_never_raise():
    d = text_json(
        id=float("inf"),
        sentAt="soon",
        tags="notalist",
        data={"text": 10**5000, "entities": {"sender": "junk", "receiver": {"entity": []}}},
        sender=["x"],
        receiverType=None,
    )
    m = BaseMessage.from_json(d)
    assert isinstance(m, TextMessage)
    assert m.id == 0 and m.sent_at is None and m.tags == [] and m.text == ""
    assert m.sender is None and m.sender_uid == ""


def test_sender_falls_back_to_entity_and_inline_object():
    d = text_json()
    del d["sender"]
    assert BaseMessage.from_json(d).sender_uid == "superhero1"
    d2 = text_json(sender=dict(IRON))
    m2 = BaseMessage.from_json(d2)
    assert m2.sender_uid == "superhero1" and m2.sender is not None


def test_subclass_from_json_builds_that_subclass():
    assert type(TextMessage.from_json({"category": "call"})) is TextMessage


@pytest.mark.parametrize(
    ("category", "type_", "cls"),
    [
        ("message", "text", TextMessage),
        ("message", "image", MediaMessage),
        ("message", "video", MediaMessage),
        ("message", "audio", MediaMessage),
        ("message", "file", MediaMessage),
        ("message", "custom", CustomMessage),
        ("custom", "location", CustomMessage),
        ("action", "groupMember", Action),
        ("action", "message", Action),
        ("call", "audio", Call),
        ("interactive", "form", InteractiveMessage),
        ("message", None, BaseMessage),
        (None, None, BaseMessage),
        (["x"], {"y": 1}, BaseMessage),
    ],
)
def test_dispatch_on_category_and_type(category, type_, cls):
    assert type(BaseMessage.from_json({"category": category, "type": type_})) is cls


def test_media_message_from_wire():
    m = BaseMessage.from_json(
        {
            "id": "201",
            "sender": "superhero1",
            "receiver": "superhero2",
            "receiverType": "user",
            "category": "message",
            "type": "image",
            "data": {
                "text": "look",
                "url": "https://media/x.png",
                "attachments": [
                    {
                        "name": "x.png",
                        "extension": "png",
                        "size": "1234",
                        "mimeType": "image/png",
                        "url": "https://media/x.png",
                        "extra": True,
                    },
                    "junk",
                ],
            },
        }
    )
    assert isinstance(m, MediaMessage)
    assert m.url == "https://media/x.png"
    assert m.caption == "look"
    assert len(m.attachments) == 1
    a = m.attachments[0]
    assert (a.name, a.extension, a.size, a.mime_type) == ("x.png", "png", 1234, "image/png")
    assert a.raw["extra"] is True
    assert "https" not in repr(m)  # urls (maybe tokenised) stay out of repr
    no_url = MediaMessage.from_json(
        {"category": "message", "type": "file", "data": {"attachments": [{"url": "https://f"}]}}
    )
    assert no_url.url == "https://f"


def test_custom_message_from_wire():
    m = BaseMessage.from_json(
        {
            "id": 5,
            "category": "custom",
            "type": "location",
            "data": {"customData": {"lat": 1.5, "lng": 2}, "subType": "pin"},
            "sender": "a",
            "receiver": "b",
        }
    )
    assert isinstance(m, CustomMessage)
    assert m.custom_type == "location"
    assert m.custom_data == {"lat": 1.5, "lng": 2}
    assert m.sub_type == "pin"
    assert "custom_type='location'" in repr(m)


def test_action_edited_carries_the_edited_message(action_json):
    edited = text_json(editedAt=1700000200, editedBy="superhero1")
    edited["data"]["text"] = "Hello Cap (edited)"
    a = BaseMessage.from_json(action_json("edited", edited, on_type="message", type_="message"))
    assert isinstance(a, Action)
    assert a.id == 300
    assert a.action == "edited"
    assert isinstance(a.actioned_by, User) and a.actioned_by.uid == "superhero1"
    assert isinstance(a.message, TextMessage)
    assert a.message is a.actioned_on
    assert a.message.text == "Hello Cap (edited)"
    assert a.message.edited_at == 1700000200 and a.message.edited_by == "superhero1"
    assert isinstance(a.actioned_for, Group)
    assert a.text == "something edited"
    assert "on='message 101'" in repr(a)


def test_action_scope_changed(action_json):
    a = BaseMessage.from_json(
        action_json("scopeChanged", CAP, extras={"scope": {"new": "admin", "old": "participant"}})
    )
    assert isinstance(a, Action)
    assert (a.new_scope, a.old_scope) == ("admin", "participant")
    assert isinstance(a.actioned_on, User) and a.actioned_on.uid == "superhero2"
    assert a.message is None


def test_action_entity_type_guessed_when_missing(action_json):
    d = action_json("kicked", CAP)
    for key in ("by", "on", "for"):
        del d["data"]["entities"][key]["entityType"]
    a = Action.from_json(d)
    assert isinstance(a.actioned_by, User)
    assert isinstance(a.actioned_on, User)
    assert isinstance(a.actioned_for, Group)


def test_action_nesting_is_bounded():
    inner: dict[str, Any] = {"category": "action", "type": "message", "data": {}}
    d = inner
    for _ in range(500):
        d = {"category": "action", "data": {"entities": {"on": {"entity": d}}}, "id": 1}
    a = BaseMessage.from_json(d)
    assert isinstance(a, Action)
    depth = 0
    cur: BaseMessage = a
    while isinstance(cur, Action) and cur.message is not None:
        cur = cur.message
        depth += 1
    assert depth <= 3


def test_call_from_wire():
    c = BaseMessage.from_json(call_json("ongoing"))
    assert isinstance(c, Call)
    assert c.session_id == "v1.us.123abc"
    assert c.status == "ongoing" and c.action == "ongoing"
    assert c.initiated_at == 1700000400 and c.joined_at == 1700000410
    assert isinstance(c.call_initiator, User) and c.call_initiator.uid == "superhero1"
    assert isinstance(c.call_receiver, User) and c.call_receiver.uid == "superhero2"
    assert "status='ongoing'" in repr(c)
    bare = Call.from_json({"category": "call", "data": {"action": "ended"}})
    assert bare.status == "ended" and bare.session_id is None
    # the step's "by" is whoever made it (here the callee), never the initiator
    answered = call_json("ongoing")
    answered["data"]["entities"]["by"] = {"entity": dict(CAP), "entityType": "user"}
    assert Call.from_json(answered).initiator_uid == "superhero1"
    del answered["data"]["entities"]["on"]["entity"]["data"]["entities"]
    assert Call.from_json(answered).call_initiator is None


# -- sendable messages ---------------------------------------------------------------------


def test_text_message_send_body():
    m = TextMessage("superhero2", "hi", metadata={"a": 1}, tags=["t"])
    m.muid = "muid-1"
    assert m.to_send_json() == {
        "receiver": "superhero2",
        "receiverType": "user",
        "category": "message",
        "type": "text",
        "data": {"text": "hi", "metadata": {"a": 1}},
        "text": "hi",
        "muid": "muid-1",
        "tags": ["t"],
    }
    assert TextMessage("g", "yo", receiver_type="group").to_send_json() == {
        "receiver": "g",
        "receiverType": "group",
        "category": "message",
        "type": "text",
        "data": {"text": "yo"},
        "text": "yo",
    }
    assert m.id == 0 and m.sender is None


def test_send_body_round_trips_through_from_json():
    m = TextMessage("superhero2", "hi", metadata={"a": 1}, tags=["t"], parent_id=7)
    back = BaseMessage.from_json({**m.to_send_json(), "id": "9", "sender": "me"})
    assert isinstance(back, TextMessage)
    assert (back.text, back.metadata, back.tags, back.parent_id, back.id) == (
        "hi",
        {"a": 1},
        ["t"],
        7,
        9,
    )


def test_media_and_custom_send_bodies():
    media = MediaMessage("bob", "https://x/y.png", caption="cap")
    body = media.to_send_json()
    assert body["category"] == "message" and body["type"] == "image"
    assert body["data"]["url"] == "https://x/y.png"
    assert body["data"]["attachments"] == [{"url": "https://x/y.png"}]
    assert body["data"]["text"] == "cap"
    video = MediaMessage(
        "g",
        "https://v",
        "video",
        "group",
        attachments=[Attachment("https://v", "v.mp4", mime_type="video/mp4", size=3)],
    )
    assert video.to_send_json()["data"]["attachments"] == [
        {"url": "https://v", "name": "v.mp4", "mimeType": "video/mp4", "size": 3}
    ]
    custom = CustomMessage("bob", "location", {"lat": 1}, sub_type="pin")
    assert custom.to_send_json() == {
        "receiver": "bob",
        "receiverType": "user",
        "category": "custom",
        "type": "location",
        "data": {"customData": {"lat": 1}, "subType": "pin"},
    }


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda: TextMessage("", "hi"), "MISSING_PARAMETERS"),
        (lambda: TextMessage("   ", "hi"), "MISSING_PARAMETERS"),
        (lambda: TextMessage("bob", ""), "MISSING_PARAMETERS"),
        (lambda: TextMessage("bob", "  "), "MISSING_PARAMETERS"),
        (lambda: TextMessage("bob", "hi", receiver_type="room"), "ERR_INVALID_PARAMETER"),
        (lambda: TextMessage(None, "hi"), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
        (lambda: TextMessage("bob", 5), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
        (lambda: MediaMessage("bob", ""), "MISSING_PARAMETERS"),
        (lambda: MediaMessage("bob", "https://x", "sticker"), "ERR_INVALID_PARAMETER"),
        (lambda: MediaMessage("", "https://x"), "MISSING_PARAMETERS"),
        (lambda: CustomMessage("bob", "", {}), "MISSING_PARAMETERS"),
        (lambda: CustomMessage("bob", "loc", ["x"]), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
        (lambda: CustomMessage("bob", "loc", {}, "chat"), "ERR_INVALID_PARAMETER"),
        (lambda: TypingIndicator(""), "MISSING_PARAMETERS"),
        (lambda: TypingIndicator("bob", "groupchat"), "ERR_INVALID_PARAMETER"),
        (lambda: TransientMessage(""), "MISSING_PARAMETERS"),
        (lambda: TransientMessage("bob", "x"), "ERR_INVALID_PARAMETER"),
        (lambda: TransientMessage("bob", data=[1]), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ],
)
def test_construction_validation(build, code):
    with pytest.raises(CometChatException) as info:
        build()
    assert info.value.code == code


# -- events --------------------------------------------------------------------------------


def typing_frame(action="started", **over):
    f = {
        "appId": "APP",
        "deviceId": "WEB-4_2_0-other-1",
        "type": "typing_indicator",
        "sender": "superhero1",
        "receiver": "superhero2",
        "receiverType": "user",
        "body": {"action": action, "user": dict(IRON), "metadata": {"k": "v"}},
    }
    f.update(over)
    return f


def test_typing_indicator_from_frame_and_send():
    t = TypingIndicator.from_frame(typing_frame())
    assert t.receiver_id == "superhero2" and t.receiver_type == "user"
    assert isinstance(t.sender, User) and t.sender.uid == "superhero1"
    assert t.metadata == {"k": "v"} and t.action == "started"
    assert t.raw["appId"] == "APP"
    assert "superhero1" in repr(t)
    bare = TypingIndicator.from_frame({"type": "typing_indicator", "sender": "x", "body": 5})
    assert bare.sender is not None and bare.sender.uid == "x" and bare.metadata == {}
    out = TypingIndicator("avengers", "group", {"m": 1}).to_send_json("ended", User("me"))
    assert out["type"] == "typing_indicator"
    assert out["receiver"] == "avengers" and out["receiverType"] == "group"
    assert out["body"]["action"] == "ended" and out["body"]["metadata"] == {"m": 1}
    assert out["body"]["user"]["uid"] == "me"
    with pytest.raises(CometChatException):
        TypingIndicator("bob").to_send_json("typing")


def test_transient_message():
    t = TransientMessage.from_frame(
        {
            "type": "transient_message",
            "sender": "superhero1",
            "receiver": "avengers",
            "receiverType": "group",
            "body": {"user": dict(IRON), "data": {"live": "reaction"}},
        }
    )
    assert t.data == {"live": "reaction"} and t.receiver_type == "group"
    assert t.sender is not None and t.sender.name == "Iron Man"
    sent = TransientMessage("bob", data={"x": 1}).to_send_json()
    assert sent == {
        "type": "transient_message",
        "receiver": "bob",
        "receiverType": "user",
        "body": {"data": {"x": 1}},
    }
    assert "keys=['x']" in repr(TransientMessage("bob", data={"x": 1}))


@pytest.mark.parametrize(
    ("action", "delivered", "read"),
    [
        ("delivered", 1700000500, None),
        ("deliveredToAll", 1700000500, None),
        ("read", None, 1700000500),
        ("readByAll", None, 1700000500),
    ],
)
def test_message_receipt(action, delivered, read):
    r = MessageReceipt.from_frame(
        {
            "type": "receipts",
            "sender": "superhero2",
            "receiver": "superhero1",
            "receiverType": "user",
            "messageSender": "superhero1",
            "body": {
                "action": action,
                "messageId": "101",
                "user": dict(CAP),
                "timestamp": "1700000500",
            },
        }
    )
    assert r.message_id == 101
    assert r.receipt_type == action
    assert r.sender is not None and r.sender.uid == "superhero2"
    assert r.receiver_id == "superhero1" and r.receiver_type == "user"
    assert r.timestamp == 1700000500
    assert (r.delivered_at, r.read_at) == (delivered, read)
    assert r.message_sender == "superhero1"
    assert repr(r).startswith(f"MessageReceipt(receipt_type='{action}', message_id=101")


def test_reaction_event():
    r = ReactionEvent.from_frame(
        {
            "type": "reaction",
            "receiver": "superhero2",
            "receiverType": "user",
            "body": {
                "action": "message_reaction_added",
                "id": "77",
                "messageId": "101",
                "uid": "superhero1",
                "reaction": "👍",
                "reactedBy": dict(IRON),
                "reactedAt": 1700000600,
                "conversationId": "superhero1_user_superhero2",
                "parentId": None,
            },
        }
    )
    assert (r.id, r.message_id, r.uid, r.reaction) == (77, 101, "superhero1", "👍")
    assert r.reacted_by.name == "Iron Man"
    assert r.reacted_at == 1700000600
    assert r.conversation_id == "superhero1_user_superhero2" and r.parent_id is None
    assert r.action == "message_reaction_added"
    bare = ReactionEvent.from_frame({"body": {"reactedBy": "superhero3"}})
    assert bare.uid == "superhero3" and bare.reacted_by.uid == "superhero3"


def test_reprs_are_token_free():
    me = User.from_json({**IRON, "authToken": "superhero1_secret", "jwt": "a.b.c"})
    d = text_json()
    d["data"]["entities"]["sender"]["entity"] = {**IRON, "authToken": "superhero1_secret"}
    m = BaseMessage.from_json(d)
    assert m.sender is not None and "authToken" not in m.sender.raw
    for obj in (me, m, m.sender):
        assert "secret" not in repr(obj)
    assert "a.b.c" not in repr(me)


def test_out_of_range_ints_are_dropped():
    assert as_opt_int(2**63 - 1) == 2**63 - 1
    assert as_opt_int(-(2**63)) == -(2**63)
    assert as_opt_int(2**63) is None
    assert as_opt_int(10**5000) is None
    m = BaseMessage.from_json({"id": 10**5000, "sentAt": -(10**30), "category": "message"})
    assert m.id == 0 and m.sent_at is None
    repr(m)


def _junk(rng, depth=0):
    pick = rng.randrange(9 if depth < 4 else 6)
    if pick == 0:
        return rng.choice([None, True, 0, 10**5000, float("nan"), float("inf"), -1])
    if pick == 1:
        return rng.choice(["", "1e999", "text", "user", "group", "message", "action", "call"])
    if pick == 2:
        return rng.choice(["edited", "kicked", "custom", "image", "started", "read", "online"])
    if pick == 3:
        return rng.choice([[], {}, b"x", object()])
    if pick == 4:
        return rng.choice(["x" * 5000, "\ud800", " 7 "])
    if pick == 5:
        return 12345
    keys = [
        "id", "category", "type", "data", "entities", "entity", "entityType", "sender",
        "receiver", "receiverType", "on", "by", "for", "text", "attachments", "customData",
        "action", "extras", "scope", "new", "old", "user", "body", "messageId", "reactedBy",
        "uid", "guid", "metadata", "tags", "sentAt", "parentId", "status", "sessionid",
    ]  # fmt: skip
    if pick in (6, 7):
        return {rng.choice(keys): _junk(rng, depth + 1) for _ in range(rng.randrange(8))}
    return [_junk(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_fuzz_models_never_raise_on_any_mapping():
    rng = random.Random(1234)
    parsers = [
        BaseMessage.from_json,
        TextMessage.from_json,
        MediaMessage.from_json,
        CustomMessage.from_json,
        Action.from_json,
        Call.from_json,
        Group.from_json,
        GroupMember.from_json,
        TypingIndicator.from_frame,
        TransientMessage.from_frame,
        MessageReceipt.from_frame,
        ReactionEvent.from_frame,
    ]
    for i in range(4000):
        d = _junk(rng)
        if not isinstance(d, dict):
            d = {"category": rng.choice(["message", "action", "call", "custom"]), "data": d}
        obj = parsers[i % len(parsers)](d)
        repr(obj)


def test_sender_and_receiver_are_built_lazily_and_settable():
    d = text_json()
    m = BaseMessage.from_json(d)
    assert m._sender_src is not None and m._receiver_src is not None  # not built yet
    assert m.sender is m.sender  # built once, then cached
    assert m._sender_src is None
    m.sender = User("someone")
    assert m.sender.uid == "someone"
    g = Group("g1")
    m.receiver = g
    assert m.receiver is g
    # uids are known without building the objects
    d2 = text_json()
    del d2["sender"], d2["receiver"]
    m2 = BaseMessage.from_json(d2)
    assert (m2.sender_uid, m2.receiver_uid) == ("superhero1", "superhero2")
