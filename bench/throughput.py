"""Throughput: text messages per second delivered to a ``MessageListener``.

A producer in a separate process (a minimal ``websockets.sync.server``, see ``_common.py``)
answers the auth frame and then sends N realistic ``message`` frames of about 480 bytes. In the
same run, against the same producer, these readers take turns:

* ``bytes``: the producer's ceiling: websocket-client does the handshake, then the frames are
  drained from the socket in 1 MiB reads without parsing (checks that the producer is not the
  bottleneck);
* ``raw``: websocket-client alone, ``create_connection(url, skip_utf8_validation=True)``, then
  ``recv()`` + ``json.loads`` of N frames (the tuned reference loop, see ``docs/benchmarks.md``);
* ``sdk``: a manual-mode ``CometChatClient`` connected to the producer (no REST), counting
  ``on_text_message_received`` calls until N;
* ``raw-utf8`` (contrast only, ``--utf8-contrast``, on a tenth of N since it is slow): the raw
  loop with websocket-client's default pure-Python UTF-8 validator.

Rates are taken from the first to the N-th message (the producer has filled the socket
buffers by then, so the reader is never starved). Medians of ``--runs`` runs.

    python bench/throughput.py [--count 50000] [--runs 3] [--quick] [--utf8-contrast]
"""

from __future__ import annotations

import argparse
import json
import time

import websocket
from _common import Counter
from _common import add_wait_quiet
from _common import machine_line
from _common import median
from _common import message_frame
from _common import print_table
from _common import producer_auth_frame
from _common import producer_client
from _common import producer_process
from _common import verdict
from _common import wait_quiet


def producer_ceiling(port: int, count: int) -> float:
    """Messages/s the producer delivers to a reader that does not parse at all."""
    expected = sum(len(message_frame(i)) + 4 for i in range(1, count + 1))
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}", timeout=30)
    try:
        ws.send(producer_auth_frame())
        ws.recv()  # the auth answer (websocket-client reads no byte past it)
        sock = ws.sock
        got = len(sock.recv(1 << 20))
        first = time.perf_counter()
        while got < expected:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("the producer closed early")
            got += len(chunk)
        elapsed = time.perf_counter() - first
    finally:
        ws.close(timeout=1)
    return count / elapsed


def raw_run(port: int, count: int, *, validate_utf8: bool = False) -> tuple[float, float]:
    """(messages/s, client CPU µs per message) of the plain websocket-client loop."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}", skip_utf8_validation=not validate_utf8, timeout=30
    )
    try:
        ws.send(producer_auth_frame())
        json.loads(ws.recv())  # the auth answer
        loads, recv = json.loads, ws.recv
        loads(recv())
        first = time.perf_counter()
        cpu0 = time.process_time()
        for _ in range(count - 1):
            loads(recv())
        elapsed = time.perf_counter() - first
        cpu = time.process_time() - cpu0
    finally:
        ws.close(timeout=1)
    return (count - 1) / elapsed, cpu / (count - 1) * 1e6


def sdk_run(port: int, count: int, timeout: float = 60.0) -> tuple[float, float]:
    """(messages/s, client CPU µs per message) delivered to a MessageListener by the SDK."""
    client = producer_client(port)
    counter = Counter(count)
    client.add_message_listener("bench", counter.listener)
    try:
        cpu0 = time.process_time()
        client.connect(timeout=10)
        if not counter.done.wait(timeout):
            raise RuntimeError(f"only {counter.n} of {count} messages within {timeout} s")
        cpu = time.process_time() - cpu0
    finally:
        client.close()
    return (count - 1) / (counter.last - counter.first), cpu / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per reader")
    parser.add_argument(
        "--utf8-contrast",
        action="store_true",
        help="also time the raw loop with the default UTF-8 validator",
    )
    add_wait_quiet(parser, 10.0)
    parser.add_argument("--quick", action="store_true", help="20 000 messages, 3 runs")
    args = parser.parse_args()
    if args.quick:
        args.count = 20_000
    count, runs = args.count, max(1, args.runs)

    size = len(message_frame(count))
    print(f"throughput: {count} messages of {size} bytes per run, {runs} runs; {machine_line()}")
    wait_quiet(args.wait_quiet)
    ceiling: list[float] = []
    results: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": [], "raw-utf8": []}
    with producer_process(count) as port:
        for _ in range(runs):  # interleaved, so drift hits every reader alike
            ceiling.append(producer_ceiling(port, count))
            results["raw"].append(raw_run(port, count))
            results["sdk"].append(sdk_run(port, count))
            if args.utf8_contrast:
                results["raw-utf8"].append(
                    raw_run(port, max(1000, count // 10), validate_utf8=True)
                )

    rows = [
        [
            "bytes (producer ceiling)",
            f"{median(ceiling):,.0f}",
            " ".join(f"{r:,.0f}" for r in ceiling),
            "-",
        ]
    ]
    for name, runs_of in results.items():
        if not runs_of:
            continue
        rates = [r for r, _ in runs_of]
        rows.append(
            [
                name,
                f"{median(rates):,.0f}",
                " ".join(f"{r:,.0f}" for r in rates),
                f"{median([c for _, c in runs_of]):.1f}",
            ]
        )
    print_table(
        "messages/s (median of runs)",
        ["reader", "median msg/s", "runs", "client CPU µs/msg"],
        rows,
    )
    raw = median([r for r, _ in results["raw"]])
    sdk = median([r for r, _ in results["sdk"]])
    ratio = sdk / raw
    top = median(ceiling)
    print(
        f"\nproducer ceiling {top:,.0f} msg/s = {top / raw:.0f} x the raw reader: "
        f"{'the producer is not the bottleneck' if top >= 3 * raw else 'PRODUCER-BOUND'}"
    )
    if raw < 80_000:
        print(
            f"raw reader: {raw:,.0f} msg/s, below the ~100 000 measured earlier on this kind of "
            "machine; it is bound by its own CPU per message (see the last column), not by the "
            "producer"
        )
    print(f"SDK / raw = {ratio:.2f} (target >= 0.80: {verdict(ratio >= 0.8)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
