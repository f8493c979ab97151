"""Latency: a REST send by one user to the listener call on another user's client.

The emulator runs in a subprocess. Client A (superhero1, manual mode, no socket) sends text
messages over REST with ``send_message()`` from a separate (spawned) process, paced at
``--rate`` messages/s for ``--seconds``; each text carries ``time.monotonic_ns()`` taken just
before the call (CLOCK_MONOTONIC is system-wide on Linux). Client B (superhero2, connected) in
this process takes the same clock in ``on_text_message_received``. The gap is the latency:
A's REST call, the emulator's fan-out, B's socket read, parse and hand-off to the listener.

    python bench/latency.py [--rate 100] [--seconds 10] [--quick]

:func:`paced` (used by ``python -m bench``) times the socket side alone: the frame server
(``_frame_server.py``) sends frames at a fixed rate, each carrying its CLOCK_MONOTONIC ns of
sending, to one SDK client (to the listener call) or to the tuned raw websocket-client loop
(to its ``json.loads``), interleaved.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import threading
import time
from typing import Any

import websocket
from _common import add_wait_quiet
from _common import emulator_builder
from _common import emulator_process
from _common import machine_line
from _common import median
from _common import percentile
from _common import print_table
from _common import producer_auth_frame
from _common import producer_client
from _common import verdict
from _common import wait_quiet
from _frame_server import FrameServer

from cometchat_sync import CometChatClient
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage

SENDER, RECEIVER = "superhero1", "superhero2"


def _sender(info: dict[str, Any], rate: float, count: int, pipe: Any) -> None:
    """Child process: log A in, warm up, wait for "go", send ``count`` messages paced."""
    settings = emulator_builder(info).auto_establish_socket_connection(False).build()
    client = CometChatClient(info["app_id"], settings)
    try:
        client.login(SENDER, info["auth_key"])
        for _ in range(5):
            client.send_message(TextMessage(RECEIVER, "warm-up"))
        pipe.send("ready")
        if not pipe.poll(30) or pipe.recv() != "go":
            return
        period = 1.0 / rate
        start = time.monotonic() + 0.02
        calls: list[int] = []
        for i in range(count):
            delay = start + i * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent = time.monotonic_ns()
            client.send_message(TextMessage(RECEIVER, f"bench {i} {sent}"))
            calls.append(time.monotonic_ns() - sent)
        pipe.send(calls)
    finally:
        client.close()


class Receiver:
    def __init__(self, count: int) -> None:
        self.latencies_ns: list[int] = []
        self.count = count
        self.done = threading.Event()
        self.listener = MessageListener(on_text_message_received=self._on_text)

    def _on_text(self, message: Any) -> None:
        now = time.monotonic_ns()
        parts = message.text.split()
        if len(parts) != 3 or parts[0] != "bench":
            return  # warm-up
        self.latencies_ns.append(now - int(parts[2]))
        if len(self.latencies_ns) >= self.count:
            self.done.set()


def _paced_sdk(server: FrameServer, rate: float, count: int) -> list[float]:
    got: list[float] = []
    done = threading.Event()

    def on_text(message: Any) -> None:
        now = time.monotonic_ns()
        got.append((now - int(message.text.split()[1])) / 1e6)
        if len(got) >= count:
            done.set()

    client = producer_client(server.port)
    client.add_message_listener("bench", MessageListener(on_text_message_received=on_text))
    try:
        client.connect(timeout=10)
        server.command("paced", rate, count)
        if not done.wait(count / rate + 30):
            raise RuntimeError(f"paced: {len(got)} of {count} messages")
    finally:
        client.close()
    return got


def _paced_raw(server: FrameServer, rate: float, count: int) -> list[float]:
    ws = websocket.create_connection(
        f"ws://{server.host}:{server.port}", skip_utf8_validation=True, timeout=30
    )
    got: list[float] = []
    try:
        ws.send(producer_auth_frame())
        json.loads(ws.recv())
        server.command("paced", rate, count)
        loads, recv = json.loads, ws.recv
        for _ in range(count):
            frame = loads(recv())
            now = time.monotonic_ns()
            got.append((now - int(frame["body"]["data"]["text"].split()[1])) / 1e6)
    finally:
        ws.close(timeout=1)
    return got


def paced(server: FrameServer, rate: float, count: int, runs: int) -> dict[str, list[float]]:
    """Send-to-callback latencies (ms) at ``rate`` msg/s, ``count`` per run, SDK and raw
    interleaved; all the runs' samples of each together."""
    out: dict[str, list[float]] = {"sdk": [], "raw": []}
    for _ in range(runs):
        out["raw"] += _paced_raw(server, rate, count)
        out["sdk"] += _paced_sdk(server, rate, count)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to send")
    parser.add_argument("--quick", action="store_true", help="3 seconds")
    add_wait_quiet(parser)
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    count = max(1, int(args.rate * seconds))
    print(
        f"latency: {count} messages at {args.rate:g}/s, REST send (process A) to listener "
        f"(process B); {machine_line()}"
    )
    wait_quiet(args.wait_quiet)

    ctx = multiprocessing.get_context("spawn")
    with emulator_process() as info:
        settings = emulator_builder(info).auto_establish_socket_connection(False).build()
        client = CometChatClient(info["app_id"], settings)
        receiver = Receiver(count)
        client.add_message_listener("bench", receiver.listener)
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=_sender, args=(info, args.rate, count, child_end))
        proc.daemon = True
        try:
            client.login(RECEIVER, info["auth_key"])
            client.connect(timeout=5)
            proc.start()
            child_end.close()
            if not parent_end.poll(30) or parent_end.recv() != "ready":
                raise RuntimeError("the sender process did not get ready")
            time.sleep(0.2)  # let the warm-up messages arrive and be dropped
            parent_end.send("go")
            budget = seconds + 30
            if not parent_end.poll(budget):
                raise RuntimeError(f"the sender did not finish within {budget:g} s")
            calls: list[int] = parent_end.recv()
            receiver.done.wait(5)
        finally:
            client.close()
            parent_end.close()
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)

    got = [ns / 1e6 for ns in receiver.latencies_ns]
    rest = [ns / 1e6 for ns in calls]
    rows = []
    for name, values in (
        ("REST send -> listener call (B)", got),
        ("send_message() call on A (REST round trip)", rest),
    ):
        rows.append(
            [
                name,
                len(values),
                f"{median(values):.2f}",
                f"{percentile(values, 90):.2f}",
                f"{percentile(values, 99):.2f}",
                f"{max(values):.2f}",
            ]
        )
    print_table("latency, ms", ["what", "n", "p50", "p90", "p99", "max"], rows)
    lost = count - len(got)
    p99 = percentile(got, 99)
    print(f"\nmessages not received: {lost}")
    print(f"p99 under 10 ms: {verdict(p99 < 10 and lost == 0)} (p99 {p99:.2f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
