"""``cometchat_sync.integrations.tk.attach``: listener calls run on the Tk thread through a
queue (also before ``mainloop()``), no SDK thread ever calls Tk, logout and close from a Tk
handler return at once, the window's map state is the app state, closing the window
closes the client."""

from __future__ import annotations

import functools
import gc
import threading
import time
import tkinter
import weakref
from tkinter import ttk
from typing import Any
from typing import Callable
from typing import Optional

import pytest

from cometchat_sync import AppState
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStateChange
from cometchat_sync import LoginListener
from cometchat_sync import MessageListener
from cometchat_sync.integrations.tk import TkBridge
from cometchat_sync.integrations.tk import attach
from cometchat_sync.testing import Emulator

A, B = "superhero1", "superhero2"
WAIT = 5.0
Pump = Callable[..., bool]
MakeClient = Callable[..., CometChatClient]


class Seen:
    """What the listeners heard, and on which thread each call ran."""

    def __init__(self, client: CometChatClient) -> None:
        self.calls: list[tuple[str, Any, threading.Thread]] = []
        note = self._note
        client.add_message_listener(
            "seen", MessageListener(on_text_message_received=lambda m: note("text", m.text))
        )
        client.add_connection_listener(
            "seen",
            ConnectionListener(on_state_change=lambda c: note("status", c.current.value)),
        )
        client.add_login_listener(
            "seen", LoginListener(on_logout_success=lambda: note("logout", None))
        )

    def _note(self, kind: str, value: Any) -> None:
        self.calls.append((kind, value, threading.current_thread()))

    def of(self, kind: str) -> list[Any]:
        return [value for k, value, _ in self.calls if k == kind]

    def threads(self) -> set[str]:
        return {thread.name for _, _, thread in self.calls}


