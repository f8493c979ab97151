"""Tk tests need an X display: the one in ``DISPLAY``, or an ``Xvfb`` started here for the
session (with ``twm`` as window manager when it is installed, so that ``iconify()`` works:
with no window manager an X server never iconifies a window). The tests are skipped only
when there is neither a ``DISPLAY`` nor an ``Xvfb`` to start, and never on CI (``CI`` set),
where ``.ci/run`` installs Xvfb and twm.

``pump(root, predicate, timeout)`` runs the Tk event loop until ``predicate()`` holds or
the time is up: the bounded wait every test here synchronises with.
"""

from __future__ import annotations

import gc
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import tkinter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Callable
from typing import Optional

import pytest

XVFB_START_TIMEOUT = 10.0


@dataclass(frozen=True)
class Display:
    """The X display the tests use, and whether a window manager runs on it."""

    name: str
    has_window_manager: bool


def pump(root: tkinter.Misc, predicate: Callable[[], object], timeout: float = 5.0) -> bool:
    """Run Tk's pending events (and the bridge's polls) until ``predicate()`` is true or
    ``timeout`` seconds passed; returns the predicate's last value as a bool."""
    deadline = time.monotonic() + timeout
    while True:
        root.update()
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)  # yield the CPU to the SDK threads between two turns of the loop


# Xvfb must not outlive the test process, also one that dies without its teardown (an abort,
# the timeout plugin's exit, a kill): a shell started with a pipe from this process as its
# standard input starts Xvfb and kills it once the pipe closes, however this process ends.
# (twm ends by itself with its X server.)
XVFB_WATCHDOG = 'Xvfb "$@" & server=$!; cat > /dev/null; kill "$server"; wait "$server"'


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_end, write_end = os.pipe()
    arguments = ["-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
    try:
        proc = subprocess.Popen(
            ["sh", "-c", XVFB_WATCHDOG, "xvfb-watchdog", *arguments],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        os.close(write_end)
    number = b""
    deadline = time.monotonic() + XVFB_START_TIMEOUT
    try:
        while not number.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([read_end], [], [], max(left, 0))
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                _stop(proc)
                raise RuntimeError("Xvfb did not report its display number")
            number += chunk
    finally:
        os.close(read_end)
    return proc, f":{number.decode().strip()}"


def _start_twm(display: str, folder: str) -> Optional[subprocess.Popen[bytes]]:
    if shutil.which("twm") is None:
        return None
    rc = os.path.join(folder, "twmrc")
    with open(rc, "w", encoding="utf-8") as f:
        f.write("RandomPlacement\nNoTitle\n")  # place windows at once, no interactive drag
    return subprocess.Popen(
        ["twm", "-display", display, "-f", rc],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _window_manager_runs() -> bool:
    """Whether a window manager reparents a new toplevel (waits up to 5 s for one)."""
    probe = tkinter.Tk()
    try:
        probe.geometry("20x20")
        return pump(probe, lambda: probe.wm_frame() != hex(probe.winfo_id()), 5.0)
    finally:
        probe.destroy()


def _stop(proc: Optional[subprocess.Popen[bytes]]) -> None:
    """End ``proc``: Xvfb's watchdog by closing its pipe, twm by a signal."""
    if proc is None or proc.poll() is not None:
        return
    if proc.stdin is not None:
        proc.stdin.close()
    else:
        proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# A runner started in the background ignores SIGINT; the sample's Ctrl-C test needs the
# child to get the default (see tests/integration/conftest.py).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def display() -> Iterator[Display]:
    """The X display for the session (skips the Tk tests when there can be none)."""
    existing = os.environ.get("DISPLAY")
    if existing:
        yield Display(existing, _window_manager_runs())
        return
    if shutil.which("Xvfb") is None:
        if os.environ.get("CI"):  # CI installs Xvfb (.ci/run): there the Tk tests must run
            pytest.fail("no DISPLAY and no Xvfb on CI")
        pytest.skip("no DISPLAY and no Xvfb installed (apt-get install xvfb twm)")
    xvfb, name = _start_xvfb()
    twm: Optional[subprocess.Popen[bytes]] = None
    os.environ["DISPLAY"] = name
    try:
        with tempfile.TemporaryDirectory(prefix="cometchat-twm-") as folder:
            twm = _start_twm(name, folder)
            yield Display(name, twm is not None and _window_manager_runs())
    finally:
        del os.environ["DISPLAY"]
        _stop(twm)
        _stop(xvfb)


@pytest.fixture(autouse=True)
def collect_tk_objects_on_the_main_thread() -> Iterator[None]:
    """No automatic garbage collection during a Tk test; one full collection on the main
    thread once every other fixture of the test is torn down.

    A Tk interpreter must be freed on the thread that made it (else Tcl aborts the process:
    "Tcl_AsyncDelete: async handler deleted by the wrong thread"), and the cyclic collector
    runs on whichever thread happens to allocate: here, often an SDK or emulator thread.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if was_enabled:
            gc.enable()


@pytest.fixture
def root(display: Display) -> Iterator[tkinter.Tk]:
    """A fresh ``tkinter.Tk`` on the test display, destroyed after the test."""
    window = tkinter.Tk()
    window.geometry("400x300")
    try:
        yield window
    finally:
        try:
            exists = bool(window.winfo_exists())
        except tkinter.TclError:
            exists = False
        if exists:
            window.destroy()


@pytest.fixture(name="pump")
def pump_fixture() -> Callable[..., bool]:
    """The :func:`pump` function."""
    return pump
