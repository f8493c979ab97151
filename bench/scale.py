"""Many clients in one process, against the selector frame server (``_frame_server.py``).

Each SDK figure is timed beside a one-thread ``selectors`` reference over raw sockets (the
same server, the same frames), interleaved run by run:

1. connect N clients (``connect()`` called from a small pool of benchmark threads) beside a
   selector doing non-blocking connect + upgrade + auth for N sockets;
2. one group message to N clients, from the server's write to the last listener call, beside
   the selector reading the N sockets;
3. total throughput of S streams (every connection streams the same number of frames) beside
   one selector thread parsing S raw sockets (``json.loads`` of each frame);
4. N clients connected and idle: SDK threads (named ``cometchat-*``), RSS per client, the CPU of
   the process, with the curve of threads and RSS as clients are added.

Clients are the producer-session clients of ``_common.py`` (manual mode, no REST).

    python bench/scale.py [--clients 500] [--streams 300] [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import gc
import json
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Optional

from _common import add_wait_quiet
from _common import machine_line
from _common import median
from _common import print_table
from _common import producer_auth_frame
from _common import producer_client
from _common import rss_bytes
from _common import wait_quiet
from _frame_server import FrameServer
from _frame_server import frame_server
from _frame_server import raise_nofile
from _wsraw import FrameParser
from _wsraw import client_frame
from _wsraw import upgrade_request

from cometchat_sync import CometChatClient
from cometchat_sync import MessageListener

PREFIX = "cometchat-"
KIB = 1024


def sdk_threads() -> int:
    """Threads of this process whose name starts with ``cometchat-``."""
    return sum(1 for t in threading.enumerate() if t.name.startswith(PREFIX))


class Arrivals:
    """Counts text messages over many clients; the monotonic ns of the ``target``-th."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.n = 0
        self.target = 0
        self.first_ns = 0
        self.last_ns = 0
        self.done = threading.Event()
        self.listener = MessageListener(on_text_message_received=self._on_text)

    def expect(self, target: int) -> None:
        with self._lock:
            self.n, self.target, self.first_ns, self.last_ns = 0, target, 0, 0
            self.done.clear()

    def _on_text(self, _message: Any) -> None:
        now = time.monotonic_ns()
        with self._lock:
            self.n += 1
            if self.n == 1:
                self.first_ns = now
            if self.n == self.target:
                self.last_ns = now
                self.done.set()


# -- SDK clients ---------------------------------------------------------------------------------


def _pool(n: int) -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(min(32, max(1, n)), "bench-pool")


def make_clients(port: int, n: int, listener: Optional[MessageListener]) -> list[CometChatClient]:
    clients = [producer_client(port) for _ in range(n)]
    if listener is not None:
        for client in clients:
            client.add_message_listener("bench", listener)
    return clients


def connect_all(clients: list[CometChatClient], timeout: float = 60.0) -> float:
    """Connect every client (``connect()`` from a pool of 32 benchmark threads); seconds."""
    started = time.perf_counter()
    with _pool(len(clients)) as pool:
        for future in [pool.submit(c.connect, timeout) for c in clients]:
            future.result(timeout + 5)
    return time.perf_counter() - started


def close_all(clients: list[CometChatClient]) -> None:
    with _pool(len(clients)) as pool:
        for future in [pool.submit(c.close) for c in clients]:
            with contextlib.suppress(Exception):
                future.result(30)


@contextlib.contextmanager
def connected_clients(
    port: int, n: int, listener: Optional[MessageListener] = None
) -> Iterator[list[CometChatClient]]:
    clients = make_clients(port, n, listener)
    try:
        connect_all(clients)
        yield clients
    finally:
        close_all(clients)


# -- the selector references -----------------------------------------------------------------------


class _Raw:
    __slots__ = ("accept", "head", "parser", "request", "sock", "state")

    def __init__(self, sock: socket.socket, request: bytes, accept: bytes) -> None:
        self.sock = sock
        self.state = "connecting"
        self.head = b""
        self.parser = FrameParser()
        self.request = request
        self.accept = accept


