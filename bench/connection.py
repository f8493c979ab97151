"""Connection benchmarks: connect/disconnect latency, dead-link detection, reconnection,
the background deadline, threads and idle CPU.

1. ``connect()`` latency (manual mode, connect/disconnect cycles) beside the raw cost of the
   same steps with websocket-client (``create_connection`` + the SDK's own auth frame, same JWT,
   + reading the auth answer). Emulator in a subprocess.
2. ``disconnect()`` latency on a healthy link (emulator subprocess) and on a blackholed one
   (in-process emulator behind a ``FaultProxy``; ``proxy.blackhole()`` then ``disconnect()``).
3. Dead-link detection with ping interval 1 s and pong timeout 0.5 s: from ``blackhole()`` to
   the ``disconnected`` state change seen by a listener, at phases spread over the ping cycle.
4. Reconnection: in-process emulator ``stop()``, ~3 s down, ``start()``; time to ``connected``
   (default timings: probe interval 1 s).
5. Background deadline (manual mode, 1 s): from ``set_app_state(BACKGROUND)`` to
   ``disconnected``; error against the deadline. Emulator subprocess.
6. Threads of a connected client, and the CPU time and wake-ups of this process over 10 s of
   idleness (emulator subprocess).

    python bench/connection.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from typing import Any
from typing import Optional

import websocket
from _common import add_wait_quiet
from _common import emulator_builder
from _common import emulator_process
from _common import machine_line
from _common import median
from _common import ms
from _common import percentile
from _common import print_table
from _common import verdict
from _common import wait_quiet

from cometchat_sync import AppState
from cometchat_sync import CometChatClient
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStateChange
from cometchat_sync.connection.auth_frame import build_auth_frame
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing import emulator_settings

USER = "superhero1"


class Times(ConnectionListener):
    """Every state change with the monotonic time the listener was called."""

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self.events: list[tuple[float, str]] = []

    def on_state_change(self, change: ConnectionStateChange) -> None:
        now = time.monotonic()
        with self._cond:
            self.events.append((now, change.current.value))
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def wait_for(self, status: str, since: int, timeout: float) -> Optional[float]:
        """Time of the first ``status`` change at index >= ``since``; None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for at, value in self.events[since:]:
                    if value == status:
                        return at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.2))


def timed_client(app_id: str, settings: Any) -> tuple[CometChatClient, Times]:
    client = CometChatClient(app_id, settings)
    times = Times()
    client.add_connection_listener("bench-times", times)
    return client, times


def summary(values: list[float]) -> str:
    return f"{ms(min(values))} / {ms(median(values))} / {ms(max(values))}"


# -- 1, 2 (healthy), 5, 6: emulator in a subprocess ----------------------------------------------


def connect_cycles(info: dict[str, Any], cycles: int) -> dict[str, list[float]]:
    """SDK connect()/disconnect() cycles interleaved with the same steps done raw."""
    builder = emulator_builder(info).auto_establish_socket_connection(False)
    settings = builder.build()
    client, _ = timed_client(info["app_id"], settings)
    out: dict[str, list[float]] = {"connect": [], "disconnect": [], "raw": []}
    try:
        client.login(USER, info["auth_key"])
        store = settings.session_store
        assert store is not None  # emulator_builder sets one
        session = store.load()
        assert session is not None  # just logged in
        frame = build_auth_frame(
            info["app_id"], session, settings, client.resource, store.device_id()
        )
        client.connect(timeout=5)  # warm-up
        client.disconnect(timeout=5)
        for _ in range(cycles):
            started = time.perf_counter()
            client.connect(timeout=5)
            out["connect"].append(time.perf_counter() - started)
            started = time.perf_counter()
            client.disconnect(timeout=5)
            out["disconnect"].append(time.perf_counter() - started)

            started = time.perf_counter()
            ws = websocket.create_connection(info["ws_url"], timeout=5)
            ws.send(frame)
            while json.loads(ws.recv()).get("type") != "auth":
                pass
            out["raw"].append(time.perf_counter() - started)
            ws.close(timeout=1)
    finally:
        client.close()
    return out


