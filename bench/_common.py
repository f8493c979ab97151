"""Shared plumbing of the benchmark scripts in ``bench/`` (not a test module).

* statistics and table printing;
* an emulator in a subprocess (``python -m cometchat_sync.testing.emulator``), stopped with
  SIGTERM on exit;
* a message producer in a separate process: a minimal ``websockets.sync.server`` that answers
  the SDK's auth frame and then sends N CometChat ``message`` frames (the envelope and
  message body of ``docs/protocol.md``), and answers ``{"action":"ping"}`` with a pong;
* a client wired to that producer without any REST call (a pre-filled session store).

Every wait here is bounded, every child process is ended on exit, and all traffic stays on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import select
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any
from typing import Callable
from typing import Optional

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import MemorySessionStore
from cometchat_sync import MessageListener
from cometchat_sync import Session

HOST = "127.0.0.1"

# -- statistics and output ---------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (``pct`` in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.2f}"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = "-+-".join("-" * w for w in widths)
    print(f"\n{title}")
    print(" | ".join(h.ljust(w) for h, w in zip(cells[0], widths)))
    print(line)
    for row in cells[1:]:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    sys.stdout.flush()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def rss_bytes() -> int:
    """Resident set size of this process, from ``/proc/self/statm``."""
    with open("/proc/self/statm", "rb") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _cpu_ticks() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]), idle


def machine_busy(interval: float = 0.5) -> float:
    """Fraction (0..1) of all cores busy over ``interval`` seconds, whoever uses them."""
    total0, idle0 = _cpu_ticks()
    time.sleep(interval)
    total1, idle1 = _cpu_ticks()
    total = total1 - total0
    return 0.0 if total <= 0 else 1.0 - (idle1 - idle0) / total


def add_wait_quiet(parser: argparse.ArgumentParser, default: float = 5.0) -> None:
    """The ``--wait-quiet`` option every benchmark takes (see :func:`wait_quiet`)."""
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=default,
        help="wait up to this many seconds for an idle machine first",
    )


def wait_quiet(max_wait: float, threshold: float = 0.15) -> float:
    """Wait (at most ``max_wait`` s) until the machine is at most ``threshold`` busy; print
    and return the last figure. Benchmarks on a shared 2-core machine are only comparable
    when nothing else runs."""
    deadline = time.monotonic() + max_wait
    busy = machine_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = machine_busy()
    note = "" if busy <= threshold else "  (WARNING: other processes are using the CPU)"
    print(f"machine busy before the run: {busy:.0%}{note}")
    return busy


def machine_line() -> str:
    import websocket  # noqa: PLC0415 (only for its version)

    return (
        f"Python {sys.version.split()[0]}, websocket-client {websocket.__version__}, "
        f"{os.cpu_count()} cores"
    )


# -- the emulator in a subprocess --------------------------------------------------------------


# Runs the emulator CLI, and ends it (SIGTERM, a clean stop) when its stdin reaches EOF, that
# is when the benchmark process ends in any way, even by SIGKILL: no emulator outlives a run.
_EMULATOR_LAUNCHER = """
import os, runpy, signal, sys, threading
def _watch():
    sys.stdin.read()
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=_watch, daemon=True).start()
sys.argv = ["emulator", *sys.argv[1:]]
runpy.run_module("cometchat_sync.testing.emulator", run_name="__main__", alter_sys=True)
"""


@contextlib.contextmanager
def emulator_process(timeout: float = 15.0) -> Iterator[dict[str, Any]]:
    """Run the emulator CLI in a child process; yield its JSON line (plus ``pid``)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _EMULATOR_LAUNCHER, "--host", HOST],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the emulator did not start within {timeout} s")
        info: dict[str, Any] = json.loads(line)
        info["pid"] = proc.pid
        yield info
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


def emulator_builder(info: dict[str, Any]) -> AppSettingsBuilder:
    """Settings aimed at an emulator described by its CLI line (in-memory session store)."""
    return (
        AppSettingsBuilder()
        .set_region(info["region"])
        .override_client_host(info["client_host"])
        .override_admin_host(info["admin_host"])
        .set_session_store(MemorySessionStore(info["app_id"]))
    )


# -- the message producer (separate process) ---------------------------------------------------

PRODUCER_APP_ID = "bench-app"
PRODUCER_UID = "bob"  # the receiving client's uid
PRODUCER_DEVICE = "WEB-4_2_0-5f0c2b7e-9d41-4c55-1767225600000"  # not the client's resource
AUTH_OK = '{"type":"auth","body":{"code":"200","status":"OK"}}'
PONG = '{"action":"pong"}'
_BATCH = 200  # frames per socket write (about 96 KB)


def _frame_parts() -> tuple[str, str]:
    body = {
        "id": "\x00",
        "conversationId": "alice_user_bob",
        "sender": "alice",
        "receiver": PRODUCER_UID,
        "receiverType": "user",
        "category": "message",
        "type": "text",
        "data": {
            "text": "Are we still on for the review at three?",
            "entities": {
                "sender": {
                    "entity": {"uid": "alice", "name": "Alice"},
                    "entityType": "user",
                }
            },
        },
        "sentAt": 1767225600,
        "updatedAt": 1767225600,
    }
    frame = {
        "appId": PRODUCER_APP_ID,
        "receiver": PRODUCER_UID,
        "receiverType": "user",
        "deviceId": PRODUCER_DEVICE,
        "type": "message",
        "sender": "alice",
        "body": body,
    }
    head, tail = json.dumps(frame, separators=(",", ":")).split("\\u0000")
    return head, tail


