"""``python -m bench``: every benchmark beside its reference; rewrites ``docs/benchmarks.md``.

Runs, against the standalone producers on 127.0.0.1 (``_common.producer_process``, the
selector frame server of ``_frame_server.py``, the emulator): one stream beside the tuned
raw websocket-client loop and the pure-Python loop (``throughput.py``), many clients beside
one-thread selector references (``scale.py``), send-to-callback latency at 1,000 msg/s
(``latency.py``), client construction, the connection figures of ``connection.py`` with other
clients connected in the process, and a recovery timeline. SDK and reference runs are
interleaved and repeated; the page gives medians and spreads, targets and verdicts, draws the
charts (matplotlib, the ``bench`` extra) and, for every missed target, a py-spy profile summary.

    python -m bench                 # the full suite: rewrites docs/benchmarks.md, docs/images/
    python -m bench --quick         # under a minute, writes to a temporary directory (CI)
    python -m bench --out DIR       # page and charts into DIR, docs/ left alone

``--clients`` (default 5,000) is capped at 500 when the SDK runs threads per client (it says
so on the page); the raised RLIMIT_NOFILE bounds it too.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Optional

import _figures
import _report
import latency
import scale
from _common import wait_quiet
from _figures import Figure
from _frame_server import FrameServer
from _frame_server import frame_server
from _frame_server import raise_nofile

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ("stream", "scale", "latency", "construction", "connection", "recovery")
DOCS = ROOT / "docs"


def _profile_self(action: Callable[[], Any], out: Path, limit: float = 120.0) -> Optional[str]:
    """Run ``action`` in this process under ``py-spy record``; the raw stacks, or None."""
    import os  # noqa: PLC0415
    import signal  # noqa: PLC0415

    spy = shutil.which("py-spy")
    if spy is None:
        return None
    cmd = [spy, "record", "--pid", str(os.getpid()), "--rate", "100", "--format", "raw"]
    cmd += ["--output", str(out), "--duration", str(int(limit)), "--nonblocking"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # py-spy attaches
        action()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # py-spy writes what it has and exits
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return out.read_text() if out.exists() else None


def _profile_child(
    args: list[str], out: Path, no_speedups: bool, limit: float = 180.0
) -> Optional[str]:
    """Run ``args`` under ``py-spy record``; the raw stacks, or None."""
    import os  # noqa: PLC0415

    spy = shutil.which("py-spy")
    if spy is None:
        return None
    cmd = [spy, "record", "--rate", "100", "--format", "raw", "--output", str(out), "--"]
    env = dict(os.environ)
    if no_speedups:
        env["COMETCHAT_SYNC_NO_SPEEDUPS"] = "1"
    try:
        subprocess.run(cmd + args, timeout=limit, check=False, capture_output=True, env=env)
    except subprocess.TimeoutExpired:
        return None
    return out.read_text() if out.exists() else None


def profiles(
    missed: list[Figure], server: FrameServer, sizes: dict[str, int], tmp: Path
) -> dict[str, str]:
    """A py-spy summary of one more run of each missed figure's benchmark."""
    n, streams = sizes["group_clients"], sizes["streams"]
    actions: dict[str, Callable[[], Any]] = {
        "connect-many": lambda: scale.connect_figure(server, n, 1),
        "group-many": lambda: scale.group_figure(server, n, 3),
        "streams-total": lambda: scale.streams_figure(server, streams, sizes["per"], 1),
        "clients-idle-cpu": lambda: scale.idle_figure(server, min(n, sizes["clients"]), 1, 3.0),
        "clients-rss": lambda: scale.idle_figure(server, min(n, sizes["clients"]), 1, 0.5),
        "latency-p99": lambda: latency.paced(server, 1000.0, 1000, 1),
        "construct-time": lambda: _figures.collect_construction(100, 1),
        "construct-memory": lambda: _figures.collect_construction(100, 1),
    }
    out: dict[str, str] = {}
    by_variant: dict[str, str] = {}
    for fig in missed:
        raw: Optional[str] = None
        path = tmp / f"{fig.key}.txt"
        if fig.key.startswith("stream-"):
            # The SDK reader alone, in a child process, with or without orjson.
            variant = "orjson" if fig.key.endswith("-orjson") else "json"
            if variant in by_variant:
                out[fig.key] = by_variant[variant]
                continue
            child = [sys.executable, str(Path(__file__).parent / "throughput.py"), "--json"]
            child += ["--wait-quiet", "0", "--runs", "3", "--count", "50000", "--readers", "sdk"]
            raw = _profile_child(child, path, no_speedups=variant == "json")
            if raw is not None:
                by_variant[variant] = out[fig.key] = _report.summarize_profile(raw)
                continue
        elif fig.key in actions:
            raw = _profile_self(actions[fig.key], path)
        if raw is not None:
            out[fig.key] = _report.summarize_profile(raw)
        else:
            out[fig.key] = "(no profile: py-spy missing, or no CPU-bound benchmark to rerun)"
    return out


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="under a minute; docs untouched")
    parser.add_argument("--out", type=Path, help="write the page and charts here, not docs/")
    parser.add_argument("--clients", type=int, default=5000, help="clients in one process")
    parser.add_argument("--group-clients", type=int, default=500, help="for connect and group")
    parser.add_argument("--streams", type=int, default=300)
    parser.add_argument("--per-stream", type=int, default=1000, help="frames per stream")
    parser.add_argument("--count", type=int, default=50_000, help="frames of the one stream")
    parser.add_argument("--runs", type=int, default=5, help="runs of each figure")
    parser.add_argument("--no-profile", action="store_true", help="no py-spy of missed figures")
    parser.add_argument(
        "--skip",
        default="",
        help=f"comma-separated groups to leave out, of: {', '.join(GROUPS)}",
    )
    parser.add_argument("--wait-quiet", type=float, default=20.0, help="max wait for a quiet box")
    args = parser.parse_args(argv)
    skip = {name for name in args.skip.split(",") if name}
    if skip - set(GROUPS):
        parser.error(f"--skip: unknown group(s) {', '.join(sorted(skip - set(GROUPS)))}")
    if args.quick:
        args.clients, args.group_clients, args.streams = 60, 60, 20
        args.per_stream, args.count, args.runs = 200, 5000, 1
        args.no_profile, args.wait_quiet = True, min(args.wait_quiet, 3.0)
    if args.out is None and args.quick:
        args.out = Path(tempfile.mkdtemp(prefix="bench-quick-"))
    page = (args.out or DOCS) / "benchmarks.md"
    images = (args.out / "images") if args.out else DOCS / "images"
    started = time.monotonic()
    notes: list[str] = []
    limit = raise_nofile()
    print(f"RLIMIT_NOFILE: {limit}", flush=True)
    busy = wait_quiet(args.wait_quiet)
    if busy > 0.15:
        notes.append(
            f"The machine was {busy:.0%} busy with other processes before the run (waited up "
            f"to {args.wait_quiet:g} s for it to quieten): the figures spread more than usual."
        )

    figs: list[Figure] = []
    series: dict[str, Any] = {}
    if "stream" not in skip:
        print("one stream ...", flush=True)
        stream_figs, series["stream"] = _figures.collect_throughput(args.count, args.runs)
        figs += stream_figs
    with frame_server() as server:
        per_client = scale.threads_per_client(server)
        clients = min(args.clients, max(1, (limit - 200) // 2))
        if per_client > 0.5 and clients > 500:
            clients = 500
            notes.append(
                f"Each client added {per_client:.1f} SDK threads: the clients figures were "
                f"measured with {clients} clients, not {args.clients}."
            )
        if clients < args.clients and not notes:
            notes.append(f"RLIMIT_NOFILE {limit} allowed {clients} clients.")
        if "scale" not in skip:
            print(f"{clients} clients ...", flush=True)
            scale_figs, extra = _figures.collect_scale(
                server,
                clients,
                args.group_clients,
                args.streams,
                args.per_stream,
                args.runs,
                idle=1.0 if args.quick else 5.0,
            )
            figs += scale_figs
            series.update(extra)
        if "latency" not in skip:
            print("latency ...", flush=True)
            count = 500 if args.quick else 2000
            figs += _figures.collect_latency(server, 1000.0, count, args.runs)
        if "construction" not in skip:
            print("construction ...", flush=True)
            figs += _figures.collect_construction(*((20, 1) if args.quick else (100, 3)))
        if "connection" not in skip:
            print("connection figures ...", flush=True)
            figs += _figures.collect_first_issue(server, 0, args.quick)
            figs += _figures.collect_first_issue(server, args.group_clients, args.quick)
        if "recovery" not in skip:
            print("recovery timeline ...", flush=True)
            series["recovery"] = _figures.recovery_timeline()
        missed = [f for f in figs if f.met is False]
        found: dict[str, str] = {}
        if missed and not args.no_profile:
            print(f"profiles of {len(missed)} missed figures ...", flush=True)
            with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmp:
                sizes = {
                    "group_clients": args.group_clients,
                    "streams": args.streams,
                    "per": args.per_stream,
                    "clients": clients,
                }
                found = profiles(missed, server, sizes, Path(tmp))

    charts = _report.draw_charts(images, series, figs)
    rel = {title: str(path.relative_to(page.parent)) for title, path in charts.items()}
    command = "python -m bench" + (" --quick" if args.quick else "")
    if skip:
        notes.append(f"Left out of this run: {', '.join(sorted(skip))}.")
    _report.write_page(page, figs, rel, found, _report.machine(), command, notes)
    for fig in figs:
        ratio = "" if fig.ratio is None else f"  ratio {fig.ratio:.2f}"
        verdict = {None: "", True: "  met", False: "  MISSED"}[fig.met]
        print(f"{fig.key:20} {fig.ours:12.4g} {fig.unit:10}{ratio}{verdict}")
    print(f"\n{page} and {len(charts)} charts written in {time.monotonic() - started:.0f} s")
    return 0