def background_deadline(info: dict[str, Any], runs: int, deadline: float) -> list[float]:
    """Seconds from set_app_state(BACKGROUND) to the disconnected change, per run."""
    settings = (
        emulator_builder(info)
        .auto_establish_socket_connection(False)
        .set_background_ping_deadline(deadline)
        .build()
    )
    client, times = timed_client(info["app_id"], settings)
    out: list[float] = []
    try:
        client.login(USER, info["auth_key"])
        for _ in range(runs):
            client.connect(timeout=5)
            since = times.mark()
            started = time.monotonic()
            client.set_app_state(AppState.BACKGROUND)
            ended = times.wait_for("disconnected", since, deadline + 5)
            if ended is None:
                raise RuntimeError("no disconnect after the background deadline")
            out.append(ended - started)
            client.set_app_state(AppState.FOREGROUND)
    finally:
        client.close()
    return out


def _wakeups(native_id: Optional[int]) -> int:
    """Context switches of one thread so far (voluntary + involuntary)."""
    try:
        with open(f"/proc/self/task/{native_id}/status") as f:
            return sum(int(line.split()[1]) for line in f if "ctxt_switches:" in line)
    except OSError:
        return -1


def threads_and_idle(info: dict[str, Any], idle: float) -> dict[str, Any]:
    settings = emulator_builder(info).auto_establish_socket_connection(False).build()
    client, _ = timed_client(info["app_id"], settings)
    try:
        client.login(USER, info["auth_key"])
        client.connect(timeout=5)
        time.sleep(0.2)  # let connect()'s listener calls settle
        own = client.threads()
        named = [t for t in threading.enumerate() if t.name.startswith("cometchat-")]
        before = {t.name: _wakeups(t.native_id) for t in named}
        cpu0 = time.process_time()
        time.sleep(idle)
        cpu = time.process_time() - cpu0
        after = {t.name: _wakeups(t.native_id) for t in named}
        connected = client.get_connection_status().value
    finally:
        client.close()
    left = [t.name for t in threading.enumerate() if t.name.startswith("cometchat-")]
    return {
        "client_threads": len(own),
        "named": sorted(t.name for t in named),
        "cpu": cpu,
        "wakeups": {name: after[name] - before[name] for name in before},
        "status": connected,
        "left_after_close": left,
    }


# -- 2 (blackholed), 3, 4: in-process emulator ----------------------------------------------------


def blackholed(runs: int, detect_runs: int, ping: float, pong: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"disconnect": [], "detect": []}
    with Emulator() as emu, FaultProxy("127.0.0.1", emu.ws_port) as proxy:
        emu.advertise_ws(proxy.host, proxy.port)
        settings = (
            emulator_settings(emu)
            .auto_establish_socket_connection(False)
            .set_ping_interval(ping)
            .set_pong_timeout(pong)
            .build()
        )
        client, times = timed_client(emu.app_id, settings)
        try:
            client.login(USER, emu.auth_key)
            for _ in range(runs):
                proxy.pass_through()
                client.connect(timeout=5)
                proxy.blackhole()
                started = time.perf_counter()
                client.disconnect(timeout=5)
                out["disconnect"].append(time.perf_counter() - started)
            for i in range(detect_runs):
                proxy.pass_through()
                client.connect(timeout=5)
                # Phases spread over the ping cycle, the first right after connect (worst case).
                time.sleep(0.01 + ping * i / detect_runs)
                since = times.mark()
                started = time.monotonic()
                proxy.blackhole()
                ended = times.wait_for("disconnected", since, ping + pong + 3)
                if ended is None:
                    raise RuntimeError("the blackholed link was not detected within 3 s")
                out["detect"].append(ended - started)
                client.disconnect(timeout=5)  # ends the reconnect attempts
        finally:
            client.close()
    return out


