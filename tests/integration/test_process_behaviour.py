"""Process-level behaviour (``docs/connection.md``): Ctrl-C, interpreter exit, fork, and the
``with`` block.

Ctrl-C, exit and fork run a small client script in a subprocess (``sys.executable``) that talks
to the emulator this test process runs; its address comes through ``CC_*`` environment
variables. The script and the test synchronise through lines on the script's stdout (the
script says what happened) and stdin (the test says "go on"), always with bounded waits.
"""

from __future__ import annotations

import itertools
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Optional

import pytest

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import ConnectionStatus
from cometchat_sync import DisconnectReason
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy

UID = "superhero1"
LINE_TIMEOUT = 10.0  # waiting for a line the script prints (it has to import the SDK first)
EXIT_BUDGET = 5.0  # "exits within a few seconds"

PRELUDE = """
import os
import signal
import sys
import warnings

# Python's own Ctrl-C handler, even when the test runner runs with SIGINT ignored (a
# background job of a script), which a child would otherwise inherit.
signal.signal(signal.SIGINT, signal.default_int_handler)

warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, on 3.12+

from cometchat_sync import AppSettingsBuilder, CometChatClient, MemorySessionStore
from cometchat_sync.testing import ConnectionRecorder, MessageRecorder

APP_ID = os.environ["CC_APP_ID"]
HOST = os.environ["CC_HOST"]
KEY = os.environ["CC_AUTH_KEY"]
UID = "superhero1"


def settings(auto=True, connect_timeout=3.0, ping_interval=2.0, pong_timeout=0.5):
    return (
        AppSettingsBuilder()
        .set_region(os.environ["CC_REGION"])
        .override_client_host(HOST)
        .override_admin_host(HOST)
        .set_session_store(MemorySessionStore(APP_ID))
        .auto_establish_socket_connection(auto)
        .set_connect_timeout(connect_timeout)
        .set_ping_interval(ping_interval)
        .set_pong_timeout(pong_timeout)
        .set_reconnect_backoff(0.05, 0.5)
        .set_probe_interval(0.2)
        .build()
    )


def say(*parts):
    print(*parts, flush=True)
"""


