"""Fixtures of the integration tests: ``login`` and ``connected`` give logged-in clients on
the emulator; for the tests that run programs in subprocesses, ``spawn`` starts one with the
emulator's address in its environment and reads its output line by line, always with
bounded waits."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from collections.abc import Sequence
from typing import IO
from typing import Any
from typing import Callable
from typing import Optional

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync.testing import Emulator

CONNECT_TIMEOUT = 5.0  # how long ``connected`` waits for the socket
LINE_TIMEOUT = 15.0  # a line from a program that has to import the SDK (and maybe Django) first


# The programs here are started as a terminal would start them. A test runner started in the
# background (nohup, "&" in a script) ignores SIGINT, and its children would inherit that: give
# this process its default Ctrl-C back, so the children get theirs.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


class Proc:
    """A running program: its stdout lines arrive in a queue; stderr is kept."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Optional[str]) -> None:
        self.popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            text=True,
            bufsize=1,
            start_new_session=True,  # its own process group: close() ends its children too
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: queue.Queue[Optional[str]] = queue.Queue()
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.popen.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.popen.stderr, False), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream: IO[str], is_stdout: bool) -> None:
        for line in stream:
            (self.out if is_stdout else self.err).append(line)
            if is_stdout:
                self._lines.put(line.rstrip("\n"))
        if is_stdout:
            self._lines.put(None)

    def output(self) -> str:
        return f"--- stdout ---\n{''.join(self.out)}--- stderr ---\n{''.join(self.err)}"

    def expect(self, predicate: Callable[[str], bool], timeout: float = LINE_TIMEOUT) -> str:
        """The next stdout line for which ``predicate`` holds (earlier lines are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no expected line within {timeout} s\n{self.output()}")
            if line is None:
                pytest.fail(f"the program ended before the expected line\n{self.output()}")
            if predicate(line):
                return line

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """The exit code; fails the test if the program is still running after ``timeout``."""
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.close()
            pytest.fail(f"the program did not exit within {timeout} s\n{self.output()}")
        for pump in self._pumps:
            pump.join(2.0)
        return rc

    def close(self) -> None:
        """End the program and everything it started (SIGTERM, then SIGKILL after 5 s)."""
        for signum, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signum)
            try:
                self.popen.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        for pump in self._pumps:
            pump.join(2.0)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


def emulator_env(emulator: Emulator, **extra: str) -> dict[str, str]:
    """The process environment plus the ``COMETCHAT_*`` variables of ``emulator``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMETCHAT_")}
    env.update(
        COMETCHAT_APP_ID=emulator.app_id,
        COMETCHAT_REGION=emulator.region,
        COMETCHAT_AUTH_KEY=emulator.auth_key,
        COMETCHAT_CLIENT_HOST=emulator.client_host,
        COMETCHAT_ADMIN_HOST=emulator.admin_host,
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


Spawn = Callable[..., Proc]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """``spawn(argv, env=..., cwd=...)`` starts a program; every one is killed at teardown.
    A ``python`` first argument means this interpreter."""
    procs: list[Proc] = []

    def start(
        argv: Sequence[str], env: Optional[dict[str, str]] = None, cwd: Optional[str] = None
    ) -> Proc:
        args = [sys.executable if argv[0] == "python" else argv[0], *argv[1:]]
        proc = Proc(args, dict(os.environ) if env is None else env, cwd)
        procs.append(proc)
        return proc

    yield start
    for proc in reversed(procs):
        proc.close()


@pytest.fixture(name="emulator_env")
def emulator_env_fixture(emulator: Emulator) -> Callable[..., dict[str, str]]:
    """``emulator_env(**extra)``: :func:`emulator_env` of this test's emulator."""
    return lambda **extra: emulator_env(emulator, **extra)


Login = Callable[..., CometChatClient]


@pytest.fixture
def login(make_client: Callable[..., CometChatClient], emulator: Emulator) -> Login:
    """``login(uid, **overrides)``: a client logged in as ``uid`` with ``make_client``
    ``overrides``, in manual mode (REST only, no socket) unless ``auto=True`` is given; it
    does not wait for the socket."""

    def make(uid: str, **overrides: Any) -> CometChatClient:
        overrides.setdefault("auto", False)
        client = make_client(**overrides)
        client.login(uid, emulator.auth_key)
        return client

    return make


@pytest.fixture
def connected(login: Login) -> Login:
    """``connected(uid, **overrides)``: ``login`` in auto mode, once the socket is connected
    (``auto=False`` gives a manual-mode client, not connected)."""

    def make(uid: str, **overrides: Any) -> CometChatClient:
        overrides.setdefault("auto", True)
        client = login(uid, **overrides)
        if client.settings.auto_establish_socket_connection:
            client.wait_until_connected(CONNECT_TIMEOUT)
        return client

    return make
