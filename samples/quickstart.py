"""Quickstart: log in, see the link come up, chat, use manual mode, log out.

With no environment it runs against an emulator started in this process (no account, no
network). With ``COMETCHAT_APP_ID``, ``COMETCHAT_REGION`` and ``COMETCHAT_AUTH_KEY`` set it
talks to the hosted CometChat service instead (or to the hosts in ``COMETCHAT_CLIENT_HOST`` and
``COMETCHAT_ADMIN_HOST``: ``AppSettingsBuilder.from_env()`` reads them).

    python samples/quickstart.py
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import AppState
from cometchat_sync import CometChatClient
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStateChange
from cometchat_sync import MemorySessionStore
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage


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


class Printer(ConnectionListener):
    def on_state_change(self, change: ConnectionStateChange) -> None:
        if change.previous is change.current:  # a new listener's first call: the status now
            print(f"   [connection] {change.current.value}")
            return
        reason = f" ({change.reason.value})" if change.reason else ""
        print(f"   [connection] {change.previous.value} -> {change.current.value}{reason}")


def main() -> None:
    with service() as (app_id, builder, auth_key):
        session_dir = tempfile.mkdtemp(prefix="cometchat-quickstart-")
        settings = builder.set_session_dir(session_dir).build()

        # -- auto mode (the default) -------------------------------------------------------
        with CometChatClient(app_id, settings) as client:
            client.add_connection_listener("printer", Printer())
            received = threading.Event()

            def on_text(message: TextMessage) -> None:
                print(f"   [message] {message.sender_uid}: {message.text}")
                received.set()

            inbox = MessageListener(on_text_message_received=on_text)
            client.add_message_listener("inbox", inbox)

            step("logging in superhero1 (auto mode: the socket opens on login)")
            user = client.login("superhero1", auth_key)
            status = client.get_connection_status()
            print(f"   logged in: {user.name} ({user.uid}); status {status}")

            step("sending a message to superhero2 over REST")
            sent = client.send_message(TextMessage("superhero2", "Hello from cometchat_sync!"))
            print(f"   sent message #{sent.id} at {sent.sent_at}")

            step("superhero2 answers; the reply arrives over the socket")
            with CometChatClient(
                app_id,
                AppSettingsBuilder.from_settings(settings)
                .set_session_store(MemorySessionStore(app_id))
                .auto_establish_socket_connection(False)
                .build(),
            ) as friend:
                friend.login("superhero2", auth_key)
                friend.send_message(TextMessage("superhero1", "Hi Iron Man, loud and clear."))
                friend.logout()
            if not received.wait(10):
                print("   (no reply within 10 s)")

            step("the app goes to the background: auto mode drops the link at once")
            client.set_app_state(AppState.BACKGROUND)
            step("back to the foreground: the link comes back")
            client.set_app_state(AppState.FOREGROUND)
            client.wait_until_connected(10)

            step("logging out")
            client.logout()

        # -- manual mode -----------------------------------------------------------------
        manual = (
            AppSettingsBuilder.from_settings(settings)
            .auto_establish_socket_connection(False)
            .set_background_ping_deadline(2)
            .build()
        )
        with CometChatClient(app_id, manual) as client:
            client.add_connection_listener("printer", Printer())
            step("manual mode: logging in does not open the socket")
            client.login("superhero1", auth_key)
            print(f"   status {client.get_connection_status()}")
            step("connect() blocks until the server accepted the socket")
            client.connect()
            print(f"   ping round trip: {client.ping() * 1000:.1f} ms")
            step("background: the link stays up while the app pings (deadline 2 s here)")
            client.set_app_state(AppState.BACKGROUND)
            client.ping()
            step("no more pings: the SDK drops the link when the deadline passes")
            client.wait_until_disconnected(10)
            step("foreground again, then connect() restores the link")
            client.set_app_state(AppState.FOREGROUND)
            client.connect()
            print(f"   status {client.get_connection_status()}")
            step("logging out")
            client.logout()
        step("done")


if __name__ == "__main__":
    main()
