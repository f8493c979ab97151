"""Construction cost of a client with TLS hosts: ``CometChatClient(app_id, settings)`` with
the default region hosts (``https://``/``wss://``), ``--count`` times, clients kept alive.

Figures, each beside the **reference** of the same run: the same construction plus what every
client used to build for itself (a fresh ``ssl.SSLContext`` for its socket, loaded with the
trust store, and a ``requests.Session`` of its own with its own connection pool), reproduced
here as the old code did it:

* the median time of one construction (``time.perf_counter`` around each);
* the Python heap per client (``tracemalloc``, a separate pass: it slows what it measures);
  OpenSSL's memory is not Python heap: the RSS figure shows it;
* the RSS growth per 1,000 clients (``/proc/self/statm``, in a new process each time, so
  that no memory freed by an earlier pass is reused).

If the construction under test still builds a TLS context itself (the socket's transport not
yet asking for the shared one when it dials), the reference adds only the session, and the
run says so. ``--profile`` prints where one construction spends its time (cProfile) and its
memory (tracemalloc, by line).

    python bench/construction.py [--count 1000] [--runs 3] [--ca-bundle PEM] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import ssl
import subprocess
import sys
import time
import tracemalloc
from typing import Any
from typing import Callable
from typing import Optional

import requests
from _common import add_wait_quiet
from _common import machine_line
from _common import median
from _common import print_table
from _common import rss_bytes
from _common import verdict
from _common import wait_quiet

from cometchat_sync import AppSettings
from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync.rest.deadline import DeadlineAdapter

APP_ID = "bench-app"
KIB = 1024
MIB = 1024 * 1024
TIME_TARGET = 2.0  # ms per construction
HEAP_TARGET = 50 * KIB  # bytes per client

Make = Callable[[AppSettings], Any]


def settings(ca_bundle: Optional[str]) -> AppSettings:
    """Default (TLS) hosts; the session kept in the platform's folder, as by default."""
    builder = AppSettingsBuilder().set_region("us")
    if ca_bundle:
        builder.set_ca_bundle(ca_bundle)
    return builder.build()


def builds_own_context(s: AppSettings) -> bool:
    """True when constructing a client creates an ``ssl.SSLContext`` (the old way)."""
    made = 0
    real = ssl.SSLContext.__new__

    def counting(cls: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal made
        made += 1
        return real(cls, *args, **kwargs)

    ssl.SSLContext.__new__ = counting  # type: ignore[method-assign]
    try:
        CometChatClient(APP_ID, s).close()
    finally:
        ssl.SSLContext.__new__ = real  # type: ignore[method-assign]
    return made > 0


def reference_maker(own_context_already: bool) -> Make:
    """The old construction: the client, a fresh TLS context (unless the client still makes
    one itself) and a session with its own pool, kept with the client."""

    def make(s: AppSettings) -> Any:
        client = CometChatClient(APP_ID, s)
        context = None if own_context_already else ssl.create_default_context(cafile=s.ca_bundle)
        session = requests.Session()
        adapter = DeadlineAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return (client, context, session)

    return make


def current_maker(s: AppSettings) -> Any:
    return CometChatClient(APP_ID, s)


def _close(made: list[Any]) -> None:
    for thing in made:
        client = thing[0] if isinstance(thing, tuple) else thing
        client.close()
    made.clear()
    gc.collect()


def time_pass(make: Make, s: AppSettings, count: int) -> float:
    """Median seconds of one construction."""
    made: list[Any] = []
    times: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        made.append(make(s))
        times.append(time.perf_counter() - started)
    _close(made)
    return float(median(times))


def heap_pass(make: Make, s: AppSettings, count: int) -> float:
    """Python heap bytes per client (tracemalloc)."""
    made: list[Any] = []
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    for _ in range(count):
        made.append(make(s))
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    _close(made)
    return (after - before) / count


def rss_pass(name: str, ca_bundle: Optional[str], count: int) -> float:
    """RSS growth per 1,000 clients, in bytes, measured in a new process (in this one, the
    memory that earlier passes freed would be reused and hide the growth)."""
    argv = [sys.executable, __file__, "--rss-child", name, "--count", str(count)]
    if ca_bundle:
        argv += ["--ca-bundle", ca_bundle]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=True)
    return float(out.stdout.split()[-1])


