"""Quickstart: log in, see the link come up, chat, use manual mode, log out.

Each step is printed with the listener events it caused right under it. With no
environment it runs against an emulator started in this process (no account, no network).
With ``COMETCHAT_APP_ID`` and ``COMETCHAT_AUTH_KEY`` set (and ``COMETCHAT_REGION``) it talks
to the hosted CometChat service instead. The session lives in a temporary folder that is
removed at the end; Ctrl-C ends it at any step, cleanly.

    python samples/quickstart.py
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Optional

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import AppState
from cometchat_sync import CometChatClient
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStateChange
from cometchat_sync import MemorySessionStore
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage

WAIT = 10.0  # seconds any expected event may take


class Events(ConnectionListener):
    """Listener events, handed to the main thread to print under the step that caused them.

    Listeners run on the SDK's dispatcher thread; printing from there would mix their lines
    with the steps' lines in whatever order the threads run. A queue keeps the order: the main
    thread prints a step, does it, then prints the events it caused.
    """

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[str] = queue.Queue()

    def put(self, text: str) -> None:
        self._queue.put(text)

    def on_state_change(self, change: ConnectionStateChange) -> None:
        if change.previous is change.current:  # the first call: the status as of now
            self.put(f"[connection] {change.current.value}")
            return
        reason = f" ({change.reason.value})" if change.reason else ""
        self.put(f"[connection] {change.previous.value} -> {change.current.value}{reason}")

    def on_text(self, message: TextMessage) -> None:
        self.put(f"[message] {message.sender_uid}: {message.text}")

    def show(self, until: Optional[str] = None) -> None:
        """Print the events so far; with ``until``, first wait (up to ``WAIT`` s) for the event
        that contains it."""
        deadline = time.monotonic() + WAIT
        waiting = until is not None
        while True:
            try:
                if waiting:
                    text = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                else:
                    text = self._queue.get_nowait()
            except queue.Empty:
                if waiting:
                    print(f"   (no {until!r} event within {WAIT:g} s)")
                return
            print(f"   {text}")
            if until is not None and until in text:
                waiting = False


def step(text: str) -> None:
    print(f"-> {text}", flush=True)


@contextlib.contextmanager
def service() -> Iterator[tuple[str, AppSettingsBuilder, str]]:
    """(app id, settings builder, auth key) of the hosted service or of a local emulator."""
    app_id = os.environ.get("COMETCHAT_APP_ID")
    if app_id:
        yield app_id, AppSettingsBuilder.from_env(), os.environ["COMETCHAT_AUTH_KEY"]
        return
    from cometchat_sync.testing import Emulator  # noqa: PLC0415 (optional extra)
    from cometchat_sync.testing import emulator_settings  # noqa: PLC0415 (optional extra)

    with Emulator() as emulator:
        step(f"started a local CometChat emulator at {emulator.client_host}")
        yield emulator.app_id, emulator_settings(emulator), emulator.auth_key


def auto_mode(app_id: str, builder: AppSettingsBuilder, auth_key: str) -> None:
    settings = builder.build()
    events = Events()
    with CometChatClient(app_id, settings) as client:
        step("adding a connection listener: it first hears the status as of now")
        client.add_connection_listener("printer", events)
        client.add_message_listener(
            "inbox", MessageListener(on_text_message_received=events.on_text)
        )
        events.show(until="[connection]")

        step("logging in superhero1 (auto mode: the socket opens on login)")
        user = client.login("superhero1", auth_key)
        print(f"   logged in: {user.name} ({user.uid})")
        events.show(until="-> connected")

        step("sending a message to superhero2 over REST")
        sent = client.send_message(TextMessage("superhero2", "Hello from cometchat_sync!"))
        print(f"   sent message #{sent.id} at {sent.sent_at}")
        events.show()

        step("superhero2 answers; the reply arrives over the socket")
        friend_settings = (
            AppSettingsBuilder.from_settings(settings)
            .set_session_store(MemorySessionStore(app_id))
            .auto_establish_socket_connection(False)
            .build()
        )
        with CometChatClient(app_id, friend_settings) as friend:
            friend.login("superhero2", auth_key)
            friend.send_message(TextMessage("superhero1", "Hi Iron Man, loud and clear."))
            friend.logout()
        events.show(until="[message]")

        step("the app goes to the background: auto mode drops the link at once")
        client.set_app_state(AppState.BACKGROUND)
        events.show(until="-> disconnected")

        step("back to the foreground: the link comes back")
        client.set_app_state(AppState.FOREGROUND)
        events.show(until="-> connected")

        step("logging out")
        client.logout()
        events.show(until="-> disconnected")


def manual_mode(app_id: str, builder: AppSettingsBuilder, auth_key: str) -> None:
    settings = (
        builder.auto_establish_socket_connection(False).set_background_ping_deadline(2).build()
    )
    events = Events()
    with CometChatClient(app_id, settings) as client:
        client.add_connection_listener("printer", events)
        step("manual mode: logging in does not open the socket")
        client.login("superhero1", auth_key)
        print(f"   status {client.get_connection_status()}")
        events.show(until="[connection]")

        step("connect() blocks until the server accepted the socket")
        client.connect()
        events.show(until="-> connected")
        print(f"   ping round trip: {client.ping() * 1000:.1f} ms")

        step("background: the link stays up while the app pings (deadline 2 s here)")
        client.set_app_state(AppState.BACKGROUND)
        client.ping()
        events.show()

        step("no more pings: the SDK drops the link when the deadline passes")
        events.show(until="-> disconnected")

        step("foreground again, then connect() restores the link")
        client.set_app_state(AppState.FOREGROUND)
        client.connect()
        events.show(until="-> connected")

        step("logging out")
        client.logout()
        events.show(until="-> disconnected")


def main() -> None:
    with contextlib.ExitStack() as stack:
        app_id, builder, auth_key = stack.enter_context(service())
        # A session file in a temporary folder, removed at the end with the tokens it holds.
        session_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="cometchat-qs-"))
        settings = builder.set_session_dir(session_dir).build()
        auto_mode(app_id, AppSettingsBuilder.from_settings(settings), auth_key)
        manual_mode(app_id, AppSettingsBuilder.from_settings(settings), auth_key)
    step("done")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C: every `with` above has closed what it opened
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
