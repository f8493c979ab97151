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
* ``pure``: the single-thread pure-Python loop: a plain socket, the frames parsed by
  ``_wsraw.FrameParser`` from 256 KiB reads, ``json.loads`` of each (``pure-orjson``:
  ``orjson.loads``, when orjson is installed);
* ``raw-utf8`` (contrast only, ``--utf8-contrast``, on a tenth of N since it is slow): the raw
  loop with websocket-client's default pure-Python UTF-8 validator.

Rates are taken from the first to the N-th message (the producer has filled the socket
buffers by then, so the reader is never starved). Medians of ``--runs`` runs.

    python bench/throughput.py [--count 50000] [--runs 3] [--quick] [--utf8-contrast] [--json]

``--json`` prints one JSON object of every run's rate instead of the tables (for ``python -m
bench``, which runs this script twice: with orjson in the SDK and with
``COMETCHAT_SYNC_NO_SPEEDUPS=1``).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any
from typing import Callable

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
from _wsraw import blocking_connect


def producer_ceiling(port: int, count: int) -> float:
    """Messages/s the producer delivers to a reader that does not parse at all."""
    expected = sum(len(message_frame(i)) + 4 for i in range(1, count + 1))
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}", timeout=30)
    try:
        ws.send(producer_auth_frame())
        ws.recv()  # the auth answer (websocket-client reads no byte past it)
        sock = ws.sock
        assert sock is not None  # connected
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


def pure_run(
    port: int, count: int, loads: Callable[[Any], Any] = json.loads
) -> tuple[float, float]:
    """(messages/s, client CPU µs per message) of the single-thread pure-Python loop."""
    sock, parser, early = blocking_connect("127.0.0.1", port, producer_auth_frame(), 30)
    try:
        n = len(early)
        while not n:
            n = len(parser.feed(sock.recv(262144)))
        first = time.perf_counter()
        cpu0 = time.process_time()
        feed, recv = parser.feed, sock.recv
        while n < count:
            chunk = recv(262144)
            if not chunk:
                raise RuntimeError("the producer closed early")
            for _, payload in feed(chunk):
                loads(payload)
                n += 1
        elapsed = time.perf_counter() - first
        cpu = time.process_time() - cpu0
    finally:
        sock.close()
    return (count - 1) / elapsed, cpu / (count - 1) * 1e6


def _orjson_loads() -> Any:
    try:
        import orjson  # noqa: PLC0415 (optional)
    except ImportError:
        return None
    return orjson.loads


READERS = ("ceiling", "raw", "sdk", "pure", "pure-orjson")


def measure(
    count: int, runs: int, utf8_contrast: bool = False, readers: tuple[str, ...] = READERS
) -> dict[str, Any]:
    """Every reader (of ``readers``) ``runs`` times, interleaved, against one producer; rates
    in msg/s.

    Returns ``{"ceiling": [...], "raw": [(msg/s, µs CPU/msg), ...], "sdk": [...],
    "pure": [...], "pure-orjson": [...] (empty without orjson), "raw-utf8": [...],
    "speedups": whether the SDK parses with orjson}``.
    """
    from cometchat_sync import _json  # noqa: PLC0415 (what the SDK parses with)

    orjson_loads = _orjson_loads()
    ceiling: list[float] = []
    results: dict[str, list[tuple[float, float]]] = {
        "raw": [],
        "sdk": [],
        "pure": [],
        "pure-orjson": [],
        "raw-utf8": [],
    }
    with producer_process(count) as port:
        for _ in range(runs):  # interleaved, so drift hits every reader alike
            if "ceiling" in readers:
                ceiling.append(producer_ceiling(port, count))
            if "raw" in readers:
                results["raw"].append(raw_run(port, count))
            if "sdk" in readers:
                results["sdk"].append(sdk_run(port, count))
            if "pure" in readers:
                results["pure"].append(pure_run(port, count))
            if orjson_loads is not None and "pure-orjson" in readers:
                results["pure-orjson"].append(pure_run(port, count, orjson_loads))
            if utf8_contrast:
                results["raw-utf8"].append(
                    raw_run(port, max(1000, count // 10), validate_utf8=True)
                )
    return {"ceiling": ceiling, **results, "speedups": bool(getattr(_json, "SPEEDUPS", False))}


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
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--readers", default=",".join(READERS), help="comma-separated readers to run (--json)"
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
    readers = tuple(args.readers.split(","))
    data = measure(count, runs, args.utf8_contrast, readers)
    if args.json:
        print(json.dumps(data))
        return 0
    ceiling = data["ceiling"]
    results = {k: data[k] for k in ("raw", "sdk", "pure", "pure-orjson", "raw-utf8")}
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
    print(f"SDK / raw = {ratio:.2f} (target >= 1.4: {verdict(ratio >= 1.4)})")
    for name in ("pure", "pure-orjson"):
        if results[name]:
            pure = median([r for r, _ in results[name]])
            print(f"SDK / {name} = {sdk / pure:.2f} (target >= 0.6: {verdict(sdk / pure >= 0.6)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
