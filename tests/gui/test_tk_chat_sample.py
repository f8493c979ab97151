"""``samples/tk_chat.py``, driven in-process under Xvfb: the window opens, shows another
client's messages, presence, typing and read ticks, its status bar follows a cut and a
reconnect, hiding the window puts the app in the background, and closing it leaves no
thread behind."""

from __future__ import annotations

import importlib.util
import os
import selectors
import signal
import subprocess
import sys
import threading
import tkinter
from collections.abc import Iterator
from pathlib import Path
from tkinter import ttk
from types import ModuleType
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import AppState
from cometchat_sync import CometChatClient
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync import TypingIndicator
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy

A, B = "superhero1", "superhero2"
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "tk_chat.py"
Pump = Callable[..., bool]
MakeClient = Callable[..., CometChatClient]
PRESENCE = {"subscribe_presence_for_all_users": ()}


@pytest.fixture(scope="module")
def tk_chat() -> Iterator[ModuleType]:
    """The sample, imported as a module (it runs nothing on import), with its sibling
    ``tk_chat_peer`` importable as when the script runs."""
    spec = importlib.util.spec_from_file_location("tk_chat_sample", SAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, str(SAMPLE.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SAMPLE.parent))
    yield module
    del sys.modules[spec.name]
    sys.modules.pop("tk_chat_peer", None)


def open_window(
    tk_chat: ModuleType, root: tkinter.Tk, client: CometChatClient, emulator: Emulator
) -> Any:
    """Log ``client`` in as superhero1 and build the sample's window over it."""
    client.login(A, emulator.auth_key)
    return tk_chat.ChatWindow(root, client, tk_chat.DEFAULT_USERS)


def shown(window: Any) -> list[str]:
    """The texts of the messages the open conversation shows, top to bottom."""
    return [str(text.cget("text")) for text, _ in window.shown]


def contact(window: Any, uid: str) -> str:
    """How the list on the left shows ``uid`` (name and unread badge); "" if it is not there."""
    return str(window.people.item(uid, "text")) if window.people.exists(uid) else ""


def ticks(window: Any) -> list[tuple[str, str]]:
    """The ticks of the own messages shown, and their colour."""
    return [(str(t.cget("text")), str(t.cget("foreground"))) for _, t in window.shown if t]


def status(window: Any) -> tuple[str, str]:
    """The status bar as a person sees it: its text and its colour."""
    return str(window.status.cget("text")), str(window.status.cget("foreground"))


def test_the_window_shows_another_users_presence_typing_messages_and_read_ticks(
    tk_chat: ModuleType,
    root: tkinter.Tk,
    pump: Pump,
    make_client: MakeClient,
    emulator: Emulator,
) -> None:
    window = open_window(tk_chat, root, make_client(**PRESENCE), emulator)
    assert root.title() == "CometChat — Iron Man"
    assert pump(root, lambda: status(window) == ("●  Connected", "#2e7d32"))
    assert pump(root, lambda: window.names[B] == "Captain America")  # loaded off the Tk thread
    assert window.peer == B and window.online.get(B) is False

    other = make_client(**PRESENCE)
    heard: list[Any] = []
    other.add_message_listener(
        "other",
        MessageListener(on_text_message_received=heard.append, on_messages_read=heard.append),
    )
    other.login(B, emulator.auth_key)
    assert pump(root, lambda: window.online.get(B) is True)
    assert str(window.people.item(B, "image")[0]) == str(window.dots[True])
    assert str(window.subtitle.cget("text")) == "online"

    other.start_typing(TypingIndicator(A))
    assert pump(root, lambda: window.typing.cget("text") == "Captain America is typing…")
    other.send_message(TextMessage(A, "Hello from the other side"))
    assert pump(root, lambda: shown(window) == ["Hello from the other side"])
    assert window.typing.cget("text") == ""
    # The open conversation marks what it shows as read.
    assert pump(root, lambda: any(getattr(h, "receipt_type", "") == "read" for h in heard))

    window.entry.insert(0, "Hi Cap!")
    window.send()
    assert window.entry.get() == ""
    assert pump(root, lambda: shown(window) == ["Hello from the other side", "Hi Cap!"])
    assert pump(root, lambda: any(getattr(h, "text", "") == "Hi Cap!" for h in heard))
    assert ticks(window) in ([("✓", "#8696a0")], [("✓✓", "#8696a0")])  # sent or delivered
    mine = next(h for h in heard if getattr(h, "text", "") == "Hi Cap!")
    other.mark_as_read(mine)
    assert pump(root, lambda: ticks(window) == [("✓✓", "#34b7f1")])  # read: blue
    other.close()