def selector_connect(
    host: str, port: int, n: int, timeout: float = 60.0
) -> tuple[float, list[_Raw]]:
    """One thread: non-blocking connect + upgrade + auth of ``n`` sockets; (seconds, sockets)."""
    auth = client_frame(producer_auth_frame())
    sel = selectors.DefaultSelector()
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    raws: list[_Raw] = []
    for _ in range(n):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect_ex((host, port))
        request, accept = upgrade_request(host, port)
        raw = _Raw(sock, request, accept)
        raws.append(raw)
        sel.register(sock, selectors.EVENT_WRITE, raw)
    left = n
    try:
        while left:
            if time.monotonic() > deadline:
                raise RuntimeError(f"selector connect: {left} of {n} not done in {timeout} s")
            for key, _ in sel.select(1.0):
                raw = key.data
                if raw.state == "connecting":
                    raw.sock.send(raw.request)
                    raw.state = "upgrading"
                    sel.modify(raw.sock, selectors.EVENT_READ, raw)
                    continue
                data = raw.sock.recv(65536)
                if not data:
                    raise RuntimeError("the server closed a reference socket")
                if raw.state == "upgrading":
                    raw.head += data
                    if b"\r\n\r\n" not in raw.head:
                        continue
                    answer, data = raw.head.split(b"\r\n\r\n", 1)
                    if raw.accept not in answer:
                        raise RuntimeError("bad upgrade answer")
                    raw.sock.send(auth)
                    raw.state = "auth"
                for _, payload in raw.parser.feed(data):
                    if raw.state == "auth" and b'"auth"' in payload:
                        raw.state = "open"
                        sel.unregister(raw.sock)
                        left -= 1
                        break
    except BaseException:
        close_raw(raws)
        raise
    finally:
        sel.close()
    return time.perf_counter() - started, raws


def close_raw(raws: list[_Raw]) -> None:
    for raw in raws:
        raw.sock.close()


def selector_read(raws: list[_Raw], total: int, timeout: float = 120.0) -> tuple[int, int]:
    """One thread reads every socket, parses each text frame with ``json.loads`` until
    ``total`` frames; (monotonic ns of the first, of the last)."""
    sel = selectors.DefaultSelector()
    for raw in raws:
        raw.sock.setblocking(False)
        sel.register(raw.sock, selectors.EVENT_READ, raw)
    loads = json.loads
    n, first, last = 0, 0, 0
    deadline = time.monotonic() + timeout
    try:
        while n < total:
            if time.monotonic() > deadline:
                raise RuntimeError(f"selector read: {n} of {total} frames in {timeout} s")
            for key, _ in sel.select(1.0):
                raw = key.data
                data = raw.sock.recv(262144)
                if not data:
                    raise RuntimeError("the server closed a reference socket")
                for opcode, payload in raw.parser.feed(data):
                    if opcode == 1:
                        loads(payload)
                        n += 1
                if n and not first:
                    first = time.monotonic_ns()
            last = time.monotonic_ns()
    finally:
        for raw in raws:
            sel.unregister(raw.sock)
        sel.close()
    return first, last


# -- the figures ---------------------------------------------------------------------------------


def connect_figure(server: FrameServer, n: int, runs: int) -> dict[str, list[float]]:
    """Seconds to connect ``n`` clients (SDK) and ``n`` sockets (selector), interleaved."""
    out: dict[str, list[float]] = {"sdk": [], "ref": []}
    for _ in range(runs):
        elapsed, raws = selector_connect(server.host, server.port, n)
        close_raw(raws)
        out["ref"].append(elapsed)
        clients = make_clients(server.port, n, None)
        try:
            out["sdk"].append(connect_all(clients))
        finally:
            close_all(clients)
    return out


def group_figure(server: FrameServer, n: int, runs: int) -> dict[str, list[float]]:
    """Seconds from the server's broadcast of one group message to the last of ``n``
    listener calls (SDK) or frames parsed (selector), interleaved."""
    out: dict[str, list[float]] = {"sdk": [], "ref": []}
    arrivals = Arrivals()
    with connected_clients(server.port, n, arrivals.listener):
        _, raws = selector_connect(server.host, server.port, n)
        try:
            for _ in range(runs):
                arrivals.expect(n)
                t0, _ = server.command("broadcast", "sdk")
                if not arrivals.done.wait(60):
                    raise RuntimeError(f"group message: {arrivals.n} of {n} within 60 s")
                out["sdk"].append((arrivals.last_ns - t0) / 1e9)
                t0, _ = server.command("broadcast", "raw")
                _, last = selector_read(raws, n)
                out["ref"].append((last - t0) / 1e9)
        finally:
            close_raw(raws)
    return out


