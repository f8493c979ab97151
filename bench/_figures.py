"""The figures of ``python -m bench``: each measured beside its reference (not a test module).

Every ``collect_*`` function runs one benchmark of the scripts in ``bench/`` (their functions,
not their ``main()``) and returns :class:`Figure` records plus the raw series the charts draw.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Optional

import connection
import latency
import scale
from _common import emulator_process
from _common import median
from _common import percentile
from _common import rss_bytes
from _frame_server import FrameServer

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import MemorySessionStore
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing import emulator_settings

BENCH = Path(__file__).resolve().parent


@dataclass
class Figure:
    """One measured figure: ours beside its reference, the target and the verdict.

    ``ours``/``reference`` are medians in ``unit``; ``*_runs`` every run's value (spread);
    ``ratio`` is ours / reference; ``met`` is None where there is no target.
    """

    key: str
    what: str
    unit: str
    ours_runs: list[float]
    target: str
    met: Optional[bool]
    reference: str = "—"
    ref_runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ours(self) -> float:
        return median(self.ours_runs)

    @property
    def ref(self) -> Optional[float]:
        return median(self.ref_runs) if self.ref_runs else None

    @property
    def ratio(self) -> Optional[float]:
        ref = self.ref
        return None if not ref else self.ours / ref


def _within(runs: list[float], limit: float) -> bool:
    return bool(runs) and max(runs) <= limit


# -- one stream --------------------------------------------------------------------------------


def _throughput_child(count: int, runs: int, speedups: bool) -> dict[str, Any]:
    env = dict(os.environ)
    if not speedups:
        env["COMETCHAT_SYNC_NO_SPEEDUPS"] = "1"
    args = [sys.executable, str(BENCH / "throughput.py"), "--json", "--wait-quiet", "0"]
    args += ["--count", str(count), "--runs", str(runs)]
    out = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=60 + runs * count / 2000,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def collect_throughput(count: int, runs: int) -> tuple[list[Figure], dict[str, Any]]:
    """One stream to one listener: the SDK with the standard library's json and (when orjson
    is installed) with its speedups, beside the tuned raw and the pure-Python loops."""
    plain = _throughput_child(count, runs, speedups=False)
    fast = _throughput_child(count, runs, speedups=True)
    figs: list[Figure] = []

    def rates(data: dict[str, Any], name: str) -> list[float]:
        return [r for r, _ in data[name]]

    sdk_plain = rates(plain, "sdk")
    figs.append(
        Figure(
            "stream-raw",
            "messages/s to a listener, one stream (stdlib json)",
            "msg/s",
            sdk_plain,
            "≥ 1.4\u00d7 raw",
            None,
            "tuned raw websocket-client loop",
            rates(plain, "raw"),
        )
    )
    figs.append(
        Figure(
            "stream-pure",
            "messages/s to a listener, one stream (stdlib json)",
            "msg/s",
            sdk_plain,
            "≥ 0.6\u00d7 pure-Python",
            None,
            "single-thread pure-Python loop (json)",
            rates(plain, "pure"),
        )
    )
    if fast["speedups"]:
        figs.append(
            Figure(
                "stream-raw-orjson",
                "messages/s to a listener, one stream (`speedups`: orjson)",
                "msg/s",
                rates(fast, "sdk"),
                "≥ 1.4\u00d7 raw",
                None,
                "tuned raw websocket-client loop",
                rates(fast, "raw"),
            )
        )
        figs.append(
            Figure(
                "stream-pure-orjson",
                "messages/s to a listener, one stream (`speedups`: orjson)",
                "msg/s",
                rates(fast, "sdk"),
                "≥ 0.6\u00d7 pure-Python",
                None,
                "single-thread pure-Python loop (orjson)",
                rates(fast, "pure-orjson"),
            )
        )
    for fig in figs:
        ratio = fig.ratio or 0.0
        fig.met = ratio >= (1.4 if "raw" in fig.key else 0.6)
    series = {"plain": plain, "fast": fast}
    return figs, series


# -- many clients ------------------------------------------------------------------------------


def collect_scale(
    server: FrameServer,
    clients: int,
    group_clients: int,
    streams: int,
    per: int,
    runs: int,
    idle: float = 5.0,
) -> tuple[list[Figure], dict[str, Any]]:
    """Clients in one process (connected, threads, RSS, idle CPU over ``idle`` s), connect
    and group message to ``group_clients``, ``streams`` streams of ``per`` frames."""
    figs: list[Figure] = []
    idle_data = scale.idle_figure(server, clients, 5, idle)
    figs.append(
        Figure(
            "clients-connected",
            f"clients connected in one process (of {clients})",
            "clients",
            [float(idle_data["connected"])],
            f"{clients:,} connected",  # 5,000 in a full run (the target); all of them in --quick
            idle_data["connected"] >= clients,
        )
    )
    figs.append(
        Figure(
            "clients-threads",
            f"SDK threads with {clients} clients (most seen)",
            "threads",
            [float(idle_data["threads"])],
            "≤ 8",
            idle_data["threads"] <= 8,
        )
    )
    figs.append(
        Figure(
            "clients-rss",
            f"RSS per client ({clients} clients)",
            "KiB",
            [idle_data["rss_per_client"] / 1024],
            "≤ 30 KiB",
            idle_data["rss_per_client"] <= 30 * 1024,
        )
    )
    figs.append(
        Figure(
            "clients-idle-cpu",
            f"idle CPU, {clients} clients connected",
            "% of a core",
            [idle_data["idle_cpu"] * 100],
            "≤ 1 %",
            idle_data["idle_cpu"] <= 0.01,
        )
    )
    con = scale.connect_figure(server, group_clients, runs)
    figs.append(
        Figure(
            "connect-many",
            f"connect {group_clients} clients",
            "ms",
            [v * 1000 for v in con["sdk"]],
            "≤ 1.3\u00d7 selector",
            None,
            "one-thread selector over raw sockets",
            [v * 1000 for v in con["ref"]],
        )
    )
    grp = scale.group_figure(server, group_clients, max(3, runs))
    figs.append(
        Figure(
            "group-many",
            f"group message to {group_clients} clients, last listener call",
            "ms",
            [v * 1000 for v in grp["sdk"]],
            "≤ 1.5\u00d7 selector",
            None,
            "one selector thread reading the raw sockets",
            [v * 1000 for v in grp["ref"]],
        )
    )
    stm = scale.streams_figure(server, streams, per, runs)
    figs.append(
        Figure(
            "streams-total",
            f"total throughput, {streams} streams",
            "msg/s",
            stm["sdk"],
            "≥ 0.5\u00d7 selector",
            None,
            "one selector thread over the raw sockets",
            stm["ref"],
        )
    )
    limits = {"connect-many": 1.3, "group-many": 1.5}
    for fig in figs:
        if fig.key in limits:
            fig.met = (fig.ratio or 99.0) <= limits[fig.key]
        elif fig.key == "streams-total":
            fig.met = (fig.ratio or 0.0) >= 0.5
    return figs, {"idle": idle_data}


def collect_latency(server: FrameServer, rate: float, count: int, runs: int) -> list[Figure]:
    """The p99 of each run of ``count`` paced frames, SDK and raw loop interleaved."""
    p99: list[float] = []
    ref: list[float] = []
    p50: list[float] = []
    ref50: list[float] = []
    for _ in range(runs):
        got = latency.paced(server, rate, count, 1)
        p99.append(percentile(got["sdk"], 99))
        ref.append(percentile(got["raw"], 99))
        p50.append(median(got["sdk"]))
        ref50.append(median(got["raw"]))
    fig = Figure(
        "latency-p99",
        f"send \u2192 callback p99 at {rate:g} msg/s ({count} messages a run)",
        "ms",
        p99,
        "\u2264 2\u00d7 raw",
        None,
        "tuned raw websocket-client loop",
        ref,
        note=f"p50 {median(p50):.2f} ms (raw {median(ref50):.2f} ms)",
    )
    fig.met = (fig.ratio or 99.0) <= 2.0
    return [fig]


def collect_construction(count: int, runs: int = 3) -> list[Figure]:
    """Client construction with the default (TLS) hosts: time and Python heap per client.

    With ``bench/construction.py`` present, its passes are used, each beside its reference
    (the old construction: a TLS context and a ``requests.Session`` per client),
    interleaved; without it, the construction alone is measured here.
    """
    try:
        import construction as cons  # noqa: PLC0415 (optional script of bench/)

        s = cons.settings(None)
        CometChatClient(cons.APP_ID, s).close()  # imports, first-use caches
        ref_make = cons.reference_maker(cons.builds_own_context(s))
        times: dict[str, list[float]] = {"ours": [], "ref": []}
        heaps: dict[str, list[float]] = {"ours": [], "ref": []}
        for _ in range(runs):
            times["ours"].append(cons.time_pass(cons.current_maker, s, count) * 1000)
            times["ref"].append(cons.time_pass(ref_make, s, count) * 1000)
            heaps["ours"].append(cons.heap_pass(cons.current_maker, s, count) / 1024)
            heaps["ref"].append(cons.heap_pass(ref_make, s, count) / 1024)
    except (ImportError, AttributeError):
        return _construction_alone(count)
    reference = "a TLS context and a `requests.Session` per client (`bench/construction.py`)"
    return [
        Figure(
            "construct-time",
            f"client construction, TLS hosts (median of {count}, per run)",
            "ms",
            times["ours"],
            "\u2264 2 ms",
            median(times["ours"]) <= 2.0,
            reference,
            times["ref"],
        ),
        Figure(
            "construct-memory",
            "client construction, TLS hosts: Python heap per client",
            "KiB",
            heaps["ours"],
            "\u2264 50 KiB",
            median(heaps["ours"]) <= 50,
            reference,
            heaps["ref"],
        ),
    ]


def _construction_alone(count: int) -> list[Figure]:
    def settings() -> Any:
        return (
            AppSettingsBuilder().set_region("us").set_session_store(MemorySessionStore("bench-app"))
        )

    CometChatClient("bench-app", settings().build()).close()  # warm-up (imports, TLS context)
    times: list[float] = []
    clients = []
    rss0 = rss_bytes()
    tracemalloc.start()
    for _ in range(count):
        builder = settings()
        started = time.perf_counter()
        clients.append(CometChatClient("bench-app", builder.build()))
        times.append((time.perf_counter() - started) * 1000)
    traced, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = (rss_bytes() - rss0) / count / 1024
    for client in clients:
        client.close()
    kib = traced / count / 1024
    return [
        Figure(
            "construct-time",
            "client construction, TLS hosts (each)",
            "ms",
            times,
            "\u2264 2 ms",
            median(times) <= 2.0,
        ),
        Figure(
            "construct-memory",
            "client construction, TLS hosts: Python heap per client",
            "KiB",
            [kib],
            "\u2264 50 KiB",
            kib <= 50,
            note=f"RSS {rss:.1f} KiB per client",
        ),
    ]


# -- the first-issue targets, with other clients connected ---------------------------------------


@contextlib.contextmanager
def others(server: FrameServer, n: int) -> Iterator[None]:
    if n <= 0:
        yield
        return
    with scale.connected_clients(server.port, n):
        yield


def collect_first_issue(server: FrameServer, n_others: int, quick: bool) -> list[Figure]:
    cycles, detect_runs, restart_runs, bg_runs = (6, 2, 1, 2) if quick else (20, 6, 3, 3)
    ping, pong, deadline, down = 1.0, 0.5, 1.0, (1.0 if quick else 3.0)
    tag = f" ({n_others} other clients connected)" if n_others else ""
    suffix = "-others" if n_others else ""
    with others(server, n_others):
        with emulator_process() as info:
            cyc = connection.connect_cycles(info, cycles)
            bg = connection.background_deadline(info, bg_runs, deadline)
        bh = connection.blackholed(max(3, cycles // 2), detect_runs, ping, pong)
        rs = connection.reconnect_after_restart(restart_runs, down)
    figs = [
        Figure(
            "connect-one" + suffix,
            f"`connect()`{tag}",
            "ms",
            [v * 1000 for v in cyc["connect"]],
            "≤ 1.2\u00d7 raw",
            None,
            "raw websocket-client connect + auth",
            [v * 1000 for v in cyc["raw"]],
        ),
        Figure(
            "disconnect" + suffix,
            f"`disconnect()`, healthy and blackholed{tag}",
            "ms",
            [v * 1000 for v in cyc["disconnect"] + bh["disconnect"]],
            "< 50 ms (max)",
            _within(cyc["disconnect"] + bh["disconnect"], 0.05),
        ),
        Figure(
            "dead-link" + suffix,
            f"dead link detected, ping {ping:g} s + pong {pong:g} s{tag}",
            "ms",
            [v * 1000 for v in bh["detect"]],
            f"≤ {(ping + pong + 0.1) * 1000:.0f} ms (max)",
            _within(bh["detect"], ping + pong + 0.1),
        ),
        Figure(
            "reconnect" + suffix,
            f"`connected` after the server is back ({down:g} s down){tag}",
            "ms",
            [v * 1000 for v in rs["reconnect"]],
            "≤ 1500 ms (max)",
            _within(rs["reconnect"], 1.5),
        ),
        Figure(
            "deadline" + suffix,
            f"background deadline error, deadline {deadline:g} s{tag}",
            "ms",
            [(v - deadline) * 1000 for v in bg],
            "± 100 ms",
            bool(bg) and max(abs(v - deadline) for v in bg) <= 0.1,
        ),
    ]
    figs[0].met = (figs[0].ratio or 99.0) <= 1.2
    return figs


def recovery_timeline(ping: float = 1.0, pong: float = 0.5) -> dict[str, Any]:
    """One auto-mode client through a ``FaultProxy``: blackholed at 1 s for 3 s (then its
    held connections cut and the path open again); every state change with its time (s from
    the start) and the fault's start and end."""
    with Emulator() as emu, FaultProxy("127.0.0.1", emu.ws_port) as proxy:
        emu.advertise_ws(proxy.host, proxy.port)
        settings = emulator_settings(emu).set_ping_interval(ping).set_pong_timeout(pong).build()
        client, times = connection.timed_client(emu.app_id, settings)
        t0 = time.monotonic()
        try:
            client.login(connection.USER, emu.auth_key)
            client.wait_until_connected(5)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
            fault_on = time.monotonic() - t0
            proxy.blackhole()
            time.sleep(3.0)
            since = times.mark()
            fault_off = time.monotonic() - t0
            proxy.cut()  # the dial attempts the blackhole held silent end too
            proxy.pass_through()
            times.wait_for("connected", since, 10)
            time.sleep(0.5)
            closing = time.monotonic()
        finally:
            client.close()
    return {
        "events": [(at - t0, status) for at, status in times.events if at < closing],
        "fault": (fault_on, fault_off),
    }


Collector = Callable[[], list[Figure]]
