"""Memory of one queued event: what the dispatcher queue holds per message event while a
listener is slower than the traffic, to pick the default of ``set_max_queued_events``.

A ``Delivery`` whose dispatcher thread is held by a first item is fed ``--count`` realistic
``message`` frames (about 475 bytes each, the frame of ``_common.message_frame``) through its
real entry point, ``Delivery.frames``: JSON parsing (as the reader does), routing, model
building, the ledger's holds, the queued closure. ``tracemalloc`` measures what that adds, in
batches of one frame (the worst case: one closure per event) and of 16 frames. The queue bound
is raised so that nothing is deferred. No socket and no thread other than the dispatcher.

    python bench/event_size.py [--count 20000] [--wait-quiet 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import threading
import tracemalloc

from _common import add_wait_quiet
from _common import machine_line
from _common import message_frame
from _common import wait_quiet

from cometchat_sync.events.delivery import Delivery

MIB = 1024 * 1024
BUDGET = 64 * MIB


def per_event(count: int, batch: int) -> float:
    """Bytes the queue holds per queued message event."""
    delivery = Delivery(lambda: "cometchat-dispatch-bench", "me", max_queued_events=10 * count)
    release = threading.Event()
    entered = threading.Event()

    def hold() -> None:
        entered.set()
        release.wait(60)

    delivery.dispatcher.submit(hold)
    entered.wait(10)
    frames = [json.loads(message_frame(i)) for i in range(1, count + 1)]
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for i in range(0, count, batch):
        delivery.frames(frames[i : i + batch], "bench-resource", "me")
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    assert delivery.counters().queue_depth == count
    release.set()
    delivery.end_session(10)
    # The parsed frames were made before the measurement (json.loads runs on the reader):
    # add their size, as the queue keeps them alive too.
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    again = [json.loads(message_frame(i)) for i in range(1, 1001)]
    parsed = (tracemalloc.get_traced_memory()[0] - base) / len(again)
    tracemalloc.stop()
    return used / count + parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    add_wait_quiet(parser)
    args = parser.parse_args()
    print(machine_line())
    wait_quiet(args.wait_quiet)  # memory, not time: only for a like-for-like record
    for batch in (1, 16):
        size = per_event(args.count, batch)
        print(
            f"batch {batch:>2}: {size / 1024:.2f} KiB per queued event; "
            f"{BUDGET // int(size)} events fit in 64 MiB"
        )


if __name__ == "__main__":
    main()
