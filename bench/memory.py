"""Memory: RSS of the client process while 100 000 messages are delivered.

The producer of ``throughput.py`` (a separate process) sends ``--warmup`` + ``--count``
messages to a manual-mode client in this process. The RSS of this process
(``/proc/self/statm``) is sampled in the listener every 10 000 messages, and again once the
last one is delivered and the client has settled, together with ``sys.getallocatedblocks()``
(live Python objects, blind to allocator fragmentation). The figure that matters is the growth
from the end of the warm-up to the end: it should be flat. The growth over the second half is
printed too: it tells a leak (it keeps growing) from a bounded cache filling up.

    python bench/memory.py [--count 100000] [--warmup 10000] [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

from _common import Counter
from _common import add_wait_quiet
from _common import machine_line
from _common import median
from _common import print_table
from _common import producer_client
from _common import producer_process
from _common import rss_bytes
from _common import verdict
from _common import wait_quiet

STEP = 10_000
MIB = 1024 * 1024


def run(port: int, warmup: int, count: int) -> dict[int, tuple[int, int]]:
    """(RSS bytes, allocated blocks) after each STEP messages, after the warm-up and at the
    middle of the measured part; key -1: after the run settled."""
    total = warmup + count
    samples: dict[int, tuple[int, int]] = {}

    def sample(n: int) -> None:
        samples[n] = (rss_bytes(), sys.getallocatedblocks())

    points = {*range(STEP, total + 1, STEP), warmup, warmup + count // 2, total}
    marks = {n: (lambda n=n: sample(n)) for n in points}
    counter = Counter(total, at=marks)
    client = producer_client(port)
    client.add_message_listener("bench", counter.listener)
    try:
        client.connect(timeout=10)
        if not counter.done.wait(120):
            raise RuntimeError(f"only {counter.n} of {total} messages within 120 s")
        time.sleep(0.5)  # the reader and the dispatcher are idle now
        gc.collect()
        samples[-1] = (rss_bytes(), sys.getallocatedblocks())
    finally:
        client.close()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages after warm-up")
    parser.add_argument("--warmup", type=int, default=10_000, help="warm-up messages")
    parser.add_argument("--runs", type=int, default=3, help="runs (fresh client each)")
    parser.add_argument("--quick", action="store_true", help="one run")
    add_wait_quiet(parser)
    args = parser.parse_args()
    runs = 1 if args.quick else max(1, args.runs)
    total = args.warmup + args.count
    print(f"memory: {args.warmup} warm-up + {args.count} messages, {runs} run(s); {machine_line()}")
    wait_quiet(args.wait_quiet)
    start_rss = rss_bytes()
    results = []
    with producer_process(total) as port:
        for _ in range(runs):
            results.append(run(port, args.warmup, args.count))

    middle = args.warmup + args.count // 2
    rows = []
    growths, late_growths, block_growths = [], [], []
    for i, samples in enumerate(results, 1):
        (at_warmup, blocks_warmup), (at_end, blocks_end) = samples[args.warmup], samples[total]
        growths.append(at_end - at_warmup)
        late_growths.append(at_end - samples[middle][0])
        block_growths.append(blocks_end - blocks_warmup)
        curve = " ".join(
            f"{samples[n][0] / MIB:.1f}" for n in sorted(samples) if n > 0 and n % STEP == 0
        )
        rows.append(
            [
                f"run {i}",
                f"{at_warmup / MIB:.1f}",
                f"{at_end / MIB:.1f}",
                f"{(at_end - at_warmup) / MIB:+.1f}",
                f"{(at_end - samples[middle][0]) / MIB:+.1f}",
                f"{blocks_end - blocks_warmup:+,}",
                f"{samples[-1][0] / MIB:.1f}",
                curve,
            ]
        )
    print(f"RSS before the first run: {start_rss / MIB:.1f} MiB")
    print_table(
        "RSS of the client process, MiB",
        [
            "run",
            f"after {args.warmup}",
            f"after {total}",
            "growth",
            f"growth {middle}-{total}",
            "Python blocks growth",
            "settled",
            f"every {STEP} messages",
        ],
        rows,
    )
    growth, late = median(growths), median(late_growths)
    print(
        f"\nmedian RSS growth over {args.count} messages after warm-up: {growth / MIB:+.2f} MiB "
        f"({growth / args.count:+.1f} bytes/message); over the second half: "
        f"{late / MIB:+.2f} MiB; Python blocks: {median(block_growths):+,.0f}"
    )
    blocks = median(block_growths)
    print(f"RSS flat after the warm-up (under 1 MiB): {verdict(growth < MIB)}")
    print(f"RSS flat over the second half (under 1 MiB): {verdict(late < MIB)}")
    print(
        f"live Python blocks flat after the warm-up (under 20 000, i.e. no leak of one object "
        f"per 5 messages): {verdict(blocks < 20_000)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
