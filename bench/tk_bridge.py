"""The Tk bridge (``cometchat_sync.integrations.tk``): what the queue polled with ``after``
costs, and what it saves.

Needs an X display (``xvfb-run -a python bench/tk_bridge.py``). An emulator runs in this
process; client B is attached to a ``tkinter.Tk`` whose real ``mainloop()`` runs here.

1. Hand-over latency: client A (another thread, REST only) sends ``--count`` messages, one
   every 20 ms; for each, the time from the dispatcher handing the listener call to the
   bridge to the listener running on the Tk thread. For ``poll_ms`` 20 (the default) and 5.
2. Idle CPU: ``time.process_time()`` of the whole process over ``--idle`` seconds of an idle
   ``mainloop()`` with B connected, with and without the bridge (its ``after`` poll).
3. ``logout()`` called from a Tk handler inside ``mainloop()``: how long it blocks the Tk
   thread, with the bridge and with the executor the docs used to show
   (``set_callback_executor(lambda f: root.after(0, f))``), ``--runs`` runs each.

    xvfb-run -a python bench/tk_bridge.py [--count 200] [--idle 5] [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import threading
import time
import tkinter
from typing import Callable
from typing import Optional

from _common import add_wait_quiet
from _common import machine_line
from _common import print_table
from _common import wait_quiet

from cometchat_sync import CometChatClient
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync.integrations.tk import attach
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import emulator_settings

A, B = "superhero1", "superhero2"
Call = Callable[[], None]


def _client(emulator: Emulator, auto: bool = True) -> CometChatClient:
    builder = emulator_settings(emulator).auto_establish_socket_connection(auto)
    return CometChatClient(emulator.app_id, builder.build())


def _run_loop(root: tkinter.Tk, done: Callable[[], bool], limit: float) -> None:
    """Run ``mainloop()`` until ``done()`` (checked every 10 ms) or ``limit`` seconds."""
    deadline = time.monotonic() + limit

    def check() -> None:
        if done() or time.monotonic() > deadline:
            root.quit()
        else:
            root.after(10, check)

    root.after(10, check)
    root.mainloop()


def hand_over(emulator: Emulator, poll_ms: int, count: int) -> list[float]:
    """Milliseconds from the executor call to the listener call on the Tk thread."""
    root = tkinter.Tk()
    b = _client(emulator)
    delays: list[float] = []
    real = b.set_callback_executor

    def spy(executor: Optional[Callable[[Call], None]]) -> None:
        if executor is None:
            real(None)
            return
        inner = executor

        def timed(call: Call) -> None:
            stamp = time.monotonic()

            def run() -> None:
                delays.append((time.monotonic() - stamp) * 1000)
                call()

            inner(run)

        real(timed)

    b.set_callback_executor = spy  # type: ignore[method-assign]
    attach(b, root, poll_ms=poll_ms)
    got: list[str] = []
    b.add_message_listener("count", MessageListener(on_text_message_received=got.append))
    b.login(B, emulator.auth_key)
    a = _client(emulator, auto=False)
    a.login(A, emulator.auth_key)
    stop = threading.Event()

    def send() -> None:
        for n in range(count):
            if stop.wait(0.02):
                return
            a.send_message(TextMessage(B, f"m{n}"))

    sender = threading.Thread(target=send, name="bench-sender")
    _run_loop(root, lambda: False, 0.3)  # connected; the login's calls delivered
    delays.clear()
    sender.start()
    _run_loop(root, lambda: len(got) >= count, 5 + count * 0.1)
    stop.set()
    sender.join(10)
    a.close()
    root.destroy()  # closes b
    return delays


def idle_cpu(emulator: Emulator, seconds: float, bridged: bool) -> float:
    """CPU seconds of this process per second of an idle main loop."""
    root = tkinter.Tk()
    b = _client(emulator)
    if bridged:
        attach(b, root)
    b.login(B, emulator.auth_key)
    _run_loop(root, lambda: False, 0.5)
    start_cpu, start = time.process_time(), time.monotonic()
    root.after(int(seconds * 1000), root.quit)  # nothing else wakes the loop meanwhile
    root.mainloop()
    used = (time.process_time() - start_cpu) / (time.monotonic() - start)
    b.close()
    root.destroy()
    return used


def logout_time(emulator: Emulator, bridged: bool) -> float:
    """Seconds ``logout()`` blocks when a Tk handler calls it inside ``mainloop()``."""
    root = tkinter.Tk()
    b = _client(emulator)
    if bridged:
        attach(b, root)
    else:
        b.set_callback_executor(lambda f: root.after(0, f))  # the old, wrong pattern
    b.add_message_listener("noop", MessageListener(on_text_message_received=lambda m: None))
    b.login(B, emulator.auth_key)
    took: list[float] = []

    def log_out() -> None:
        started = time.monotonic()
        b.logout()
        took.append(time.monotonic() - started)

    _run_loop(root, lambda: False, 0.3)  # connected, listeners' calls delivered
    root.after(0, log_out)
    _run_loop(root, lambda: bool(took) and not b.threads(), 10)
    b.close()
    b.set_callback_executor(None)  # the old executor holds the window
    root.destroy()
    return took[0] if took else float("nan")


def _ms(values: list[float]) -> list[str]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return [f"{statistics.median(ordered):.1f}", f"{p99:.1f}", f"{ordered[-1]:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="--count 50 --idle 2 --runs 2")
    add_wait_quiet(parser)
    args = parser.parse_args()
    if args.quick:
        args.count, args.idle, args.runs = 50, 2.0, 2
    print(machine_line(), f"Tcl/Tk {tkinter.TkVersion}")
    # A Tk interpreter must be freed on the thread that made it, and the cyclic collector runs
    # on whichever thread allocates: collect only here, between the measurements.
    gc.disable()
    wait_quiet(args.wait_quiet)
    with Emulator() as emulator:
        rows = []
        for poll_ms in (20, 5):
            delays = hand_over(emulator, poll_ms, args.count)
            gc.collect()
            rows.append([poll_ms, len(delays), *_ms(delays)])
        print_table(
            "Hand-over: executor call -> listener on the Tk thread (ms)",
            ["poll_ms", "messages", "median", "p99", "max"],
            rows,
        )
        idle = [
            [name, f"{idle_cpu(emulator, args.idle, bridged) * 100:.2f} %"]
            for name, bridged in (("no bridge", False), ("attach(), poll 20 ms", True))
        ]
        print_table("Idle main loop: process CPU per wall second", ["", "CPU"], idle)
        rows = []
        for name, bridged in (("attach()", True), ("root.after(0, f) executor", False)):
            took = []
            for _ in range(args.runs):
                took.append(logout_time(emulator, bridged) * 1000)
                gc.collect()
            rows.append([name, len(took), f"{statistics.median(took):.1f}", f"{max(took):.1f}"])
        print_table(
            "logout() from a Tk handler: time it blocks (ms)", ["", "runs", "median", "max"], rows
        )


if __name__ == "__main__":
    main()
