"""Several clients (threads, processes) of one app sharing one session folder, and a session
folder outliving the server it was made for.

A client revokes or clears only a session it logged in itself (or deliberately resumed with
``login()`` of the same user, or ends with ``logout()``); a session stored for another server
is never used against this one.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync.testing import Emulator
from cometchat_sync.testing.listeners import MessageRecorder

MakeClient = Callable[..., CometChatClient]


@pytest.fixture
def on_folder(
    emulator: Emulator, tmp_path: Path, settings_for: Callable[..., Any], closing: Any
) -> MakeClient:
    """``on_folder(**overrides)``: a manual-mode client of the emulator whose sessions live
    in one shared folder (a ``FileSessionStore``), as every worker of an app would."""

    def make(emu: Emulator = emulator, **overrides: Any) -> CometChatClient:
        overrides.setdefault("auto", False)
        settings = settings_for(emu, set_session_dir=str(tmp_path), **overrides).build()
        client: CometChatClient = closing(CometChatClient(emu.app_id, settings))
        return client

    return make


def works(client: CometChatClient) -> bool:
    """True when the client's auth token is still accepted by the server."""
    return client.get_user("superhero3").uid == "superhero3"


def stored_uid(on_folder: MakeClient) -> object:
    """The user a new client of the folder finds logged in."""
    user = on_folder().get_logged_in_user()
    return None if user is None else user.uid


def test_logout_clears_its_own_stored_session(emulator: Emulator, on_folder: MakeClient) -> None:
    a = on_folder()
    a.login("superhero1", emulator.auth_key)

    a.logout()

    assert stored_uid(on_folder) is None


def test_another_user_logging_in_neither_revokes_nor_clears_the_first(
    emulator: Emulator, on_folder: MakeClient
) -> None:
    a = on_folder()
    a.login("superhero1", emulator.auth_key)
    b = on_folder()

    b.login("superhero2", emulator.auth_key)  # B first found A's session in the folder

    assert works(a)  # A's token was not revoked on the server
    a.logout()
    assert stored_uid(on_folder) == "superhero2"  # B's session stays stored
    assert works(b)


SUBPROCESS_LOGIN = textwrap.dedent(
    """
    import sys
    from cometchat_sync import AppSettingsBuilder, CometChatClient

    url, folder, app_id, auth_key = sys.argv[1:5]
    settings = (
        AppSettingsBuilder()
        .override_client_host(url)
        .override_admin_host(url)
        .set_session_dir(folder)
        .auto_establish_socket_connection(False)
        .set_request_timeout(10)
        .build()
    )
    with CometChatClient(app_id, settings) as client:
        print(client.login("superhero2", auth_key).uid)
    """
)


def test_a_process_logging_in_as_another_user_leaves_this_one_alone(
    emulator: Emulator, on_folder: MakeClient, tmp_path: Path
) -> None:
    a = on_folder()
    a.login("superhero1", emulator.auth_key)

    args = [emulator.client_host, str(tmp_path), emulator.app_id, emulator.auth_key]
    done = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_LOGIN, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "superhero2"
    assert works(a)
    a.logout()  # A revokes its own token only, and leaves the other process's session
    assert stored_uid(on_folder) == "superhero2"
    assert works(on_folder())


def test_a_session_of_another_server_is_not_used(
    emulator: Emulator, on_folder: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    first = on_folder()
    first.login("superhero1", emulator.auth_key)
    first.close()
    emulator.stop()
    with Emulator(app_id=emulator.app_id, auth_key=emulator.auth_key) as second_server:
        caplog.set_level(logging.INFO, logger="cometchat_sync")
        client = on_folder(second_server, auto=True)
        recorder = MessageRecorder()
        client.add_message_listener("rec", recorder)

        client.login("superhero1", second_server.auth_key)  # a real login, on this server
        assert second_server.wait_for_sockets("superhero1", 1)
        second_server.send_message("superhero2", "superhero1", "hello from the new server")

        assert recorder.log.wait_for_count("on_text_message_received", 1, timeout=5)
        assert recorder.texts() == ["hello from the new server"]
    ignored = [r for r in caplog.records if "another server" in r.getMessage()]
    assert len(ignored) == 1
    assert ignored[0].levelno == logging.INFO
