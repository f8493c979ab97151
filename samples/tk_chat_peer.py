"""The other side of ``samples/tk_chat.py``: which service it talks to (the hosted one, or
an emulator started in this process), and a simulated user who answers every message.

Not run on its own: ``tk_chat.py`` imports it.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Iterator
from typing import Optional

from cometchat_sync import AppSettings
from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import MemorySessionStore
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync import TypingIndicator


@contextlib.contextmanager
def service() -> Iterator[tuple[str, AppSettingsBuilder, str, bool]]:
    """(app id, settings builder, auth key, is the emulator) of the hosted service or of an
    emulator started here."""
    app_id = os.environ.get("COMETCHAT_APP_ID")
    if app_id:
        builder = AppSettingsBuilder().set_region(os.environ.get("COMETCHAT_REGION", "eu"))
        yield (
            app_id,
            builder.set_session_store(MemorySessionStore(app_id)),
            os.environ["COMETCHAT_AUTH_KEY"],
            False,
        )
        return
    from cometchat_sync.testing import Emulator  # noqa: PLC0415 (optional extra)
    from cometchat_sync.testing import emulator_settings  # noqa: PLC0415 (optional extra)

    with Emulator() as emulator:
        yield emulator.app_id, emulator_settings(emulator), emulator.auth_key, True


class EchoBot:
    """A second user on its own client that answers every message (the emulator's default).

    Its listener only queues the message; one bot thread marks it read, types for a moment
    and answers, so the bot's dispatcher thread never waits.
    """

    def __init__(self, app_id: str, settings: AppSettings, auth_key: str, uid: str) -> None:
        self.client = CometChatClient(
            app_id,
            AppSettingsBuilder.from_settings(settings)
            .set_session_store(MemorySessionStore(app_id))
            .build(),
        )
        self._inbox: queue.Queue[Optional[TextMessage]] = queue.Queue()
        self._stop = threading.Event()
        self.client.add_message_listener(
            "bot", MessageListener(on_text_message_received=self._inbox.put)
        )
        self.client.login(uid, auth_key)
        self._thread = threading.Thread(target=self._run, name="tk-chat-bot", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            message = self._inbox.get()
            if message is None or message.receiver_type != "user":
                continue
            try:
                self.client.mark_as_delivered(message)
                self.client.mark_as_read(message)
                self.client.start_typing(TypingIndicator(message.sender_uid))
                if self._stop.wait(1.2):
                    return
                self.client.end_typing(TypingIndicator(message.sender_uid))
                reply = f"You said “{message.text}”. Tell me more!"
                self.client.send_message(TextMessage(message.sender_uid, reply))
            except CometChatException as exc:
                print(f"bot: {exc.code}")

    def close(self) -> None:
        self._stop.set()
        self._inbox.put(None)
        self._thread.join(2)
        self.client.close()
