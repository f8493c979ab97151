"""Moderation against the emulator over real sockets: flag reasons, flags (and their bad
input), and the verdict frame reaching ``on_message_moderated``."""

from __future__ import annotations

import pytest

from cometchat_sync import CometChatException
from cometchat_sync import TextMessage
from cometchat_sync.models import CustomMessage
from cometchat_sync.models import FlagReason
from cometchat_sync.models import ModerationStatus
from cometchat_sync.testing import MessageRecorder

A, B, C = "superhero1", "superhero2", "superhero3"
WAIT = 5.0


def test_flag_reasons_come_from_the_app_settings(connected, emulator):
    a = connected(A)
    emulator.set_flag_reasons([{"id": "scam", "name": "Scam", "description": "Fraud."}])
    assert a.get_flag_reasons() == [FlagReason("scam", "Scam", "Fraud.")]


def test_flag_a_message_and_refuse_an_unknown_reason(connected, emulator):
    a, b = connected(A), connected(B)
    sent = a.send_message(TextMessage(B, "buy now!!!"))
    answer = b.flag_message(sent.id, "spam", "looks like spam")
    assert answer["success"] is True
    (flag,) = emulator.flagged()
    assert (flag["messageId"], flag["uid"], flag["reasonId"], flag["remark"]) == (
        str(sent.id),
        B,
        "spam",
        "looks like spam",
    )
    before = emulator.request_count()
    with pytest.raises(CometChatException) as err:
        b.flag_message(sent.id, "no-such-reason")
    assert err.value.code == "INVALID_REASON_ID"
    assert emulator.request_count() == before + 1  # the reasons only: nothing flagged
    assert len(emulator.flagged()) == 1
    with pytest.raises(CometChatException) as err:
        b.flag_message(sent.id, "")
    assert err.value.code == "MISSING_PARAMETERS"
    with pytest.raises(CometChatException) as err:
        b.flag_message(999_999, "spam")
    assert err.value.code == "ERR_MESSAGE_ID_NOT_FOUND"


def test_a_moderated_message_is_held_then_approved(connected, emulator):
    a, b, c = connected(A), connected(B), connected(C)
    mine, theirs = MessageRecorder(), MessageRecorder()
    a.add_message_listener("m", mine)
    b.add_message_listener("m", theirs)
    emulator.enable_moderation()
    sent = a.send_message(TextMessage(B, "is this fine?"))
    assert sent.moderation_status is ModerationStatus.PENDING
    # not moderated: a custom message passes at once (another conversation: B is listening,
    # and the held text did not come first)
    c.send_message(CustomMessage(B, "poll", {"q": 1}))
    assert theirs.log.wait_for_count("on_custom_message_received", 1, WAIT)
    assert theirs.log.args_of("on_text_message_received") == []  # held

    emulator.moderate(sent.id, approved=True)
    assert mine.log.wait_for_count("on_message_moderated", 1, WAIT)
    (verdict,) = mine.log.args_of("on_message_moderated")[0]
    assert verdict.id == sent.id and verdict.moderation_status is ModerationStatus.APPROVED
    assert theirs.log.wait_for_count("on_text_message_received", 1, WAIT)
    assert theirs.log.args_of("on_message_moderated") == []


def test_a_disapproved_message_never_reaches_the_receiver(connected, emulator):
    a, b = connected(A), connected(B)
    mine, theirs = MessageRecorder(), MessageRecorder()
    a.add_message_listener("m", mine)
    b.add_message_listener("m", theirs)
    emulator.enable_moderation(policy=lambda m: "bad" not in m["data"]["text"])
    bad = a.send_message(TextMessage(B, "bad words"))
    good = a.send_message(TextMessage(B, "kind words"))
    assert mine.log.wait_for_count("on_message_moderated", 2, WAIT)
    verdicts = {m.id: m.moderation_status for (m,) in mine.log.args_of("on_message_moderated")}
    assert verdicts == {bad.id: ModerationStatus.DISAPPROVED, good.id: ModerationStatus.APPROVED}
    assert theirs.log.wait_for_count("on_text_message_received", 1, WAIT)
    assert [m.text for (m,) in theirs.log.args_of("on_text_message_received")] == ["kind words"]
    with pytest.raises(Exception, match="ERR_BAD_REQUEST"):  # no longer pending
        emulator.moderate(bad.id, approved=True)


def test_history_hides_a_held_message_from_the_receiver_until_approved(connected, emulator):
    a, b = connected(A), connected(B)
    emulator.enable_moderation()
    held = a.send_message(TextMessage(B, "wait for it"))
    refused = a.send_message(TextMessage(B, "never"))
    emulator.moderate(refused.id, approved=False)
    # a catch-up after a reconnect reads history: it must not hand over what is held
    assert [m.id for m in b.fetch_messages(A)] == []
    assert [m.id for m in a.fetch_messages(B)] == [held.id, refused.id]  # the sender sees both
    emulator.moderate(held.id, approved=True)
    assert [m.id for m in b.fetch_messages(A)] == [held.id]


def test_a_message_approved_after_a_later_one_still_reaches_the_receiver(connected, emulator):
    a, b = connected(A), connected(B)
    theirs = MessageRecorder()
    b.add_message_listener("m", theirs)
    emulator.enable_moderation()
    held = a.send_message(TextMessage(B, "first, held"))
    a.send_message(CustomMessage(B, "poll", {"q": 1}))  # not moderated: delivered at once
    assert theirs.log.wait_for_count("on_custom_message_received", 1, WAIT)
    emulator.moderate(held.id, approved=True)
    assert theirs.log.wait_for_count("on_text_message_received", 1, 2.0)