def reconnect_after_restart(runs: int, down: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"reconnect": [], "start": []}
    with Emulator() as emu:
        settings = emulator_settings(emu).build()  # auto mode, default timings
        client, times = timed_client(emu.app_id, settings)
        try:
            client.login(USER, emu.auth_key)
            client.wait_until_connected(5)
            for _ in range(runs):
                since = times.mark()
                emu.stop()
                if times.wait_for("disconnected", since, 5) is None:
                    raise RuntimeError("the stop of the emulator was not noticed")
                time.sleep(down)
                since = times.mark()
                started = time.monotonic()
                emu.start()
                out["start"].append(time.monotonic() - started)
                ended = times.wait_for("connected", since, 10)
                if ended is None:
                    raise RuntimeError("no reconnection within 10 s of the restart")
                out["reconnect"].append(ended - started)
        finally:
            client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, 3 s of idleness")
    add_wait_quiet(parser)
    args = parser.parse_args()
    cycles, detect_runs, restart_runs, bg_runs, idle = (
        (10, 4, 2, 2, 3.0) if args.quick else (30, 6, 3, 3, 10.0)
    )
    ping, pong, bg_deadline, down = 1.0, 0.5, 1.0, 3.0
    print(f"connection benchmarks; {machine_line()}")
    wait_quiet(args.wait_quiet)

    with emulator_process() as info:
        cyc = connect_cycles(info, cycles)
        bg = background_deadline(info, bg_runs, bg_deadline)
        th = threads_and_idle(info, idle)
    bh = blackholed(cycles // 2, detect_runs, ping, pong)
    rs = reconnect_after_restart(restart_runs, down)

    print_table(
        f"1-2. connect()/disconnect() latency, ms ({cycles} cycles; emulator subprocess)",
        ["what", "median", "p90", "min / median / max"],
        [
            [
                "SDK connect() (manual mode)",
                ms(median(cyc["connect"])),
                ms(percentile(cyc["connect"], 90)),
                summary(cyc["connect"]),
            ],
            [
                "raw websocket-client: connect + auth + answer",
                ms(median(cyc["raw"])),
                ms(percentile(cyc["raw"], 90)),
                summary(cyc["raw"]),
            ],
            [
                "SDK disconnect(), healthy link",
                ms(median(cyc["disconnect"])),
                ms(percentile(cyc["disconnect"], 90)),
                summary(cyc["disconnect"]),
            ],
            [
                f"SDK disconnect(), blackholed link ({len(bh['disconnect'])} runs, in-process)",
                ms(median(bh["disconnect"])),
                ms(percentile(bh["disconnect"], 90)),
                summary(bh["disconnect"]),
            ],
        ],
    )
    detect_budget = ping + pong + 0.1
    bg_errors = [d - bg_deadline for d in bg]
    print_table(
        "3-5. timings, ms (min / median / max)",
        ["what", "min / median / max", "target", "verdict"],
        [
            [
                f"3. dead link detected (ping {ping:g} s, pong {pong:g} s; {detect_runs} phases)",
                summary(bh["detect"]),
                f"<= {detect_budget * 1000:.0f}",
                verdict(max(bh["detect"]) <= detect_budget),
            ],
            [
                f"4. connected after restart ({down:g} s down, {restart_runs} runs)",
                summary(rs["reconnect"]),
                "< 1500",
                verdict(max(rs["reconnect"]) < 1.5),
            ],
            [
                f"5. background deadline error (deadline {bg_deadline:g} s, {bg_runs} runs)",
                summary(bg_errors),
                "within 100",
                verdict(max(abs(e) for e in bg_errors) <= 0.1),
            ],
        ],
    )
    print(f"   (4: the emulator's start() itself took {ms(median(rs['start']))} ms, included)")
    wake = ", ".join(f"{name} {n}" for name, n in sorted(th["wakeups"].items()))
    print_table(
        f"6. a connected client (status {th['status']}), idle for {idle:g} s",
        ["what", "value", "target", "verdict"],
        [
            ["client.threads()", th["client_threads"], "3", verdict(th["client_threads"] == 3)],
            ["threads named cometchat-*", len(th["named"]), "3", verdict(len(th["named"]) == 3)],
            [
                f"CPU of this process over {idle:g} s",
                f"{th['cpu'] * 1000:.1f} ms",
                "near zero",
                verdict(th["cpu"] < 0.01 * idle),
            ],
            [
                "context switches per SDK thread",
                wake,
                "~0 (no polling)",
                verdict(all(n <= 2 * idle for n in th["wakeups"].values())),
            ],
            [
                "SDK threads left after close()",
                len(th["left_after_close"]),
                "0",
                verdict(not th["left_after_close"]),
            ],
        ],
    )
    print(f"   threads: {', '.join(th['named'])}")
    disconnect_worst = max(*cyc["disconnect"], *bh["disconnect"])
    print(
        f"\ndisconnect() under 50 ms even blackholed: {verdict(disconnect_worst < 0.05)} "
        f"(worst {ms(disconnect_worst)} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
