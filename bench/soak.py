"""Soak: one client for a while under a random mix of faults, while another user sends to it.

    python bench/soak.py                   # 30 minutes (the figures in docs/reliability.md)
    python bench/soak.py --duration 60     # one minute (what CI runs, as a test)

The receiver (``superhero1``, auto mode, small timings) listens through a ``FaultProxy`` in
front of an in-process emulator. A sender (``superhero2``) sends numbered text messages to it
over REST at ``--rate`` per second, plus messages the receiver must never see (to
``superhero3``, and to a group the receiver is not in). Every few seconds one fault is played:

* ``cut_fin`` / ``cut_rst``: the proxy ends the live link with a FIN or a reset;
* ``blackhole``: the proxy forwards nothing for a few seconds (a silent dead path);
* ``refuse``: the link is cut and new connections are reset for a few seconds;
* ``restart``: the emulator stops and starts again on the same ports (REST fails meanwhile);
* ``jwt_expiry``: every JWT expires, then the link is cut (the reconnect must renew it);
* ``failed_catch_up``: the link is cut and the next REST calls answer 500 (the catch-up fails
  and must be retried);
* ``slow_listener``: the listener takes 10 ms per message for a few seconds.

At the end the faults stop and the receiver gets a bounded time to catch up. The report:
messages lost, doubled, misdelivered and out of order (all must be 0), reconnects, the p50 and
p99 of recovery (fault over -> connected), SDK threads and open descriptors at start and end
(equal), with ``--trace-heap`` the SDK's own heap at start and end (tracemalloc: allocations
with an SDK frame on the stack, the emulator's left out), and the process RSS (which also
counts the emulator's store of every message). ``--json`` prints it as one JSON object; the
exit status is 1 when anything was lost, doubled, misdelivered or out of order, or a thread
or descriptor leaked.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import threading
import time
import tracemalloc
from collections import Counter
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import percentile

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ConnectionListener
from cometchat_sync import Group
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing import emulator_settings

RECEIVER, SENDER, OTHER = "superhero1", "superhero2", "superhero3"
GROUP = "soak-outsiders"
FAULTS = (
    "cut_fin",
    "cut_rst",
    "blackhole",
    "refuse",
    "restart",
    "jwt_expiry",
    "failed_catch_up",
    "slow_listener",
)


@dataclass
class Report:
    duration_s: float
    sent: int = 0
    received: int = 0
    lost: int = 0
    doubled: int = 0
    misdelivered: int = 0
    out_of_order: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    recovery_p50_s: float = 0.0
    recovery_p99_s: float = 0.0
    recovery_max_s: float = 0.0
    threads_start: int = 0
    threads_end: int = 0
    fds_start: int = 0
    fds_end: int = 0
    rss_start_mib: float = 0.0
    rss_end_mib: float = 0.0
    sdk_heap_start_kib: float = 0.0
    sdk_heap_end_kib: float = 0.0
    caught_up_s: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)

    def failed(self) -> list[str]:
        problems = [
            name
            for name in ("lost", "doubled", "misdelivered", "out_of_order")
            if getattr(self, name)
        ]
        # The engine's threads come and go with the work (idle dispatch workers end after
        # 5 s, the dial loop 2 s after its last attempt), so a leak shows as more threads
        # than the engine ever runs, or as descriptors that grow with the faults (the
        # engine's wake-up pairs and pooled REST connections account for a few).
        if self.threads_end > ENGINE_THREADS:
            problems.append("threads")
        if self.fds_end - self.fds_start > SPARE_FDS:
            problems.append("descriptors")
        return problems


class Inbox(MessageListener):
    """Records the numbers of the sender's messages in arrival order, and counts the ones
    that must not come; sleeps per message while ``slow``. It keeps nothing the SDK made
    (only ints and counts), so the SDK's heap figure is the SDK's own."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.numbers: list[int] = []  # the sender's sequence numbers, in arrival order
        self.ids: list[int] = []  # the server's message ids, in arrival order
        self.misdelivered = 0
        self.slow = False
        self.changed = threading.Condition(self.lock)

    def on_text_message_received(self, message: TextMessage) -> None:
        if self.slow:
            time.sleep(0.01)
        text = message.text
        with self.lock:
            if message.receiver_id != RECEIVER or not text.startswith("seq:"):
                self.misdelivered += 1
            else:
                self.numbers.append(int(text[4:]))
                self.ids.append(message.id)
            self.changed.notify_all()


