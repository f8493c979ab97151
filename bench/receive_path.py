"""Receive path: CPU per message of each stage after the socket, in this process, no threads.

``throughput.py`` measures the whole path over a real socket, with two processes and three
threads, so its figures move by ±15 % from run to run on a shared machine. This script takes
the socket and the threads out and times, in process CPU time, the stages the reader and the
dispatcher run for each message, on the same realistic ``message`` frame (``_common.py``):

* ``json.loads``: the reference, the least any Python reader pays for a frame;
* ``+ wire trace check``: the disabled wire trace's level check, as the reader pays it;
* ``+ route``: the frame router (echo check, typed model, listener method);
* ``+ deliver``: the ledger (no doubles) and the call of one ``MessageListener`` method.

Each stage is timed on ``--count`` frames, best of ``--runs`` runs, and printed beside the
reference from the same run.

    python bench/receive_path.py [--count 200000] [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any
from typing import Callable

from _common import PRODUCER_UID
from _common import add_wait_quiet
from _common import machine_line
from _common import message_frame
from _common import print_table
from _common import wait_quiet

from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync.connection.wire_trace import trace
from cometchat_sync.events.delivery import Delivery
from cometchat_sync.events.router import route


class _Count(MessageListener):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_text_message_received(self, message: TextMessage) -> None:
        self.count += 1


Stage = tuple[str, Callable[[str], Any], Callable[[], None]]


def _stages(listener: _Count) -> list[Stage]:
    """Each stage: its name, what it does per frame, and what it resets before a run."""
    delivery = Delivery(lambda: "bench", PRODUCER_UID)
    delivery.registry(MessageListener).add("count", listener)

    def parse(text: str) -> Any:
        return json.loads(text)

    def traced(text: str) -> Any:
        trace("<", text)
        return json.loads(text)

    def routed(text: str) -> Any:
        trace("<", text)
        return route(json.loads(text), "bench-resource", own_uid=PRODUCER_UID)

    def delivered(text: str) -> None:
        trace("<", text)
        for event in route(json.loads(text), "bench-resource", own_uid=PRODUCER_UID):
            delivery._deliver(event, 0, live=True)  # session generation 0: the first

    def nothing() -> None:
        pass

    def forget_delivered() -> None:  # else the ledger drops the next run as doubles
        delivery.ledger.reset(PRODUCER_UID)

    return [
        ("json.loads (reference)", parse, nothing),
        ("+ wire trace check", traced, nothing),
        ("+ route", routed, nothing),
        ("+ deliver (ledger, listener)", delivered, forget_delivered),
    ]


def _best(
    stage: Callable[[str], Any], reset: Callable[[], None], frames: list[str], runs: int
) -> float:
    best = float("inf")
    for _ in range(runs):
        reset()
        started = time.process_time()
        for text in frames:
            stage(text)
        best = min(best, time.process_time() - started)
    return best / len(frames)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="frames per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per stage (the best counts)")
    parser.add_argument("--quick", action="store_true", help="50 000 frames, 3 runs")
    add_wait_quiet(parser)
    args = parser.parse_args()
    if args.quick:
        args.count, args.runs = 50_000, 3
    print(machine_line())
    wait_quiet(args.wait_quiet)
    frames = [message_frame(i) for i in range(1, args.count + 1)]
    listener = _Count()
    rows = []
    reference = None
    for name, stage, reset in _stages(listener):
        per_message = _best(stage, reset, frames, args.runs)
        reference = reference or per_message
        rows.append((name, f"{per_message * 1e6:.2f}", f"{per_message / reference:.2f} x"))
    assert listener.count == args.count * args.runs, "each run delivered every message once"
    print_table(
        f"CPU per message, best of {args.runs} runs of {args.count:,} frames",
        ["stage (cumulative)", "µs/msg", "vs json.loads"],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
