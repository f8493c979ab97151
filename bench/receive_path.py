"""Receive path: CPU per message of each stage after the socket, in this process, no threads.

``throughput.py`` measures the whole path over a real socket, with two processes and three
threads, so its figures move by ±15 % from run to run on a shared machine. This script takes
the socket and the threads out and times, in process CPU time, the stages the reader and the
dispatcher run for each message, on the same realistic ``message`` frame (``_common.py``), as
the payload bytes the reader gets:

* ``json.loads`` of the frame's text: the reference, the least a Python reader pays for a frame
  with the standard library;
* ``parse_text_frame``: the SDK's parse of the payload bytes (``cometchat_sync/_json.py``),
  once with the standard library and once with orjson (the ``speedups`` extra), whatever
  ``COMETCHAT_SYNC_NO_SPEEDUPS`` says (orjson's rows are left out when it is not installed);
* ``+ wire trace check``: the disabled wire trace's level check, as the reader pays it;
* ``+ route``: the frame router (echo check, typed model, listener method);
* ``+ deliver``: the ledger (no doubles) and the call of one ``MessageListener`` method.

Each stage is timed on ``--count`` frames, best of ``--runs`` runs, and printed beside the
reference from the same run.

Then the garbage collector: the whole path (parse, route, deliver) over 100 000 frames, routed
in batches of 1, 64 and 1024 before their delivery (as when the dispatcher falls behind the
reader, the routed events wait in its queue), with the collections of each generation and the
share of the CPU time they took (``gc.callbacks``; the collector's settings are left as they
are). A generation-2 collection walks the whole heap: here the benchmark's frame lists, in an
app the app's objects; so that share depends on the heap, the generation-0 and 1 ones do not.

    python bench/receive_path.py [--count 200000] [--runs 5] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
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
from cometchat_sync import _json
from cometchat_sync.connection.wire_trace import trace
from cometchat_sync.events.delivery import Delivery
from cometchat_sync.events.router import route

Parse = Callable[[bytes], Any]

_wire_log = logging.getLogger("cometchat_sync.connection.wire_trace")


class _Count(MessageListener):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_text_message_received(self, message: TextMessage) -> None:
        self.count += 1


def _parsers() -> list[tuple[str, Parse]]:
    """The two ways ``parse_text_frame`` parses, whichever one this process chose."""
    parsers: list[tuple[str, Parse]] = [("json", _json._parse_stdlib)]
    try:
        import orjson  # noqa: PLC0415 (the speedups extra: optional)
    except ImportError:
        print("orjson is not installed (the speedups extra): its rows are left out")
        return parsers
    _json._orjson_loads = orjson.loads  # also when COMETCHAT_SYNC_NO_SPEEDUPS is set
    return [*parsers, ("orjson", _json._parse_orjson)]


Stage = tuple[str, Callable[[bytes], Any], Callable[[], None]]


def _stages(listener: _Count, parsers: list[tuple[str, Parse]]) -> list[Stage]:
    """Each stage: its name, what it does per frame, and what it resets before a run."""
    delivery = Delivery(lambda: "bench", PRODUCER_UID)
    delivery.registry(MessageListener).add("count", listener)

    def nothing() -> None:
        pass

    def forget_delivered() -> None:  # else the ledger drops the next run as doubles
        delivery.ledger.reset(PRODUCER_UID)

    def reference(payload: bytes) -> Any:
        return json.loads(payload.decode("utf-8"))

    stages: list[Stage] = [("json.loads (reference)", reference, nothing)]
    for name, parse in parsers:

        def parsed(payload: bytes, parse: Parse = parse) -> Any:
            return parse(payload)

        def traced(payload: bytes, parse: Parse = parse) -> Any:
            if _wire_log.isEnabledFor(logging.DEBUG):
                trace("<", payload.decode("utf-8", "replace"))
            return parse(payload)

        def routed(payload: bytes, parse: Parse = parse) -> Any:
            if _wire_log.isEnabledFor(logging.DEBUG):
                trace("<", payload.decode("utf-8", "replace"))
            return route(parse(payload), "bench-resource", own_uid=PRODUCER_UID)

        def delivered(payload: bytes, parse: Parse = parse) -> None:
            if _wire_log.isEnabledFor(logging.DEBUG):
                trace("<", payload.decode("utf-8", "replace"))
            for event in route(parse(payload), "bench-resource", own_uid=PRODUCER_UID):
                delivery._deliver(event, 0, live=True)  # session generation 0: the first

        stages += [
            (f"{name}: parse_text_frame", parsed, nothing),
            (f"{name}: + wire trace check", traced, nothing),
            (f"{name}: + route", routed, nothing),
            (f"{name}: + deliver (ledger, listener)", delivered, forget_delivered),
        ]
    return stages


def _best(
    stage: Callable[[bytes], Any], reset: Callable[[], None], frames: list[bytes], runs: int
) -> float:
    best = float("inf")
    for _ in range(runs):
        reset()
        started = time.process_time()
        for payload in frames:
            stage(payload)
        best = min(best, time.process_time() - started)
    return best / len(frames)


class _GCMeter:
    """The collections of each generation and the process CPU time they took, while on."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.spent = 0.0
        self._started = 0.0

    def __enter__(self) -> _GCMeter:
        gc.collect()
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.collections[info["generation"]] += 1
            self.spent += time.process_time() - self._started


def _gc_rows(parsers: list[tuple[str, Parse]], count: int) -> list[tuple[str, ...]]:
    """Per parser and batch size: the collections of each generation per 100 000 messages
    and the share of the path's CPU time they took."""
    frames = [message_frame(i).encode() for i in range(1, count + 1)]
    rows: list[tuple[str, ...]] = []
    for name, parse in parsers:
        for batch in (1, 64, 1024):
            delivery = Delivery(lambda: "bench", PRODUCER_UID)
            delivery.registry(MessageListener).add("count", _Count())
            with _GCMeter() as meter:
                began = time.process_time()
                for at in range(0, count, batch):
                    events = [
                        event
                        for payload in frames[at : at + batch]
                        for event in route(parse(payload), "bench-resource", own_uid=PRODUCER_UID)
                    ]
                    for event in events:
                        delivery._deliver(event, 0, live=True)
                total = time.process_time() - began
            per = 100_000 / count
            rows.append(
                (
                    name,
                    str(batch),
                    " / ".join(f"{n * per:.0f}" for n in meter.collections),
                    f"{meter.spent / total:.1%}",
                    f"{total / count * 1e6:.2f}",
                )
            )
    return rows


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
    parsers = _parsers()
    wait_quiet(args.wait_quiet)
    frames = [message_frame(i).encode() for i in range(1, args.count + 1)]
    listener = _Count()
    rows = []
    reference = None
    stages = _stages(listener, parsers)
    for name, stage, reset in stages:
        per_message = _best(stage, reset, frames, args.runs)
        reference = reference or per_message
        rows.append((name, f"{per_message * 1e6:.2f}", f"{per_message / reference:.2f} x"))
    delivering = sum(1 for name, _, _ in stages if "deliver" in name)
    assert listener.count == args.count * args.runs * delivering, "each run delivered each once"
    print_table(
        f"CPU per message, best of {args.runs} runs of {args.count:,} frames",
        ["stage (cumulative)", "µs/msg", "vs json.loads"],
        rows,
    )
    print_table(
        "The garbage collector on the whole path (parse, route, deliver), 100 000 frames",
        ["parser", "batch", "collections gen 0 / 1 / 2", "GC share of CPU", "µs/msg"],
        _gc_rows(parsers, 100_000),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