class Links(ConnectionListener):
    """Times each return to ``connected`` after a fault."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Condition()
        self.connected = False
        self.connects = 0
        self.fault_over_at: Optional[float] = None
        self.recoveries: list[float] = []

    def on_connected(self) -> None:
        with self.lock:
            self.connected = True
            self.connects += 1
            if self.fault_over_at is not None:
                self.recoveries.append(time.monotonic() - self.fault_over_at)
                self.fault_over_at = None
            self.lock.notify_all()

    def on_disconnected(self) -> None:
        with self.lock:
            self.connected = False

    def fault_over(self) -> None:
        with self.lock:
            if not self.connected or self.fault_over_at is None:
                self.fault_over_at = time.monotonic()

    def wait_connected(self, timeout: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: self.connected, timeout)


#: The most SDK threads the engine runs (read loop, timer, dial loop, four dispatch workers).
ENGINE_THREADS = 7
#: Descriptors that may differ between two quiet moments: the dial loop's and the read
#: loop's wake-up pairs (while their threads run) and a few pooled REST connections.
SPARE_FDS = 8


def sdk_threads() -> int:
    """The SDK's own threads (the emulator's are named ``cometchat-emulator-*``)."""
    return sum(
        1
        for t in threading.enumerate()
        if t.name.startswith("cometchat-") and not t.name.startswith("cometchat-emulator")
    )


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def sdk_heap_kib() -> float:
    """Memory held by the SDK itself (tracemalloc, after a collection): live allocations
    made with an SDK frame on the stack, leaving out the emulator's and this script's (the
    process RSS also counts the emulator's store, which grows with every message)."""
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [
            tracemalloc.Filter(True, "*/cometchat_sync/*", all_frames=True),
            tracemalloc.Filter(False, "*/cometchat_sync/testing/*", all_frames=True),
            tracemalloc.Filter(False, "*/bench/*", all_frames=True),
        ]
    )
    return sum(stat.size for stat in snapshot.statistics("filename")) / 1024


def rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Sender(threading.Thread):
    """Sends numbered messages at ``rate`` per second over REST, retrying each until the
    server took it (a failed send created nothing, so nothing is counted twice)."""

    def __init__(self, client: CometChatClient, rate: float, rng: random.Random) -> None:
        super().__init__(name="soak-sender", daemon=True)
        self.client, self.rate, self.rng = client, rate, rng
        self.sent = 0
        self.decoys = 0
        self.stop = threading.Event()

    def run(self) -> None:
        period = 1.0 / self.rate
        next_at = time.monotonic()
        while not self.stop.is_set():
            if not self._send(TextMessage(RECEIVER, f"seq:{self.sent}")):
                break  # stopped before the server took it: not sent, not counted
            self.sent += 1
            if self.sent % 5 == 0:  # now and then, a message the receiver must never see
                target = (OTHER, "user") if self.decoys % 2 else (GROUP, "group")
                self._send(TextMessage(target[0], f"decoy:{self.decoys}", target[1]))
                self.decoys += 1
            next_at += period
            self.stop.wait(max(0.0, next_at - time.monotonic()))

    def _send(self, message: TextMessage) -> bool:
        """True once the server took ``message``; False when stopped before that."""
        while not self.stop.is_set():
            try:
                self.client.send_message(message)
                return True
            except CometChatException:
                self.stop.wait(0.05)  # the server is away or answered an injected 500
        return False


def play(
    fault: str, *, proxy: FaultProxy, emulator: Emulator, inbox: Inbox, rng: random.Random
) -> None:
    """Play one fault; returns when it is over (the network or server is back)."""
    hold = rng.uniform(0.5, 3.0)
    if fault == "cut_fin":
        proxy.cut()
    elif fault == "cut_rst":
        proxy.cut(rst=True)
    elif fault == "blackhole":
        proxy.blackhole()
        time.sleep(hold)
        proxy.pass_through()
    elif fault == "refuse":
        proxy.refuse()
        proxy.cut(rst=True)
        time.sleep(hold)
        proxy.pass_through()
    elif fault == "restart":
        emulator.stop()
        time.sleep(hold)
        emulator.start()
    elif fault == "jwt_expiry":
        emulator.expire_jwt(RECEIVER)
        proxy.cut()
    elif fault == "failed_catch_up":
        for _ in range(3):
            emulator.fail_next_request("ERR_INTERNAL", 500)
        proxy.cut()
    elif fault == "slow_listener":
        inbox.slow = True
        time.sleep(hold)
        inbox.slow = False
    else:
        raise ValueError(fault)


