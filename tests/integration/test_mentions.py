"""Mentions against the emulator over real sockets: the helper writes the tag, the emulator
resolves it as the hosted service does, the receiver sees ``has_mentioned_me``, and the
history filters on mentions."""

from __future__ import annotations

import pytest

from cometchat_sync import CometChatException
from cometchat_sync import MessagesRequestBuilder
from cometchat_sync import TextMessage
from cometchat_sync.models import User
from cometchat_sync.models import mention
from cometchat_sync.testing import MessageRecorder

A, B, C = "superhero1", "superhero2", "superhero3"
WAIT = 5.0


def test_a_mention_is_resolved_and_heard_as_mentioning_me(connected):
    a, b = connected(A), connected(B)
    heard = MessageRecorder()
    b.add_message_listener("m", heard)
    sent = a.send_message(TextMessage(B, f"hi {mention(B)} and {mention(User(C))}, <@uid:ghost>"))
    assert [u.uid for u in sent.mentioned_users] == [B, C]
    assert sent.mentioned_users[0].name  # the user as the service knows it
    a.send_message(TextMessage(B, f"only {mention(C)}"))
    assert heard.log.wait_for_count("on_text_message_received", 2, WAIT)
    got = [m for (m,) in heard.log.args_of("on_text_message_received")]
    assert [m.has_mentioned_me for m in got] == [True, False]
    assert [u.uid for u in got[1].mentioned_users] == [C]


def test_history_filters_on_mentions(connected):
    a, b = connected(A), connected(B)
    a.send_message(TextMessage(B, "no one"))
    a.send_message(TextMessage(B, f"you {mention(B)}"))
    a.send_message(TextMessage(B, f"them {mention(C)}"))
    page = MessagesRequestBuilder(b).set_uid(A).has_mentions(True).build().fetch_previous()
    assert [m.raw["data"]["text"] for m in page] == [f"you {mention(B)}", f"them {mention(C)}"]
    mine = MessagesRequestBuilder(b).set_uid(A).set_mentioned_uids([B]).build().fetch_previous()
    assert [m.raw["data"]["text"] for m in mine] == [f"you {mention(B)}"]


def test_the_helper_refuses_bad_uids():
    with pytest.raises(CometChatException) as err:
        mention("")
    assert err.value.code == "MISSING_PARAMETERS"
    with pytest.raises(CometChatException) as err:
        mention("a b")
    assert err.value.code == "ERR_INVALID_PARAMETER"
