"""Interactive messages against the emulator over real sockets: sending a form, the
receiver's listener, marking interactions, the goal completion event and bad input."""

from __future__ import annotations

import pytest

from cometchat_sync import CometChatException
from cometchat_sync import TextMessage
from cometchat_sync.models import InteractionGoal
from cometchat_sync.models import InteractiveMessage
from cometchat_sync.testing import MessageRecorder

A, B = "superhero1", "superhero2"
WAIT = 5.0

FORM = {"title": "Lunch?", "formFields": [{"elementId": "dish", "elementType": "textInput"}]}


def test_a_form_reaches_the_receiver_and_its_goal_completes(connected):
    a, b = connected(A), connected(B)
    mine, theirs = MessageRecorder(), MessageRecorder()
    a.add_message_listener("m", mine)
    b.add_message_listener("m", theirs)
    goal = InteractionGoal("allOf", ("dish", "submit"))
    sent = a.send_interactive_message(
        InteractiveMessage(B, "user", "form", FORM, interaction_goal=goal)
    )
    assert isinstance(sent, InteractiveMessage) and sent.interaction_goal == goal
    assert theirs.log.wait_for_count("on_interactive_message_received", 1, WAIT)
    (got,) = theirs.log.args_of("on_interactive_message_received")[0]
    assert (got.id, got.type, got.interactive_data) == (sent.id, "form", FORM)
    assert not got.allow_sender_interaction

    assert "interacted" in b.mark_as_interacted(sent.id, "dish")
    assert b.get_message(sent.id).interactions[0].element_id == "dish"
    assert mine.log.args_of("on_interaction_goal_completed") == []  # one of two: not yet
    b.mark_as_interacted(sent.id, "submit")
    assert mine.log.wait_for_count("on_interaction_goal_completed", 1, WAIT)
    (receipt,) = mine.log.args_of("on_interaction_goal_completed")[0]
    assert receipt.message_id == sent.id and receipt.sender.uid == B
    assert [i.element_id for i in receipt.interactions] == ["dish", "submit"]


def test_the_sender_may_interact_only_when_allowed(connected):
    a, b = connected(A), connected(B)
    closed = a.send_interactive_message(InteractiveMessage(B, "user", "card", {"text": "x"}))
    with pytest.raises(CometChatException) as err:
        a.mark_as_interacted(closed.id, "ok")
    assert err.value.code == "ERR_MESSAGE_NO_ACCESS"
    heard = MessageRecorder()
    b.add_message_listener("m", heard)
    open_ = a.send_interactive_message(
        InteractiveMessage(B, "user", "card", {"text": "x"},
                           interaction_goal=InteractionGoal("anyAction"),
                           allow_sender_interaction=True))  # fmt: skip
    a.mark_as_interacted(open_.id, "ok")
    assert heard.log.wait_for_count("on_interaction_goal_completed", 1, WAIT)


def test_bad_interactive_input(connected):
    a = connected(A)
    with pytest.raises(CometChatException) as err:
        InteractionGoal("someOf", ("a",))
    assert err.value.code == "ERR_INVALID_PARAMETER"
    with pytest.raises(CometChatException) as err:
        a.mark_as_interacted(1, "")
    assert err.value.code == "MISSING_PARAMETERS"
    text = a.send_message(TextMessage(B, "plain"))
    with pytest.raises(CometChatException) as err:
        a.mark_as_interacted(text.id, "x")
    assert err.value.code == "ERR_BAD_REQUEST"