def run(duration: float, rate: float, seed: int, *, trace_heap: bool = False) -> Report:
    rng = random.Random(seed)
    if trace_heap:  # deep stacks: an SDK frame anywhere on them counts (slow: see --help)
        tracemalloc.start(32)
    report = Report(duration_s=duration)
    with Emulator() as emulator, FaultProxy("127.0.0.1", emulator.ws_port) as proxy:
        emulator.advertise_ws(proxy.host, proxy.port)
        settings = (
            emulator_settings(emulator)
            .set_ping_interval(1.0)
            .set_pong_timeout(0.5)
            .set_reconnect_backoff(0.05, 1.0)
            .set_probe_interval(0.2)
            .build()
        )
        receiver = CometChatClient(emulator.app_id, settings)
        sender_client = CometChatClient(
            emulator.app_id,
            emulator_settings(emulator).auto_establish_socket_connection(False).build(),
        )
        inbox, links = Inbox(), Links()
        receiver.add_message_listener("soak", inbox)
        receiver.add_connection_listener("soak", links)
        receiver.login(RECEIVER, emulator.auth_key)
        sender_client.login(SENDER, emulator.auth_key)
        sender_client.create_group(Group(GROUP, "Outsiders", "public"))
        assert links.wait_connected(10), "the receiver never connected"

        report.threads_start, report.fds_start = sdk_threads(), open_fds()
        report.rss_start_mib = rss_mib()
        if trace_heap:
            report.sdk_heap_start_kib = sdk_heap_kib()
        sender = Sender(sender_client, rate, rng)
        sender.start()
        faults: Counter[str] = Counter()
        end = time.monotonic() + duration
        while time.monotonic() < end:
            time.sleep(min(rng.uniform(1.0, 4.0), max(0.0, end - time.monotonic())))
            if time.monotonic() >= end:
                break
            fault = rng.choice(FAULTS)
            faults[fault] += 1
            play(fault, proxy=proxy, emulator=emulator, inbox=inbox, rng=rng)
            if fault != "slow_listener":
                links.fault_over()
            links.wait_connected(15)
        sender.stop.set()
        sender.join(10)
        proxy.pass_through()
        report.sent = sender.sent

        # The catch-up after the last fault: a bounded wait for every message.
        caught_from = time.monotonic()
        expected = set(range(sender.sent))
        with inbox.lock:
            inbox.changed.wait_for(lambda: expected <= set(inbox.numbers), timeout=60)
            numbers, ids = list(inbox.numbers), list(inbox.ids)
            report.misdelivered = inbox.misdelivered
        report.caught_up_s = time.monotonic() - caught_from
        report.faults = dict(faults)

        # By the server's ids: a send whose answer was lost (a restart) is sent again and
        # stored twice, two messages with one text; each must come once, in id order.
        report.received = len(set(ids))
        report.lost = len(expected - set(numbers))
        report.doubled = len(ids) - len(set(ids))
        report.out_of_order = sum(1 for a, b in zip(ids, ids[1:]) if b < a)
        report.reconnects = links.connects - 1
        if links.recoveries:
            report.recovery_p50_s = round(percentile(links.recoveries, 50), 3)
            report.recovery_p99_s = round(percentile(links.recoveries, 99), 3)
            report.recovery_max_s = round(max(links.recoveries), 3)
        stats = getattr(receiver, "stats", None)
        if callable(stats):
            snapshot = stats()
            report.stats = {
                name: value
                for name, value in vars(snapshot).items()
                if isinstance(value, (int, float)) and not isinstance(value, bool)
            }
        report.threads_end, report.fds_end = sdk_threads(), open_fds()
        report.rss_end_mib = rss_mib()
        if trace_heap:
            report.sdk_heap_end_kib = sdk_heap_kib()
        receiver.close()
        sender_client.close()
    report.sdk_heap_start_kib = round(report.sdk_heap_start_kib, 1)
    report.sdk_heap_end_kib = round(report.sdk_heap_end_kib, 1)
    report.rss_start_mib = round(report.rss_start_mib, 1)
    report.rss_end_mib = round(report.rss_end_mib, 1)
    report.caught_up_s = round(report.caught_up_s, 2)
    if trace_heap:
        tracemalloc.stop()
    return report


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=1800.0, help="seconds of faults (default 1800)"
    )
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the fault mix")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--trace-heap",
        action="store_true",
        help="also measure the SDK's own heap with tracemalloc (deep stacks make the whole "
        "process about twice as slow, and the last snapshot of a long run takes minutes: "
        "for runs of a few minutes)",
    )
    args = parser.parse_args(argv)
    report = run(args.duration, args.rate, args.seed, trace_heap=args.trace_heap)
    if args.json:
        print(json.dumps(asdict(report)))
    else:
        for key, value in asdict(report).items():
            print(f"{key:>16}: {value}")
    problems = report.failed()
    if problems:
        print("FAILED:", ", ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
