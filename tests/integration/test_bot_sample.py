"""``samples/moderation_bot.py`` end to end, as a program: against this test's emulator
through the ``COMETCHAT_*`` variables (a user of our SDK talks to it: help, a ticket form and
its completion, a flagged word, a report file in the group; SIGTERM ends it cleanly), and on
its own, with the embedded emulator and demo, bounded by ``--run-for``."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import requests

from cometchat_sync import CometChatClient
from cometchat_sync import InteractiveMessage
from cometchat_sync import MediaMessage
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync import mention

SAMPLE = str(Path(__file__).resolve().parents[2] / "samples" / "moderation_bot.py")
BOT, USER = "moderation-bot", "superhero2"
WAIT = 10.0


class Inbox(MessageListener):
    """What the user hears, with a wait on it."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []
        self._cond = threading.Condition()

    def _add(self, item: Any) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def on_text_message_received(self, message: TextMessage) -> None:
        self._add(message)

    def on_interactive_message_received(self, message: InteractiveMessage) -> None:
        self._add(message)

    def on_media_message_received(self, message: MediaMessage) -> None:
        self._add(message)

    def next_from_bot(self, kind: type, after: int) -> Any:
        """The first message of ``kind`` from the bot at index ``after`` or later."""

        def find() -> Any:
            return next(
                (
                    m
                    for m in self.items[after:]
                    if isinstance(m, kind) and getattr(m, "sender_uid", None) == BOT
                ),
                None,
            )

        with self._cond:
            assert self._cond.wait_for(lambda: find() is not None, WAIT), self.items
            return find()


def test_the_bot_serves_an_app_named_by_the_environment(spawn, emulator_env, emulator, make_client):
    env = emulator_env(COMETCHAT_API_KEY=emulator.auth_key)
    bot = spawn(["python", SAMPLE, "--words", "darn,scam"], env=env)
    bot.expect(lambda line: "is serving" in line)
    assert emulator.wait_for_sockets(BOT, 1, WAIT)

    user: CometChatClient = make_client()
    inbox = Inbox()
    user.add_message_listener("inbox", inbox)
    user.login(USER, emulator.auth_key)
    user.wait_until_connected(WAIT)

    # one-to-one: everything is answered
    user.send_message(TextMessage(BOT, "hello?"))
    assert "ticket" in inbox.next_from_bot(TextMessage, 0).text
    mark = len(inbox.items)
    user.send_message(TextMessage(BOT, "I need a ticket"))
    form = inbox.next_from_bot(InteractiveMessage, mark)
    assert form.interaction_goal.element_ids == ("submit",)
    mark = len(inbox.items)
    user.mark_as_interacted(form.id, "submit")
    assert "ticket #1 is filed" in inbox.next_from_bot(TextMessage, mark).text
    bot.expect(lambda line: f"ticket #1 filed by {USER}" in line)

    # the report group: the bot made it; another device of the bot adds the user
    admin: CometChatClient = make_client(auto=False)
    admin.login(BOT, emulator.auth_key)
    assert admin.add_members_to_group("moderators", [USER]) == {USER: "success"}

    mark = len(inbox.items)
    flagged = user.send_message(TextMessage("moderators", "what a scam", "group"))
    assert "flagged" in inbox.next_from_bot(TextMessage, mark).text
    (flag,) = emulator.flagged()
    assert (int(flag["messageId"]), flag["uid"], flag["reasonId"]) == (
        flagged.id,
        BOT,  # who flagged it
        "inappropriate",
    )
    assert "scam" in flag["remark"]

    # in a group, only what mentions the bot is answered (in order: the reply to the
    # mention comes after whatever the first message would have caused)
    mark = len(inbox.items)
    user.send_message(TextMessage("moderators", "ticket", "group"))
    user.send_message(TextMessage("moderators", f"{mention(BOT)} report", "group"))
    report = inbox.next_from_bot(MediaMessage, mark)
    assert not [m for m in inbox.items[mark:] if isinstance(m, InteractiveMessage)]
    assert report.receiver_id == "moderators" and report.attachments
    csv_text = requests.get(report.attachments[0].url, timeout=WAIT).text
    assert csv_text.splitlines() == [
        "message_id,sender,conversation,word,text",
        f"{flagged.id},{USER},moderators,scam,what a scam",
    ]

    bot.signal(signal.SIGTERM)
    assert bot.wait(WAIT) == 0, bot.output()
    assert "[bot] stopped" in bot.output() and "Traceback" not in bot.output()
    assert emulator.wait_for_sockets(BOT, 0, WAIT)


def test_the_embedded_demo_runs_and_ends_on_its_own(spawn):
    bot = spawn(["python", SAMPLE, "--run-for", "1"], env=None)
    for step in ("ticket form", "ticket #1 filed by superhero1", "flagged message",
                 "report uploaded to moderators", "[bot] stopped"):  # fmt: skip
        bot.expect(lambda line, step=step: step in line)
    assert bot.wait(WAIT) == 0, bot.output()
    assert "Traceback" not in bot.output()
