"""``client.run_forever()``: a script's "listen until Ctrl-C" in one call. It returns after
``close()`` or ``logout()`` from any thread, on SIGINT or SIGTERM (closing the client, with
no traceback), or after its timeout. Signals are tested in subprocesses."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cometchat_sync import CometChatException
from cometchat_sync import MessageListener
from cometchat_sync import NotLoggedInError

UID = "superhero1"
WAIT = 5.0
REPO = Path(__file__).resolve().parents[2]

LISTENER = """
import os, signal, sys, threading, time
from cometchat_sync import AppSettingsBuilder, CometChatClient, MemorySessionStore

app_id = os.environ["COMETCHAT_APP_ID"]
settings = AppSettingsBuilder.from_env().set_session_store(MemorySessionStore(app_id)).build()
client = CometChatClient(app_id, settings)
client.login("superhero1", os.environ["COMETCHAT_AUTH_KEY"])
client.wait_until_connected(5)


def say_ready():  # once the main thread waits inside run_forever, not before
    main = threading.main_thread()
    while True:
        frame = sys._current_frames().get(main.ident)
        names = []
        while frame is not None:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
        if "run_forever" in names and "wait_past" in names:
            print("READY", flush=True)
            return
        time.sleep(0.01)


threading.Thread(target=say_ready, daemon=True).start()
client.run_forever()
print(
    "RETURNED",
    signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
    len(client.threads()),
    client.get_connection_status().value,
    flush=True,
)
"""


def in_run_forever(thread: threading.Thread) -> bool:
    """Whether ``thread`` is inside ``run_forever`` right now."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "run_forever":
            return True
        frame = frame.f_back
    return False


def when_running(target: Any) -> threading.Thread:
    """A thread that waits (bounded) until the main thread is in ``run_forever``, then runs
    ``target``."""
    main = threading.current_thread()

    def run() -> None:
        deadline = time.monotonic() + WAIT
        while not in_run_forever(main) and time.monotonic() < deadline:
            time.sleep(0.01)
        target()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_ends_run_forever_cleanly(spawn, emulator, emulator_env, tmp_path, signum):
    script = tmp_path / "listen.py"
    script.write_text(textwrap.dedent(LISTENER))
    proc = spawn(["python", str(script)], env=emulator_env())
    proc.expect(lambda line: line == "READY")
    assert emulator.socket_count(UID) == 1
    proc.signal(signum)
    returned = proc.expect(lambda line: line.startswith("RETURNED"))
    # The old SIGTERM handler is back, the client closed: no thread, no link.
    assert returned == "RETURNED True 0 disconnected", proc.output()
    assert proc.wait(WAIT) == 0, proc.output()
    assert "Traceback" not in "".join(proc.err), proc.output()
    assert emulator.wait_for_sockets(UID, 0, WAIT)


def test_close_from_another_thread_ends_run_forever(make_client, emulator):
    client = make_client()
    client.login(UID, emulator.auth_key)
    closer = when_running(client.close)
    started = time.monotonic()
    client.run_forever(timeout=30)
    closer.join(WAIT)
    assert time.monotonic() - started < 10
    assert client.threads() == []


def test_logout_inside_a_listener_ends_run_forever(make_client, emulator):
    client = make_client()
    client.login(UID, emulator.auth_key)
    client.wait_until_connected(WAIT)
    client.add_message_listener(
        "bye", MessageListener(on_text_message_received=lambda _m: client.logout())
    )
    sender = when_running(lambda: emulator.send_message("superhero2", UID, "bye"))
    started = time.monotonic()
    client.run_forever(timeout=30)
    sender.join(WAIT)
    assert time.monotonic() - started < 10
    assert client.get_logged_in_user() is None


def test_the_timeout_returns_and_leaves_the_client_running(make_client, emulator):
    client = make_client()
    client.login(UID, emulator.auth_key)
    client.run_forever(timeout=0.3)  # also opens the link, if down (auto mode)
    client.wait_until_connected(WAIT)
    assert client.get_connection_status() == "connected"


def test_run_forever_without_a_user_or_with_a_bad_timeout_raises(make_client):
    client = make_client()
    with pytest.raises(NotLoggedInError):
        client.run_forever(timeout=0.1)
    with pytest.raises(CometChatException) as info:
        client.run_forever(timeout=float("nan"))
    assert info.value.code == "ERR_INVALID_PARAMETER"


def test_the_keepalive_sample_ends_on_ctrl_c_without_a_traceback(spawn):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMETCHAT_")}
    sample = str(REPO / "samples" / "manual_mode_keepalive.py")
    argv = ["python", sample, "--interval", "0.3", "--deadline", "1", "--duration", "60"]
    proc = spawn(argv, env={**env, "PYTHONUNBUFFERED": "1"})
    proc.expect(lambda line: line.startswith("ping ok"))
    proc.signal(signal.SIGINT)
    assert proc.wait(WAIT * 2) == 0, proc.output()
    assert "Traceback" not in "".join(proc.err), proc.output()
