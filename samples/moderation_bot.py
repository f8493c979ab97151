"""A moderation bot: answers when mentioned, files support tickets with an interactive form,
flags messages that match a word list, and uploads a report of what it flagged to a group.

It runs as a bot user. In a one-to-one chat it answers everything; in a group, only what
mentions it (``@bot``, i.e. ``mention("moderation-bot")`` in the text). It understands:

* ``ticket``: it posts a form (an interactive message); once the form is submitted (the
  form's goal is met) it says which ticket number it filed;
* ``report``: it uploads a CSV file of every message it flagged so far to the report group;
* anything else: a short help text.

Every text it sees (one-to-one, or in a group it is a member of) is checked against the word
list; a match is flagged for the dashboard's moderation queue (reason ``inappropriate`` when
the app has it) and answered with a warning.

With no environment it runs against a CometChat emulator started in this process and plays a
short demo (a user asks for a ticket, submits it, says a bad word, asks for the report), then
keeps serving. With ``COMETCHAT_APP_ID`` and ``COMETCHAT_AUTH_KEY`` set (and
``COMETCHAT_REGION``, or ``COMETCHAT_CLIENT_HOST``/``COMETCHAT_ADMIN_HOST``) it serves that
app as ``COMETCHAT_BOT_UID`` (default ``moderation-bot``; with ``COMETCHAT_API_KEY`` the bot
user is created when missing) and reports to ``COMETCHAT_REPORT_GROUP`` (default
``moderators``, created when missing). Ctrl-C or SIGTERM ends it cleanly; ``--run-for S``
ends it after S seconds.

    python samples/moderation_bot.py [--run-for SECONDS] [--words bad,worse]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from typing import Optional
from typing import TypeVar

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import Group
from cometchat_sync import InteractionGoal
from cometchat_sync import InteractionReceipt
from cometchat_sync import InteractiveMessage
from cometchat_sync import MediaMessage
from cometchat_sync import MemorySessionStore
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync import User
from cometchat_sync import mention

DEFAULT_WORDS = ("darn", "heck", "scam")
SUBMIT = "submit"  # the form's submit button: meeting the goal means "filed"
WAIT = 10.0
T = TypeVar("T")


@dataclass(frozen=True)
class Flagged:
    message_id: int
    sender: str
    conversation: str
    text: str
    word: str


class ModerationBot(MessageListener):
    """The bot's listener: every method runs on the SDK's dispatcher thread, one at a time,
    and makes its REST calls from there (allowed; later events wait meanwhile)."""

    def __init__(
        self, client: CometChatClient, bot_uid: str, report_group: str, words: tuple[str, ...]
    ) -> None:
        super().__init__()
        self.client = client
        self.bot_uid = bot_uid
        self.report_group = report_group
        self._words = re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.I)
        # The state below is read from other threads (the demo, a test): one lock, and a
        # condition on it that wakes whoever waits for the bot to act.
        self._lock = threading.Lock()
        self._acted = threading.Condition(self._lock)
        self.flagged: list[Flagged] = []
        self.forms: dict[int, str] = {}  # form message id -> the user it was made for
        self.tickets: list[tuple[int, str]] = []  # (ticket number, user)
        self._reason: Optional[str] = None

    # -- events ------------------------------------------------------------------------------

    def on_text_message_received(self, message: TextMessage) -> None:
        if message.sender_uid == self.bot_uid:
            return
        try:
            self._check_words(message)
            if message.receiver_type == "user" or message.has_mentioned_me:
                self._answer(message)
        except CometChatException as exc:  # one bad request must not stop the bot
            say(f"[bot] {exc.code} while handling message {message.id}")

    def on_interaction_goal_completed(self, receipt: InteractionReceipt) -> None:
        with self._lock:
            owner = self.forms.pop(receipt.message_id, None)
            if owner is None:
                return
            number = len(self.tickets) + 1
            self.tickets.append((number, receipt.sender.uid))
            self._acted.notify_all()
        say(f"[bot] ticket #{number} filed by {receipt.sender.uid}")
        self._reply_to(
            receipt.receiver_id if receipt.receiver_type == "group" else receipt.sender.uid,
            receipt.receiver_type,
            f"Thanks {receipt.sender.name or receipt.sender.uid}, ticket #{number} is filed.",
        )

    # -- what the bot does -------------------------------------------------------------------

    def _check_words(self, message: TextMessage) -> None:
        found = self._words.search(message.text or "")
        if found is None:
            return
        reason = self._flag_reason()
        self.client.flag_message(message.id, reason, f"matched the word list: {found[0]}")
        where = message.receiver_id if message.receiver_type == "group" else message.sender_uid
        with self._lock:
            self.flagged.append(
                Flagged(message.id, message.sender_uid, where, message.text, found[0].lower())
            )
            self._acted.notify_all()
        say(f"[bot] flagged message {message.id} from {message.sender_uid} ({reason})")
        self._reply_to(where, message.receiver_type, "That message was flagged for review.")

    def _flag_reason(self) -> str:
        if self._reason is None:
            ids = [r.id for r in self.client.get_flag_reasons()]
            self._reason = "inappropriate" if "inappropriate" in ids else (ids or ["other"])[0]
        return self._reason

    def _answer(self, message: TextMessage) -> None:
        text = (message.text or "").lower()
        where = message.receiver_id if message.receiver_type == "group" else message.sender_uid
        if "ticket" in text:
            self._send_form(where, message.receiver_type, message.sender_uid)
        elif "report" in text:
            self.upload_report()
            self._reply_to(where, message.receiver_type, f"Report uploaded to {self.report_group}.")
        else:
            self._reply_to(where, message.receiver_type, "Say 'ticket' or 'report'.")

    def _send_form(self, receiver: str, receiver_type: str, for_uid: str) -> None:
        form = InteractiveMessage(
            receiver,
            receiver_type,
            "form",
            {
                "title": "Support ticket",
                "formFields": [
                    {"elementType": "textInput", "elementId": "summary", "label": "Summary"}
                ],
                "submitElement": {
                    "elementType": "button",
                    "elementId": SUBMIT,
                    "buttonText": "File ticket",
                },
            },
            interaction_goal=InteractionGoal("anyOf", (SUBMIT,)),
        )
        sent = self.client.send_interactive_message(form)
        with self._lock:
            self.forms[sent.id] = for_uid
            self._acted.notify_all()
        say(f"[bot] ticket form {sent.id} sent to {receiver}")

    def wait(self, predicate: Callable[[ModerationBot], T], timeout: float = WAIT) -> T:
        """Wait until ``predicate(bot)`` is truthy (checked under the bot's lock each time it
        acts) and return it; ``TimeoutError`` after ``timeout`` seconds."""
        with self._acted:
            found = self._acted.wait_for(lambda: predicate(self), timeout)
        if not found:
            raise TimeoutError("the bot did not act in time")
        return found

    def report_csv(self) -> str:
        """Every flagged message so far, as CSV (a header line first)."""
        with self._lock:
            rows = list(self.flagged)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("message_id", "sender", "conversation", "word", "text"))
        for row in rows:
            writer.writerow((row.message_id, row.sender, row.conversation, row.word, row.text))
        return out.getvalue()

    def upload_report(self) -> None:
        with tempfile.TemporaryDirectory(prefix="moderation-report-") as folder:
            path = Path(folder) / f"moderation-report-{int(time.time())}.csv"
            path.write_text(self.report_csv(), encoding="utf-8")
            report = MediaMessage(self.report_group, path, "file", "group", caption="Report")
            sent = self.client.send_media_message(report)
        say(f"[bot] report uploaded to {self.report_group} as message {sent.id}")

    def _reply_to(self, receiver: str, receiver_type: str, text: str) -> None:
        self.client.send_message(TextMessage(receiver, text, receiver_type))


def say(line: str) -> None:
    print(line, flush=True)


# -- setting up ------------------------------------------------------------------------------


def ensure_bot(client: CometChatClient, bot_uid: str, api_key: Optional[str]) -> None:
    """Create the bot user with an API key (server-side code may hold one), unless it
    exists; without a key the user must exist already."""
    if not api_key:
        return
    try:
        client.create_user(User(bot_uid, "Moderation bot", role="bot"), api_key)
        say(f"[bot] created the user {bot_uid}")
    except CometChatException as exc:
        if exc.code != "ERR_UID_ALREADY_EXISTS":
            raise


def join_or_create(client: CometChatClient, guid: str) -> None:
    """The report group: joined, or created (the bot then owns it) when missing."""
    try:
        if not client.get_group(guid).has_joined:
            client.join_group(guid)
    except CometChatException as exc:
        if exc.code != "ERR_GUID_NOT_FOUND":
            raise
        client.create_group(Group(guid, "Moderators", "private"))


@contextlib.contextmanager
def service(environ: Mapping[str, str]) -> Iterator[tuple[AppSettingsBuilder, str, str]]:
    """(settings, app id, auth key): the app the environment names, or an emulator started
    here (stopped on exit) with the demo's users and group."""
    app_id = environ.get("COMETCHAT_APP_ID", "").strip()
    if app_id:
        yield AppSettingsBuilder.from_env(environ), app_id, environ.get("COMETCHAT_AUTH_KEY", "")
        return
    from cometchat_sync.testing import Emulator  # noqa: PLC0415 (only for the embedded run)
    from cometchat_sync.testing import emulator_settings  # noqa: PLC0415

    with Emulator() as emu:
        yield emulator_settings(emu), emu.app_id, emu.auth_key