def test_a_read_receipt_that_beats_the_sends_answer_still_shows(
    tk_chat: ModuleType, root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    window = open_window(tk_chat, root, client, emulator)
    reads: list[Any] = []
    client.add_message_listener("reads", MessageListener(on_messages_read=reads.append))
    other = make_client(auto=False)
    other.login(B, emulator.auth_key)
    other.connect()
    # The send's REST answer is slow: the other side reads the message, and its receipt
    # reaches the window, before the window learns the message's id.
    message = client.send_message(TextMessage(B, "quick question"))
    other.mark_as_read(message)
    assert pump(root, lambda: [r.message_id for r in reads] == [message.id])
    window._add(B, message)  # what the worker hands back once the answer came
    assert shown(window) == ["quick question"]
    assert ticks(window) == [("✓✓", "#34b7f1")]


def test_contacts_unread_counts_and_history_come_from_the_server(
    tk_chat: ModuleType, root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    emulator.send_message("superhero3", A, "sent while you were away")
    client = make_client()
    client.login(A, emulator.auth_key)
    window = tk_chat.ChatWindow(root, client)  # no contacts given: everyone on the server
    others = ["superhero2", "superhero3", "superhero4", "superhero5"]
    assert pump(root, lambda: window.people.get_children() == tuple(others))
    assert window.peer == B and shown(window) == []
    assert pump(root, lambda: contact(window, "superhero3") == "  Spiderman   (1 new)")
    emulator.send_message("superhero3", A, "and one more")
    assert pump(root, lambda: contact(window, "superhero3") == "  Spiderman   (2 new)")
    window.people.selection_set("superhero3")  # a click on the contact
    want = ["sent while you were away", "and one more"]
    assert pump(root, lambda: shown(window) == want)
    assert contact(window, "superhero3") == "  Spiderman"
    emulator.create_user("newbie", "New Hero")
    emulator.send_message("newbie", A, "hello?")  # someone not in the list yet
    assert pump(root, lambda: contact(window, "newbie") == "  New Hero   (1 new)")


def test_the_status_bar_follows_a_cut_and_a_reconnect(
    tk_chat: ModuleType, root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    with FaultProxy("127.0.0.1", emulator.ws_port) as proxy:
        emulator.advertise_ws(proxy.host, proxy.port)
        window = open_window(tk_chat, root, make_client(), emulator)
        assert pump(root, lambda: status(window) == ("●  Connected", "#2e7d32"))
        proxy.refuse()  # the network goes away...
        proxy.cut()  # ...and takes the live link with it
        assert pump(root, lambda: status(window)[0] in ("●  Disconnected", "●  Connecting"))
        assert status(window)[1] in ("#c62828", "#ef6c00")
        assert pump(root, lambda: "disconnected" in window.status_history[1:])
        proxy.pass_through()
        assert pump(root, lambda: status(window) == ("●  Connected", "#2e7d32"))
        after_cut = window.status_history[window.status_history.index("disconnected") :]
        assert after_cut[-2:] == ["connecting", "connected"]
        window.quit()


def test_hiding_the_window_puts_the_app_in_the_background(
    tk_chat: ModuleType,
    root: tkinter.Tk,
    pump: Pump,
    make_client: MakeClient,
    emulator: Emulator,
    display: Any,
) -> None:
    client = make_client()
    window = open_window(tk_chat, root, client, emulator)
    assert pump(root, lambda: root.winfo_ismapped() and status(window)[0] == "●  Connected")
    hide = root.iconify if display.has_window_manager else root.withdraw
    hide()
    assert pump(root, lambda: client.app_state is AppState.BACKGROUND)
    assert pump(root, lambda: status(window)[0] == "●  Disconnected")  # auto mode
    root.deiconify()
    assert pump(root, lambda: client.app_state is AppState.FOREGROUND)
    assert pump(root, lambda: status(window)[0] == "●  Connected")


def test_closing_the_window_closes_the_client_and_leaves_no_thread(
    tk_chat: ModuleType, root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    window = open_window(tk_chat, root, client, emulator)
    assert pump(root, lambda: status(window)[0] == "●  Connected")
    before = {t for t in threading.enumerate() if t.name.startswith("tk-chat-io")}
    assert before  # the worker that loaded the contacts
    root.tk.eval(root.protocol("WM_DELETE_WINDOW"))  # the window manager's close button
    with pytest.raises(tkinter.TclError):
        root.winfo_exists()
    assert not window.bridge.attached
    assert client.threads() == []
    assert client.get_connection_status() == "disconnected"
    for thread in before:
        thread.join(5)
        assert not thread.is_alive()


def test_the_echo_bot_answers_and_reads(
    tk_chat: ModuleType,
    root: tkinter.Tk,
    pump: Pump,
    make_client: MakeClient,
    emulator: Emulator,
    settings_for: Callable[..., Any],
) -> None:
    window = open_window(tk_chat, root, make_client(**PRESENCE), emulator)
    bot = tk_chat.EchoBot(emulator.app_id, settings_for(emulator).build(), emulator.auth_key, B)
    try:
        assert pump(root, lambda: window.online.get(B) is True)
        window.entry.insert(0, "Are you there?")
        window.send()
        assert pump(root, lambda: window.typing.cget("text") == "Captain America is typing…")
        assert pump(root, lambda: "You said “Are you there?”. Tell me more!" in shown(window))
        assert pump(root, lambda: ticks(window) == [("✓✓", "#34b7f1")])  # the bot read it
    finally:
        bot.close()
    assert bot.client.threads() == []


def widgets(parent: tkinter.Misc) -> list[tkinter.Misc]:
    """Every widget below ``parent``."""
    found: list[tkinter.Misc] = []
    for child in parent.winfo_children():
        found += [child, *widgets(child)]
    return found


@pytest.mark.parametrize("choice", ["superhero2", None])
def test_the_sign_in_dialog_returns_the_chosen_user_or_none(
    tk_chat: ModuleType, root: tkinter.Tk, choice: Any
) -> None:
    def answer() -> None:  # what a person does in the dialog
        dialog = next(w for w in widgets(root) if isinstance(w, tkinter.Toplevel))
        if choice is None:
            dialog.destroy()  # closed without signing in
            return
        box = next(w for w in widgets(dialog) if isinstance(w, ttk.Combobox))
        box.set(choice)
        next(w for w in widgets(dialog) if isinstance(w, ttk.Button)).invoke()

    root.after(50, answer)
    assert tk_chat.ask_uid(root, tk_chat.DEFAULT_USERS) == choice
    assert root.wm_state() == "normal"  # the main window is shown again


def test_the_script_runs_with_its_bot_and_exits_cleanly_when_the_window_closes(
    display: Any,
) -> None:
    command = [sys.executable, str(SAMPLE), "--uid", "superhero1", "--close-after", "1"]
    env = {**os.environ, "DISPLAY": display.name}
    for name in ("COMETCHAT_APP_ID", "COMETCHAT_REGION", "COMETCHAT_AUTH_KEY"):
        env.pop(name, None)  # the embedded emulator, whatever the machine has set
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Tcl_AsyncDelete" not in done.stderr


def test_ctrl_c_in_the_terminal_closes_the_window_cleanly(display: Any) -> None:
    command = [sys.executable, str(SAMPLE), "--uid", "superhero1", "--no-bot"]
    env = {**os.environ, "DISPLAY": display.name}
    for name in ("COMETCHAT_APP_ID", "COMETCHAT_REGION", "COMETCHAT_AUTH_KEY"):
        env.pop(name, None)
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:  # wait (bounded) for "Signed in as ..."
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=30), "the window never came up"
        assert proc.stdout.readline().startswith("Signed in as superhero1")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