def rss_child(name: str, ca_bundle: Optional[str], count: int) -> float:
    s = settings(ca_bundle)
    CometChatClient(APP_ID, s).close()  # imports, first-use caches
    make = current_maker if name == "current" else reference_maker(builds_own_context(s))
    made: list[Any] = []
    gc.collect()
    before = rss_bytes()
    for _ in range(count):
        made.append(make(s))
    return float(rss_bytes() - before) * 1000 / count


def profile(s: AppSettings, count: int) -> None:
    """Where construction spends time (cProfile) and memory (tracemalloc, by line)."""
    made: list[Any] = []
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        made.append(CometChatClient(APP_ID, s))
    profiler.disable()
    _close(made)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(15)
    print(f"\ncProfile of {count} constructions, by own time (top 15):")
    print(out.getvalue().split("\n", 4)[-1].rstrip())

    gc.collect()
    tracemalloc.start(1)
    first = tracemalloc.take_snapshot()
    for _ in range(count):
        made.append(CometChatClient(APP_ID, s))
    second = tracemalloc.take_snapshot()
    tracemalloc.stop()
    print(f"\ntracemalloc of {count} constructions, by line (top 15, bytes per client):")
    for diff in second.compare_to(first, "lineno")[:15]:
        frame = diff.traceback[0]
        where = frame.filename.split("site-packages/")[-1].split("/work/main/")[-1]
        print(f"  {diff.size_diff / count:8.0f}  {where}:{frame.lineno}")
    _close(made)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=1000, help="clients per pass")
    parser.add_argument("--runs", type=int, default=3, help="passes of each kind")
    parser.add_argument("--ca-bundle", help="a PEM CA bundle to trust (default: the system's)")
    parser.add_argument("--profile", action="store_true", help="profile the construction")
    parser.add_argument("--rss-child", help=argparse.SUPPRESS)
    add_wait_quiet(parser)
    args = parser.parse_args()
    if args.rss_child:
        print(rss_child(args.rss_child, args.ca_bundle, args.count))
        return 0
    print(machine_line())
    wait_quiet(args.wait_quiet)
    s = settings(args.ca_bundle)
    CometChatClient(APP_ID, s).close()  # imports, first-use caches
    own = builds_own_context(s)
    if own:
        print(
            "NOTE: the construction under test still builds a TLS context of its own (the "
            "socket's transport); the reference adds only the session."
        )
    reference = reference_maker(own)
    makers: list[tuple[str, Make]] = [("current", current_maker), ("reference", reference)]
    figures: dict[str, dict[str, list[float]]] = {
        name: {"time": [], "heap": [], "rss": []} for name, _ in makers
    }
    for _ in range(args.runs):  # interleaved, so that both see the same machine
        for name, make in makers:
            figures[name]["time"].append(time_pass(make, s, args.count))
            figures[name]["heap"].append(heap_pass(make, s, args.count))
            figures[name]["rss"].append(rss_pass(name, args.ca_bundle, args.count))
    rows = []
    for name, _ in makers:
        f = figures[name]
        time_ms, heap, rss = median(f["time"]) * 1000, median(f["heap"]), median(f["rss"])
        rows.append(
            [
                name,
                f"{time_ms:.3f}",
                f"{heap / KIB:.1f}",
                f"{rss / MIB:.1f}",
                verdict(time_ms <= TIME_TARGET and heap <= HEAP_TARGET)
                if name == "current"
                else "",
            ]
        )
    print_table(
        f"CometChatClient construction, TLS hosts, {args.count} clients per pass, "
        f"median of {args.runs} passes (targets: <= {TIME_TARGET} ms, <= 50 KiB per client)",
        ["", "median ms per client", "heap KiB per client", "RSS MiB per 1,000", "targets"],
        rows,
    )
    if args.profile:
        profile(s, min(args.count, 200))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