def demo(bot: ModerationBot, settings: AppSettingsBuilder, app_id: str, auth_key: str) -> None:
    """A user talks to the bot: asks for a ticket, submits the form, says a bad word, asks
    for the report (in the embedded run only)."""
    user = CometChatClient(app_id, settings.set_session_store(MemorySessionStore(app_id)).build())
    with user:
        user.login("superhero1", auth_key)
        bot.client.add_members_to_group(bot.report_group, ["superhero1"])
        user.send_message(TextMessage(bot.bot_uid, "I need a ticket please"))
        form_id = bot.wait(lambda b: next(iter(b.forms), 0))
        user.mark_as_interacted(form_id, SUBMIT)
        bot.wait(lambda b: b.tickets)
        user.send_message(TextMessage(bot.report_group, "this is a scam", "group"))
        bot.wait(lambda b: b.flagged)
        user.send_message(TextMessage(bot.report_group, f"{mention(bot.bot_uid)} report", "group"))


def main(argv: Optional[list[str]] = None, environ: Optional[Mapping[str, str]] = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--run-for", type=float, default=None, help="seconds, then stop")
    args.add_argument("--words", default=",".join(DEFAULT_WORDS), help="comma-separated")
    options = args.parse_args(argv)
    env = os.environ if environ is None else environ
    bot_uid = env.get("COMETCHAT_BOT_UID", "moderation-bot").strip().lower()
    group = env.get("COMETCHAT_REPORT_GROUP", "moderators").strip().lower()
    words = tuple(w.strip() for w in options.words.split(",") if w.strip())
    embedded = not env.get("COMETCHAT_APP_ID", "").strip()
    with service(env) as (settings, app_id, auth_key):
        store = MemorySessionStore(app_id)
        client = CometChatClient(app_id, settings.set_session_store(store).build())
        with client:
            # The emulator takes its Auth Key as the API key too; the hosted service does not.
            api_key = auth_key if embedded else env.get("COMETCHAT_API_KEY", "")
            ensure_bot(client, bot_uid, api_key or None)
            bot = ModerationBot(client, bot_uid, group, words)
            client.add_message_listener("moderation-bot", bot)
            client.login(bot_uid, auth_key)
            join_or_create(client, group)
            say(f"[bot] {bot_uid} is serving (report group {group}); Ctrl-C ends it")
            if embedded:
                demo(bot, settings, app_id, auth_key)
            client.run_forever(timeout=options.run_for)
    say("[bot] stopped")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # SIGTERM before the bot serves ends it as Ctrl-C does; once it serves, run_forever()
    # handles both (and puts this handler back when it returns).
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("[bot] stopped")
        sys.exit(130)