class Script:
    """A running client script: its stdout lines arrive in a queue; stdin is a pipe."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.popen.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.popen.stderr, False), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream: Any, is_stdout: bool) -> None:
        for line in stream:
            (self.out if is_stdout else self.err).append(line)
            if is_stdout:
                self._lines.put(line.rstrip("\n"))
        if is_stdout:
            self._lines.put(None)

    def output(self) -> str:
        return f"--- stdout ---\n{''.join(self.out)}--- stderr ---\n{''.join(self.err)}"

    def expect(self, prefix: str, timeout: float = LINE_TIMEOUT) -> str:
        """The next stdout line starting with ``prefix`` (earlier lines are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.0, left))
            except queue.Empty:
                pytest.fail(f"no {prefix!r} line within {timeout} s\n{self.output()}")
            if line is None:
                pytest.fail(f"the script ended before printing {prefix!r}\n{self.output()}")
            if line.startswith(prefix):
                return line[len(prefix) :].strip()

    def send(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def wait(self, timeout: float) -> int:
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the script did not exit within {timeout} s\n{self.output()}")
        for pump in self._pumps:
            pump.join(2.0)
        return rc

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(5.0)
        for pump in self._pumps:
            pump.join(2.0)

    def close(self) -> None:
        self.kill()
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def run_script(
    emulator: Emulator, tmp_path: Path, closing: Callable[[Script], Script]
) -> Callable[..., Script]:
    """``run_script(body, **env)`` starts ``PRELUDE + body`` against the emulator; every
    script is killed at teardown."""
    numbers = itertools.count()

    def run(body: str, **extra_env: str) -> Script:
        path = tmp_path / f"client_{next(numbers)}.py"
        path.write_text(PRELUDE + textwrap.dedent(body))
        env = {
            **os.environ,
            "CC_APP_ID": emulator.app_id,
            "CC_HOST": emulator.client_host,
            "CC_REGION": emulator.region,
            "CC_AUTH_KEY": emulator.auth_key,
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        return closing(Script(path, env))

    return run


@pytest.fixture
def proxy(emulator: Emulator) -> Iterator[FaultProxy]:
    """A fault proxy in front of the emulator's WebSocket port, advertised to clients that log
    in from now on."""
    with FaultProxy("127.0.0.1", emulator.ws_port) as fault_proxy:
        emulator.advertise_ws(fault_proxy.host, fault_proxy.port)
        yield fault_proxy


# -- Ctrl-C ----------------------------------------------------------------------------------------

BLOCKED = """
import os
if os.environ["CC_BLOCK_IN"] == "connect":
    client = CometChatClient(APP_ID, settings(auto=False, connect_timeout=30.0))
    client.login(UID, KEY)
    say("READY")
    client.connect()  # manual mode: blocks until the link is up (up to 31 s)
else:
    client = CometChatClient(APP_ID, settings(auto=True, connect_timeout=30.0))
    say("READY")
    client.login(UID, KEY)  # auto mode: waits for the link (up to 30 s) before returning
say("RETURNED")
"""


@pytest.mark.parametrize("block_in", ["connect", "login"])
def test_ctrl_c_interrupts_a_blocked_call(
    run_script: Callable[..., Script], proxy: FaultProxy, emulator: Emulator, block_in: str
) -> None:
    proxy.blackhole()  # the TCP connect succeeds, the WebSocket upgrade is never answered
    script = run_script(BLOCKED, CC_BLOCK_IN=block_in)
    script.expect("READY")
    # The dial reached the dead path: the call is blocked now, for up to 30 s.
    assert proxy.wait_for_connections(1, LINE_TIMEOUT)
    sent = time.monotonic()
    script.popen.send_signal(signal.SIGINT)
    rc = script.wait(EXIT_BUDGET)
    took = time.monotonic() - sent
    stderr = "".join(script.err)
    assert rc != 0, script.output()
    assert "KeyboardInterrupt" in stderr, script.output()
    assert f"in {block_in}" in stderr, "the traceback shows where it was blocked"
    assert not any(line.startswith("RETURNED") for line in script.out)
    assert took < 2.0, f"exit took {took:.2f} s after SIGINT\n{script.output()}"
    assert emulator.socket_count(UID) == 0


# -- interpreter exit ------------------------------------------------------------------------------

FALL_OFF_THE_END = """
recorder = ConnectionRecorder()
client = CometChatClient(APP_ID, settings(auto=True))
client.add_connection_listener("rec", recorder)
client.login(UID, KEY)
client.wait_until_connected(5)
assert recorder.wait_for_status("connected", 5)
import time
end = time.monotonic() + 5  # the read loop takes the socket right after "connected"
while "cometchat-reader" not in {t.name for t in client.threads()} and time.monotonic() < end:
    time.sleep(0.01)
say("CONNECTED", "+".join(sorted(t.name for t in client.threads())))
# no close(), no logout(): the interpreter just ends
"""


def test_exit_without_close_does_not_hang(
    run_script: Callable[..., Script], emulator: Emulator
) -> None:
    script = run_script(FALL_OFF_THE_END)
    threads = script.expect("CONNECTED").split("+")
    assert {"cometchat-reader", "cometchat-timer"} <= set(threads), "the engine ran at exit"
    seen = time.monotonic()
    rc = script.wait(EXIT_BUDGET)
    assert rc == 0, script.output()
    assert time.monotonic() - seen < EXIT_BUDGET
    assert "Traceback" not in "".join(script.err), script.output()
    assert emulator.wait_for_sockets(UID, 0, 3.0)


DEAD_PATH_AT_EXIT = """
import os
redial = os.environ.get("CC_REDIAL") == "1"
recorder = ConnectionRecorder()
client = CometChatClient(
    APP_ID,
    settings(
        auto=True,
        connect_timeout=30.0,
        ping_interval=0.3 if redial else 2.0,
        pong_timeout=0.2 if redial else 0.5,
    ),
)
client.add_connection_listener("rec", recorder)
client.login(UID, KEY)
client.wait_until_connected(5)
say("CONNECTED")
sys.stdin.readline()  # the test has made the path dead
if redial:
    # The missed pong is noticed and the reader redials into the dead path (a 30 s dial).
    say("REDIALING", recorder.wait_for_status("connecting", 10, count=2))
    sys.stdin.readline()
say("EXITING")
"""


@pytest.mark.parametrize("redial", [False, True], ids=["idle-link", "dial-in-flight"])
def test_exit_with_a_silent_server_does_not_hang(
    run_script: Callable[..., Script], proxy: FaultProxy, emulator: Emulator, redial: bool
) -> None:
    script = run_script(DEAD_PATH_AT_EXIT, CC_REDIAL="1" if redial else "0")
    script.expect("CONNECTED")
    assert emulator.socket_count(UID) == 1
    proxy.blackhole()
    script.send("go")
    if redial:
        assert script.expect("REDIALING") == "True"
        assert proxy.wait_for_connections(2, LINE_TIMEOUT), "the redial reached the proxy"
        script.send("exit")
    script.expect("EXITING")
    seen = time.monotonic()
    rc = script.wait(EXIT_BUDGET)
    assert rc == 0, script.output()
    assert time.monotonic() - seen < EXIT_BUDGET
    assert "Traceback" not in "".join(script.err), script.output()


# -- fork ------------------------------------------------------------------------------------------

FORK = """
import os

recorder = ConnectionRecorder()
messages = MessageRecorder()
client = CometChatClient(APP_ID, settings(auto=True))
client.add_connection_listener("rec", recorder)
client.add_message_listener("msg", messages)
client.login(UID, KEY)
client.wait_until_connected(5)
assert recorder.wait_for_status("connected", 5)
say("PARENT_CONNECTED")


def child_main():
    try:
        child = ConnectionRecorder()
        client.add_connection_listener("child", child)
        user = client.get_logged_in_user()  # first use in the child: lazy restart
        connected = child.wait_for_status("connected", 5)
        say(
            "CHILD_CONNECTED",
            connected,
            user.uid if user is not None else None,
            ",".join(child.statuses()),
            client.get_connection_status().value,
        )
        sys.stdin.readline()  # hold the child's socket open until the test has looked
        return 0
    except BaseException as exc:
        say("CHILD_ERROR", repr(exc))
        return 3


pid = os.fork()
if pid == 0:
    code = child_main()
    if os.environ["CC_CHILD_EXIT"] == "os._exit":
        os._exit(code)
    sys.exit(code)  # a normal exit: atexit handlers run in the child too

_, status = os.waitpid(pid, 0)
say("CHILD_EXITED", os.waitstatus_to_exitcode(status))
got = messages.log.wait_for_count("on_text_message_received", 1, 10)
say("PARENT_GOT", got, "|".join(messages.texts()))
say("PARENT_STATUSES", ",".join(recorder.statuses()), client.get_connection_status().value)
client.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the platform has no fork()")
@pytest.mark.parametrize("child_exit", ["os._exit", "sys.exit"])
def test_fork_child_reconnects_lazily_and_leaves_the_parent_link_alone(
    run_script: Callable[..., Script], emulator: Emulator, child_exit: str
) -> None:
    script = run_script(FORK, CC_CHILD_EXIT=child_exit)
    script.expect("PARENT_CONNECTED")
    # (No auth count here: the script forks right after saying so, and the child may
    # already have connected. The totals below tell the parent never re-authenticated.)
    child = script.expect("CHILD_CONNECTED")
    assert child == f"True {UID} connecting,connected connected", script.output()
    # Both processes hold an authenticated socket now.
    assert emulator.socket_count(UID) == 2
    assert emulator.auth_count(UID) == 2

    script.send("exit")
    assert script.expect("CHILD_EXITED") == "0", script.output()
    # The child's socket is gone; the parent's is the one left, never re-authenticated.
    assert emulator.wait_for_sockets(UID, 1, 5.0)
    assert emulator.auth_count(UID) == 2

    emulator.send_message("superhero2", UID, "after-fork")
    assert script.expect("PARENT_GOT") == "True after-fork", script.output()
    assert script.expect("PARENT_STATUSES") == "connecting,connected connected", script.output()
    assert script.wait(EXIT_BUDGET) == 0, script.output()
    assert emulator.auth_count(UID) == 2


FORK_THEN_WAIT = """
import os

client = CometChatClient(APP_ID, settings(auto=True))
client.login(UID, KEY)
client.wait_until_connected(5)
say("PARENT_CONNECTED")
pid = os.fork()
if pid == 0:
    try:
        client.wait_until_connected(1.0)  # the child's first call on the client
        say("CHILD", "connected")
    except BaseException as exc:
        say("CHILD", type(exc).__name__, client.get_connection_status().value)
    os._exit(0)
_, status = os.waitpid(pid, 0)
say("CHILD_EXITED", os.waitstatus_to_exitcode(status))
client.close()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the platform has no fork()")
def test_fork_child_whose_first_call_is_wait_until_connected_reconnects(
    run_script: Callable[..., Script], emulator: Emulator
) -> None:
    script = run_script(FORK_THEN_WAIT)
    script.expect("PARENT_CONNECTED")
    result = script.expect("CHILD ")
    assert script.expect("CHILD_EXITED") == "0"
    assert script.wait(EXIT_BUDGET) == 0, script.output()
    assert result == "connected", script.output()


# -- the with block --------------------------------------------------------------------------------


def _client_in_with_block(
    emulator: Emulator, settings_for: Callable[..., AppSettingsBuilder], *, raise_inside: bool
) -> tuple[CometChatClient, ConnectionRecorder]:
    recorder = ConnectionRecorder()

    class Boom(Exception):
        pass

    try:
        with CometChatClient(emulator.app_id, settings_for(emulator).build()) as client:
            client.add_connection_listener("rec", recorder)
            client.login(UID, emulator.auth_key)
            client.wait_until_connected(5.0)
            assert emulator.socket_count(UID) == 1
            # The engine's read loop and timer serve it (the one of each in the process).
            assert emulator.wait_until(
                lambda: (
                    {t.name for t in client.threads()} >= {"cometchat-reader", "cometchat-timer"}
                ),
                5.0,
            )
            if raise_inside:
                raise Boom()
    except Boom:
        assert raise_inside
    return client, recorder


@pytest.mark.parametrize("raise_inside", [False, True], ids=["normal-exit", "exception"])
def test_with_block_closes_everything(
    emulator: Emulator, settings_for: Callable[..., AppSettingsBuilder], raise_inside: bool
) -> None:
    client, recorder = _client_in_with_block(emulator, settings_for, raise_inside=raise_inside)
    assert client.threads() == []
    assert client.get_connection_status() is ConnectionStatus.DISCONNECTED
    assert client.last_disconnect_reason is DisconnectReason.CLOSED
    assert emulator.wait_for_sockets(UID, 0, 3.0)
    # The dispatcher delivered the closing change before it ended.
    assert recorder.statuses() == ["connecting", "connected", "disconnected"]
    assert recorder.last_reason() is DisconnectReason.CLOSED
    # close() keeps the session: the user is still logged in locally.
    user = client.get_logged_in_user()
    assert user is not None and user.uid == UID