class RecordingTk:
    """Stands in for ``root.tk`` (the Tcl interpreter every widget calls through) and
    records which threads called it."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.callers: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.callers.add(threading.current_thread().name)
            return attribute(*args, **kwargs)

        return call


class Handed:
    """One listener call handed to the bridge: the handing thread and the listener method."""

    def __init__(self, thread: str, method: str) -> None:
        self.thread, self.method = thread, method


def method_of(call: Callable[[], None]) -> str:
    """The listener method a handed call will call (``on_...``), read from the call's
    closure; "" if it names none."""
    for cell in call.__closure__ or ():
        value = cell.cell_contents
        if isinstance(value, str) and value.startswith("on_"):
            return value
    return ""


def spy_on_executor(client: CometChatClient, monkeypatch: pytest.MonkeyPatch) -> list[Handed]:
    """Record, through the public setter, each listener call handed to the executor that
    ``attach`` installs."""
    handed: list[Handed] = []
    real = client.set_callback_executor

    def spy(executor: Optional[Callable[[Callable[[], None]], None]]) -> None:
        if executor is None:
            real(None)
            return
        inner = executor

        def recorded(call: Callable[[], None]) -> None:
            inner(call)
            handed.append(Handed(threading.current_thread().name, method_of(call)))

        real(recorded)

    monkeypatch.setattr(client, "set_callback_executor", spy)
    return handed


def wait_until(predicate: Callable[[], object], timeout: float = WAIT) -> bool:
    """Wait without running Tk (the SDK threads go on by themselves)."""
    event = threading.Event()
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        event.wait(0.01)
    return True


def test_listener_calls_before_mainloop_wait_then_run_on_the_tk_thread(
    root: tkinter.Tk,
    pump: Pump,
    make_client: MakeClient,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client()
    handed = spy_on_executor(client, monkeypatch)
    attach(client, root)
    seen = Seen(client)
    client.login(A, emulator.auth_key)
    for n in range(3):
        emulator.send_message(B, A, f"early {n}")
    # Tk has not run at all: the calls are handed over by the dispatcher, at once, and wait.
    texts = "on_text_message_received"
    assert wait_until(lambda: [h.method for h in handed].count(texts) == 3)
    assert seen.calls == []
    assert all(h.thread.startswith("cometchat-dispatch-") for h in handed)
    # The Tk thread is busy elsewhere (here: waiting), for any time: nothing is lost.
    emulator.send_message(B, A, "while busy")
    assert wait_until(lambda: [h.method for h in handed].count(texts) == 4)
    assert seen.calls == []
    assert pump(root, lambda: len(seen.of("text")) == 4)
    assert seen.of("text") == ["early 0", "early 1", "early 2", "while busy"]
    assert seen.threads() == {threading.current_thread().name}
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_no_sdk_thread_ever_calls_tk(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    tk = RecordingTk(root.tk)
    vars(root)["tk"] = tk  # every later Tcl call of the window goes through the recorder
    client = make_client()
    attach(client, root)
    seen = Seen(client)
    client.login(A, emulator.auth_key)
    assert pump(root, lambda: "connected" in seen.of("status"))
    emulator.send_message(B, A, "one")
    emulator.close_sockets(A)  # the server drops the link; the client reconnects
    assert pump(root, lambda: seen.of("status").count("connected") == 2)
    emulator.send_message(B, A, "two")
    root.withdraw()
    assert pump(root, lambda: client.app_state is AppState.BACKGROUND)
    root.deiconify()
    assert pump(root, lambda: seen.of("status").count("connected") == 3)
    client.logout()
    assert pump(root, lambda: not client.threads())
    pump(root, lambda: False, 0.1)  # whatever the SDK still delivers after the logout
    assert seen.of("text") == ["one", "two"]
    assert tk.callers == {threading.current_thread().name}
    assert seen.threads() == {threading.current_thread().name}


def run_in_mainloop(
    root: tkinter.Tk, handler: Callable[[], None], done: Callable[[], bool]
) -> None:
    """Run ``handler`` from Tk's real main loop, then leave the loop once ``done()`` (or
    after 10 s)."""

    def finish_when_done() -> None:
        if done():
            root.quit()
        else:
            root.after(10, finish_when_done)

    def first() -> None:
        handler()
        finish_when_done()

    root.after(0, first)
    safety = root.after(10_000, root.quit)
    root.mainloop()
    root.after_cancel(safety)


def test_logout_from_a_tk_handler_returns_at_once_and_leaves_no_thread(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    attach(client, root)
    seen = Seen(client)
    client.login(A, emulator.auth_key)  # auto mode: returns once connected
    took: list[float] = []

    def log_out() -> None:  # a "Log out" button's command
        started = time.monotonic()
        client.logout()
        took.append(time.monotonic() - started)

    run_in_mainloop(root, log_out, lambda: not client.threads())
    assert took and took[0] < 0.5, took  # it froze the window for a second before
    assert client.threads() == []
    assert client.get_logged_in_user() is None
    pump(root, lambda: False, 0.1)  # whatever the SDK still delivers after the logout
    assert seen.threads() <= {threading.current_thread().name}  # all of it on the Tk thread


def test_close_from_a_tk_handler_returns_at_once_and_drops_what_is_queued(
    root: tkinter.Tk,
    pump: Pump,
    make_client: MakeClient,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = make_client()
    handed = spy_on_executor(client, monkeypatch)
    bridge = attach(client, root)
    seen = Seen(client)
    client.login(A, emulator.auth_key)
    assert pump(root, lambda: "connected" in seen.of("status"))
    emulator.send_message(B, A, "never shown")
    assert wait_until(lambda: "on_text_message_received" in [h.method for h in handed])
    took: list[float] = []

    def close() -> None:
        started = time.monotonic()
        bridge.close()
        took.append(time.monotonic() - started)

    run_in_mainloop(root, close, lambda: not client.threads())
    assert took and took[0] < 0.5, took
    assert not bridge.attached
    pump(root, lambda: False, 0.1)  # a few more turns of the loop: nothing left to run
    assert seen.of("text") == []
    assert client.threads() == []
    assert client.get_connection_status() == "disconnected"


def test_closing_the_window_runs_the_apps_handler_then_closes_the_client(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    asked: list[str] = []

    def on_close() -> None:  # the app's own handler, set before attach
        asked.append(threading.current_thread().name)
        root.destroy()

    root.protocol("WM_DELETE_WINDOW", on_close)
    client = make_client()
    bridge = attach(client, root)
    seen = Seen(client)
    client.login(A, emulator.auth_key)
    assert pump(root, lambda: "connected" in seen.of("status"))
    root.tk.eval(root.protocol("WM_DELETE_WINDOW"))  # what Tk does when the WM asks
    assert asked == [threading.current_thread().name]
    assert not bridge.attached
    assert client.threads() == []
    assert client.get_connection_status() == "disconnected"
    assert client.get_logged_in_user() is not None  # closed, not logged out


def test_closing_the_window_with_no_handler_destroys_it_and_closes_the_client(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    attach(client, root)
    client.login(A, emulator.auth_key)
    root.tk.eval(root.protocol("WM_DELETE_WINDOW"))
    with pytest.raises(tkinter.TclError):
        root.winfo_exists()  # destroyed
    assert client.threads() == []


def test_a_close_handler_that_only_hides_the_window_keeps_the_client(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    root.protocol("WM_DELETE_WINDOW", root.withdraw)  # "minimise to the tray"
    client = make_client(auto=False, background_ping_deadline=30)
    bridge = attach(client, root)
    client.login(A, emulator.auth_key)
    client.connect()
    pump(root, root.winfo_ismapped)
    root.tk.eval(root.protocol("WM_DELETE_WINDOW"))
    assert pump(root, lambda: client.app_state is AppState.BACKGROUND)
    assert bridge.attached
    assert client.get_connection_status() == "connected"  # manual mode keeps the link
    bridge.close()


def test_hiding_and_showing_the_window_switch_the_app_state_once_each(
    root: tkinter.Tk,
    pump: Pump,
    make_client: MakeClient,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(5):  # every child's <Map> also reaches the window's binding tag
        ttk.Label(root, text=f"label {n}").pack()
    client = make_client()
    told: list[AppState] = []
    real = client.set_app_state

    def record(state: Any) -> None:
        told.append(AppState(state))
        real(state)

    monkeypatch.setattr(client, "set_app_state", record)
    attach(client, root)
    seen = Seen(client)
    client.login(A, emulator.auth_key)
    assert pump(root, lambda: root.winfo_ismapped() and "connected" in seen.of("status"))
    assert told == [AppState.FOREGROUND]  # the first <Map>; the children's did nothing
    root.event_generate("<FocusOut>")
    root.event_generate("<FocusIn>")
    root.withdraw()
    assert pump(root, lambda: client.app_state is AppState.BACKGROUND)
    assert pump(root, lambda: seen.of("status")[-1] == "disconnected")  # auto mode
    root.withdraw()  # again: no change, nothing told
    root.deiconify()
    assert pump(root, lambda: seen.of("status")[-1] == "connected")
    assert told == [AppState.FOREGROUND, AppState.BACKGROUND, AppState.FOREGROUND]


def test_with_app_state_false_a_hidden_window_keeps_the_link(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    attach(client, root, app_state=False)  # a chat app that goes on receiving when hidden
    seen = Seen(client)
    client.login(A, emulator.auth_key)
    assert pump(root, root.winfo_ismapped)
    root.withdraw()
    assert pump(root, lambda: not root.winfo_ismapped())
    emulator.send_message(B, A, "while hidden")
    assert pump(root, lambda: seen.of("text") == ["while hidden"])
    assert client.app_state is AppState.FOREGROUND
    assert client.get_connection_status() == "connected"


def test_iconify_is_the_background(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator, display: Any
) -> None:
    if not display.has_window_manager:
        pytest.skip("iconify() needs a window manager (CI runs twm)")
    client = make_client()
    attach(client, root)
    client.login(A, emulator.auth_key)
    assert pump(root, root.winfo_ismapped)
    root.iconify()
    assert pump(root, lambda: client.app_state is AppState.BACKGROUND)
    assert root.wm_state() == "iconic"
    root.deiconify()
    assert pump(root, lambda: client.app_state is AppState.FOREGROUND)
    client.wait_until_connected(WAIT)


def test_detach_drops_listener_calls_and_keeps_the_apps_bindings(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    maps: list[str] = []
    root.bind("<Map>", lambda e: maps.append(str(e.widget)), add="+")
    before = root.protocol("WM_DELETE_WINDOW")  # tkinter's own: destroy the window
    client = make_client()
    bridge = attach(client, root)
    assert root.protocol("WM_DELETE_WINDOW") != before
    seen = Seen(client)
    client.login(A, emulator.auth_key)
    assert pump(root, lambda: "connected" in seen.of("status") and maps)
    bridge.detach()
    bridge.detach()  # idempotent
    assert root.protocol("WM_DELETE_WINDOW") == before
    calls_before = len(seen.calls)
    emulator.close_sockets(A)  # a cut and a reconnect: the calls are dropped, not run
    client.wait_until_connected(WAIT)
    pump(root, lambda: False, 0.1)
    assert len(seen.calls) == calls_before
    client.set_callback_executor(None)  # the app takes them back on the dispatcher thread
    emulator.send_message(B, A, "direct")
    assert wait_until(lambda: seen.of("text") == ["direct"])  # no Tk loop needed now
    assert seen.calls[-1][2].name.startswith("cometchat-dispatch-")
    root.withdraw()
    root.deiconify()
    assert pump(root, lambda: maps.count(".") == 2)  # the app's binding is still there
    assert client.app_state is AppState.FOREGROUND  # the bridge's is gone
    bridge.post(lambda: maps.append("posted"))
    pump(root, lambda: False, 0.1)
    assert "posted" not in maps
    # Nothing (the client, the window, the module) keeps a detached bridge alive.
    gone = weakref.ref(bridge)
    del bridge
    gc.collect()
    assert gone() is None


def test_post_runs_the_apps_callbacks_on_the_tk_thread_in_order(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient
) -> None:
    client = make_client()
    bridge = attach(client, root)
    ran: list[tuple[int, str]] = []

    def note(n: int) -> None:
        ran.append((n, threading.current_thread().name))

    def worker() -> None:
        for n in range(3):
            bridge.post(functools.partial(note, n))
        bridge.post(lambda: 1 / 0)  # logged; the next one still runs
        bridge.post(functools.partial(note, 3))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(WAIT)
    assert ran == []
    assert pump(root, lambda: len(ran) == 4)
    assert ran == [(n, threading.current_thread().name) for n in range(4)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"poll_ms": 0},
        {"poll_ms": 1001},
        {"poll_ms": True},
        {"poll_ms": 2.5},
        {"poll_ms": "20"},
        {"app_state": "yes"},
    ],
)
def test_attach_refuses_a_bad_poll_interval_or_app_state(
    root: tkinter.Tk, make_client: MakeClient, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(CometChatException) as info:
        attach(make_client(), root, **kwargs)
    assert info.value.code == "ERR_INVALID_PARAMETER"


def test_attach_refuses_a_second_bridge_a_destroyed_window_and_wrong_types(
    root: tkinter.Tk, make_client: MakeClient
) -> None:
    client = make_client()
    bridge = attach(client, root)
    bad_calls: list[Callable[[], object]] = [
        lambda: attach(client, root),
        lambda: attach(object(), root),  # type: ignore[arg-type]
        lambda: attach(make_client(), ttk.Frame(root)),  # type: ignore[arg-type]
    ]
    for bad in bad_calls:
        with pytest.raises(CometChatException) as info:
            bad()
        assert info.value.code == "ERR_INVALID_PARAMETER"
    bridge.detach()
    again: TkBridge = attach(client, root)  # after detach, a new bridge is fine
    again.detach()
    other = tkinter.Toplevel(root)
    other.destroy()
    with pytest.raises(CometChatException) as info:
        attach(make_client(), other)
    assert info.value.code == "ERR_INVALID_PARAMETER"


def test_state_changes_reach_the_tk_thread_in_order(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient, emulator: Emulator
) -> None:
    client = make_client()
    attach(client, root, poll_ms=5)
    changes: list[ConnectionStateChange] = []
    client.add_connection_listener("order", ConnectionListener(on_state_change=changes.append))
    client.login(A, emulator.auth_key)
    emulator.close_sockets(A)
    assert pump(root, lambda: [c.current.value for c in changes].count("connected") == 2)
    statuses = [c.current.value for c in changes]
    last_connected = len(statuses) - 1 - statuses[::-1].index("connected")
    assert "disconnected" in statuses[:last_connected]
    for earlier, later in zip(changes, changes[1:]):
        assert later.previous == earlier.current


def test_polling_goes_on_after_a_callback_raised_keyboard_interrupt(
    root: tkinter.Tk, pump: Pump, make_client: MakeClient
) -> None:
    reported: list[type[BaseException]] = []
    root.report_callback_exception = lambda kind, value, tb: reported.append(kind)
    bridge = attach(make_client(), root)
    ran: list[str] = []

    def interrupted() -> None:  # Ctrl-C lands while a callback runs on the Tk thread
        raise KeyboardInterrupt

    bridge.post(interrupted)
    bridge.post(lambda: ran.append("after"))
    assert pump(root, lambda: reported == [KeyboardInterrupt])  # Tk reports it, goes on
    bridge.post(lambda: ran.append("later"))
    assert pump(root, lambda: ran == ["after", "later"])