def streams_figure(
    server: FrameServer, streams: int, per: int, runs: int
) -> dict[str, list[float]]:
    """Messages/s over ``streams`` connections each sent ``per`` frames, SDK and selector."""
    out: dict[str, list[float]] = {"sdk": [], "ref": []}
    total = streams * per
    for _ in range(runs):
        _, raws = selector_connect(server.host, server.port, streams)
        try:
            server.command("stream_all", per)
            first, last = selector_read(raws, total)
            out["ref"].append(total / ((last - first) / 1e9))
        finally:
            close_raw(raws)
        arrivals = Arrivals()
        with connected_clients(server.port, streams, arrivals.listener):
            arrivals.expect(total)
            server.command("stream_all", per)
            if not arrivals.done.wait(300):
                raise RuntimeError(f"streams: {arrivals.n} of {total} within 300 s")
            out["sdk"].append(total / ((arrivals.last_ns - arrivals.first_ns) / 1e9))
    return out


def idle_figure(server: FrameServer, n: int, steps: int, idle: float) -> dict[str, Any]:
    """``n`` clients added in ``steps`` steps: (clients, SDK threads, RSS growth) after each
    step; then idle for ``idle`` s: CPU, RSS per client, and the most SDK threads seen (after
    each step and at the end; every ``cometchat-*`` thread of the process: the budget is for
    the process, and idle pool workers end after a while)."""
    gc.collect()
    base_rss, base_threads = rss_bytes(), sdk_threads()
    curve: list[tuple[int, int, int]] = [(0, base_threads, base_rss)]
    clients: list[CometChatClient] = []
    try:
        for step in range(1, steps + 1):
            batch = make_clients(server.port, n * step // steps - len(clients), None)
            clients += batch
            connect_all(batch)
            time.sleep(0.2)
            gc.collect()
            curve.append((len(clients), sdk_threads(), rss_bytes()))
        connected = sum(1 for c in clients if c.get_connection_status().value == "connected")
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(idle)
        cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        threads = sdk_threads()
        rss = rss_bytes()
    finally:
        close_all(clients)
    return {
        "clients": n,
        "connected": connected,
        "threads": max(threads, *(t for _, t, _ in curve)),
        "rss_per_client": (rss - base_rss) / max(1, n),
        "idle_cpu": cpu,
        "curve": [(c, t, r - base_rss) for c, t, r in curve],
    }


def threads_per_client(server: FrameServer, probe: int = 10) -> float:
    """SDK threads each added client adds: connect ``probe`` clients, then ``probe`` more,
    and divide the difference (a shared engine adds none once its pools are started)."""
    with connected_clients(server.port, probe):
        time.sleep(0.1)
        first = sdk_threads()
        with connected_clients(server.port, probe):
            time.sleep(0.1)
            return (sdk_threads() - first) / probe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500, help="clients for 1, 2 and 4")
    parser.add_argument("--streams", type=int, default=300, help="streams for 3")
    parser.add_argument("--per-stream", type=int, default=500, help="frames per stream")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100 clients, 50 streams, 1 run")
    add_wait_quiet(parser)
    args = parser.parse_args()
    if args.quick:
        args.clients, args.streams, args.per_stream, args.runs = 100, 50, 200, 1
    print(f"scale: {args.clients} clients, {args.streams} streams; {machine_line()}")
    print(f"RLIMIT_NOFILE raised to {raise_nofile()}")
    wait_quiet(args.wait_quiet)
    with frame_server() as server:
        con = connect_figure(server, args.clients, args.runs)
        grp = group_figure(server, args.clients, args.runs)
        stm = streams_figure(server, args.streams, args.per_stream, args.runs)
        idle = idle_figure(server, args.clients, 4, 3.0)
    rows: list[tuple[str, float, float]] = [
        ("connect N clients, s", median(con["sdk"]), median(con["ref"])),
        ("group message to N, last listener, s", median(grp["sdk"]), median(grp["ref"])),
        ("total msg/s over S streams", median(stm["sdk"]), median(stm["ref"])),
    ]
    print_table(
        "SDK beside the selector reference (medians)",
        ["figure", "SDK", "reference", "ratio"],
        [[name, f"{ours:.4g}", f"{ref:.4g}", f"{ours / ref:.2f}"] for name, ours, ref in rows],
    )
    print(
        f"\n{idle['clients']} clients idle: {idle['threads']} SDK threads, "
        f"{idle['rss_per_client'] / KIB:.1f} KiB RSS per client, "
        f"{idle['idle_cpu']:.2%} of a core"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