_HEAD, _TAIL = _frame_parts()


def message_frame(message_id: int) -> str:
    """One realistic ``message`` frame (about 475 bytes) with the given id."""
    return f"{_HEAD}{message_id}{_TAIL}"


def _server_frame(text: str) -> bytes:
    """An unmasked, unfragmented server-to-client text frame."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


def _producer_main(pipe: Any, count: int, lifetime: float) -> None:
    """Child process: serve until the parent goes away, ``lifetime`` runs out, or SIGTERM.

    ``websockets`` does the handshake and reads what the client sends; the N message frames
    are written straight to the socket in batches of pre-built frames, because
    ``ServerConnection.send()`` costs about 25 µs a frame here and would cap the stream near
    40 000 msg/s, below what the tuned raw reader takes in (it would be the bottleneck).
    """
    from websockets.exceptions import ConnectionClosed  # noqa: PLC0415 (child only)
    from websockets.sync.server import serve  # noqa: PLC0415 (child only)

    pong = _server_frame(PONG)

    def handler(ws: Any) -> None:
        try:
            ws.recv(timeout=10)  # the auth frame (its content is not checked)
            ws.send(AUTH_OK)
        except (ConnectionClosed, TimeoutError):
            return
        sock = ws.socket
        write_lock = threading.Lock()  # frames and pongs never interleave mid-frame

        def pump() -> None:
            try:
                for start in range(1, count + 1, _BATCH):
                    batch = b"".join(
                        _server_frame(message_frame(i))
                        for i in range(start, min(start + _BATCH, count + 1))
                    )
                    with write_lock:
                        sock.sendall(batch)
            except OSError:
                pass

        sender = threading.Thread(target=pump, daemon=True)
        sender.start()
        try:
            for text in ws:
                if isinstance(text, str) and '"ping"' in text:
                    with write_lock:
                        sock.sendall(pong)
        except (ConnectionClosed, OSError):
            pass
        sender.join(5)

    with serve(handler, HOST, 0, ping_interval=None, compression=None, max_queue=None) as server:
        port = server.socket.getsockname()[1]
        pipe.send(port)

        def watchdog() -> None:
            # Ends the child when the parent closes its end (or dies), or after ``lifetime``.
            pipe.poll(lifetime)
            server.shutdown()

        threading.Thread(target=watchdog, daemon=True).start()
        server.serve_forever()


@contextlib.contextmanager
def producer_process(count: int, lifetime: float = 300.0) -> Iterator[int]:
    """Start the producer in a separate (spawned) process; yield its port."""
    ctx = multiprocessing.get_context("spawn")
    parent_end, child_end = ctx.Pipe()
    proc = ctx.Process(
        target=_producer_main, args=(child_end, count, lifetime), name="bench-producer"
    )
    proc.daemon = True
    proc.start()
    child_end.close()
    try:
        if not parent_end.poll(20):
            raise RuntimeError("the producer did not start within 20 s")
        yield int(parent_end.recv())
    finally:
        parent_end.close()  # the child's watchdog sees EOF and shuts the server down
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


def producer_auth_frame() -> str:
    return json.dumps(
        {
            "appId": PRODUCER_APP_ID,
            "deviceId": "RAW-READER",
            "type": "auth",
            "sender": PRODUCER_UID,
            "body": {"auth": "jwt", "deviceId": "RAW-READER"},
        },
        separators=(",", ":"),
    )


def producer_client(port: int, **settings: Any) -> CometChatClient:
    """A manual-mode client whose stored session points the socket at the producer; no REST
    call is ever made (the client host is an unused ``http://127.0.0.1:1``)."""
    store = MemorySessionStore(PRODUCER_APP_ID)
    store.save(
        Session(
            uid=PRODUCER_UID,
            auth_token="bench-token",
            jwt="bench-jwt",
            user={"uid": PRODUCER_UID, "name": "Bob"},
            settings={"CHAT_HOST": HOST, "CHAT_WSS_PORT": str(port)},
        )
    )
    builder = (
        AppSettingsBuilder()
        .override_client_host("http://127.0.0.1:1")
        .override_admin_host("http://127.0.0.1:1")
        .auto_establish_socket_connection(False)
        .set_session_store(store)
    )
    for name, value in settings.items():
        getattr(builder, name)(value)
    return CometChatClient(PRODUCER_APP_ID, builder.build())


class Counter:
    """Counts ``on_text_message_received`` calls; records the first and the ``count``-th
    arrival time and calls ``at`` hooks at given counts (all on the dispatcher thread)."""

    def __init__(self, count: int, at: Optional[dict[int, Callable[[], None]]] = None) -> None:
        self.count = count
        self.n = 0
        self.first = 0.0
        self.last = 0.0
        self.done = threading.Event()
        self._at = at or {}
        self.listener = MessageListener(on_text_message_received=self._on_text)

    def _on_text(self, _message: Any) -> None:
        self.n += 1
        n = self.n
        if n == 1:
            self.first = time.perf_counter()
        hook = self._at.get(n)
        if hook is not None:
            hook()
        if n == self.count:
            self.last = time.perf_counter()
            self.done.set()
