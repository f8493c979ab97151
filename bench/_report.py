"""The page and the charts of ``python -m bench`` (not a test module).

:func:`write_page` renders ``benchmarks.md``: the hand-written intro
(``bench/benchmarks_intro.md``), the machine, every figure beside its reference with the
ratio, target, verdict and spread, the charts, the profiles of missed figures, and the
hand-written notes (``bench/benchmarks_notes.md``). :func:`draw_charts` draws the PNGs with
matplotlib (the ``bench`` extra).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from typing import Optional

from _figures import Figure

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _version(module: str) -> str:
    try:
        from importlib.metadata import version  # noqa: PLC0415

        return version(module)
    except Exception:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    out = out if len(out) <= 72 else out[:71] + "\u2026"
    try:
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "cometchat_sync"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        dirty = ""
    return out + (" (plus uncommitted changes to cometchat_sync/)" if dirty else "")


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    return {
        "CPU": f"{_cpu_model()}, {os.cpu_count()} cores",
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
        "websocket-client": _version("websocket-client"),
        "requests": _version("requests"),
        "orjson": _version("orjson"),
        "commit": _commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _num(value: Optional[float]) -> str:
    if value is None:
        return "\u2014"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _spread(runs: list[float]) -> str:
    if len(runs) < 2:
        return "one value"
    return f"{_num(min(runs))}\u2013{_num(max(runs))} of {len(runs)}"


def _verdict(fig: Figure, profiled: frozenset[str] = frozenset()) -> str:
    if fig.met is None:
        return "—"
    if fig.met:
        return "met"
    if fig.key in profiled:
        return f"**missed** ([profile](#profile-{fig.key}))"
    return "**missed** (no profile: --quick or --no-profile, or py-spy missing)"


def figures_table(figs: list[Figure], profiled: frozenset[str] = frozenset()) -> list[str]:
    lines = [
        "| Figure | Ours (median) | Spread (min\u2013max) | Reference | Reference (median) "
        "| Ratio | Target | Verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for fig in figs:
        ratio = "—" if fig.ratio is None else f"{fig.ratio:.2f}\u00d7"
        spread = _spread(fig.ours_runs)
        ref = "—" if fig.ref is None else f"{_num(fig.ref)} ({_spread(fig.ref_runs)})"
        note = f"<br>{fig.note}" if fig.note else ""
        lines.append(
            f"| {fig.what}{note} | {_num(fig.ours)} {fig.unit} | {spread} | {fig.reference} "
            f"| {ref} | {ratio} | {fig.target} | {_verdict(fig, profiled)} |"
        )
    return lines


# Frames on every stack (thread start, the runner): left out of the "total" list.
_PLUMBING = ("threading.py", "<frozen runpy>", "bench/__main__.py", "bench/run.py", "<module>")


def summarize_profile(raw: str, top: int = 8) -> str:
    """A short text summary of a py-spy ``--format raw`` (collapsed stacks) file: the
    functions with the most samples on top of the stack (self) and anywhere on it (total)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            if not any(part in frame for part in _PLUMBING):
                total[frame] += n
    if not samples:
        return "(no samples)"
    out = [f"{samples} samples (100 Hz, every thread; waits count too)", "self:"]
    out += [f"  {n / samples:6.1%}  {frame}" for frame, n in own.most_common(top)]
    out.append("total:")
    out += [f"  {n / samples:6.1%}  {frame}" for frame, n in total.most_common(top)]
    return "\n".join(out)


def write_page(
    path: Path,
    figs: list[Figure],
    charts: dict[str, str],
    profiles: dict[str, str],
    info: dict[str, str],
    command: str,
    notes: list[str],
) -> None:
    """Render the whole page to ``path`` (charts: title -> path relative to the page)."""
    intro = (BENCH / "benchmarks_intro.md").read_text().rstrip()
    outro_path = BENCH / "benchmarks_notes.md"
    lines = [intro, "", "## Figures", ""]
    lines.append(
        f"Generated by `{command}` (`bench/run.py`); do not edit this section by hand: the "
        "text above comes from `bench/benchmarks_intro.md`, the notes below from "
        "`bench/benchmarks_notes.md`."
    )
    lines += ["", "| Machine | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in info.items()]
    lines.append("")
    missed = [f for f in figs if f.met is False]
    met = [f for f in figs if f.met]
    lines.append(f"{len(met)} targets met, {len(missed)} missed.")
    if missed:
        lines.append(
            "Missed: " + "; ".join(f"{f.what} ({f.target})" for f in missed) + ". Each links "
            "the profile of a run of its own benchmark below."
        )
    lines.append("")
    lines += [f"* {note}" for note in notes]
    if notes:
        lines.append("")
    lines += figures_table(figs, frozenset(profiles))
    for title, rel in charts.items():
        lines += ["", f"### {title}", "", f"![{title}]({rel})"]
    if profiles:
        lines += ["", "### Profiles of the missed figures", ""]
        lines.append(
            "`py-spy record --format raw` of this process while the figure's benchmark ran "
            "again; the functions with the most samples on top of a stack (self) and anywhere "
            "on it (total)."
        )
        for fig in missed:
            text = profiles.get(fig.key)
            if text is None:
                continue
            lines += ["", f'<a id="profile-{fig.key}"></a>', f"**{fig.what}**", "", "```"]
            lines += [text, "```"]
    if outro_path.exists():
        lines += ["", outro_path.read_text().rstrip()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def draw_charts(out_dir: Path, series: dict[str, Any], figs: list[Figure]) -> dict[str, Path]:
    """Draw the PNGs into ``out_dir``; return title -> file."""
    import matplotlib  # noqa: PLC0415 (the bench extra)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    # 1. throughput beside the references.
    bars: list[tuple[str, list[float]]] = []
    stream = series.get("stream", {})
    for label, part, name in (
        ("SDK (json)", "plain", "sdk"),
        ("SDK (orjson)", "fast", "sdk"),
        ("raw websocket-client", "plain", "raw"),
        ("pure-Python (json)", "plain", "pure"),
        ("pure-Python (orjson)", "fast", "pure-orjson"),
    ):
        data = stream.get(part, {})
        if name == "sdk" and part == "fast" and not data.get("speedups"):
            continue
        runs = [r for r, _ in data.get(name, [])]
        if runs:
            bars.append((label, runs))
    by_key = {f.key: f for f in figs}
    if "streams-total" in by_key:
        fig_ = by_key["streams-total"]
        bars.append(("SDK, all streams", fig_.ours_runs))
        bars.append(("selector, all streams", fig_.ref_runs))
    if bars:
        fig, ax = plt.subplots(figsize=(8, 4))
        meds = [sorted(r)[len(r) // 2] for _, r in bars]
        low = [m - min(r) for m, (_, r) in zip(meds, bars)]
        high = [max(r) - m for m, (_, r) in zip(meds, bars)]
        colors = ["tab:blue" if label.startswith("SDK") else "tab:gray" for label, _ in bars]
        ax.barh([label for label, _ in bars], meds, xerr=[low, high], color=colors)
        ax.set_xlabel("messages/s (median, min\u2013max)")
        ax.set_title("Throughput: the SDK (blue) beside its references (grey)")
        ax.invert_yaxis()
        fig.tight_layout()
        files["Throughput beside the references"] = out_dir / "bench_throughput.png"
        fig.savefig(files["Throughput beside the references"], dpi=100)
        plt.close(fig)

    # 2. clients vs SDK threads and RSS.
    curve = series.get("idle", {}).get("curve", [])
    if len(curve) > 1:
        fig, ax = plt.subplots(figsize=(8, 4))
        xs = [c for c, _, _ in curve]
        ax.plot(xs, [t for _, t, _ in curve], "o-", color="tab:blue", label="SDK threads")
        ax.axhline(8, color="tab:blue", linestyle=":", label="thread budget (8)")
        ax.set_xlabel("clients connected in the process")
        ax.set_ylabel("SDK threads (cometchat-*)")
        ax2 = ax.twinx()
        ax2.plot(xs, [r / 2**20 for _, _, r in curve], "s-", color="tab:red", label="RSS growth")
        ax2.plot(xs, [x * 30 / 1024 for x in xs], ":", color="tab:red", label="30 KiB/client")
        ax2.set_ylabel("RSS growth, MiB")
        handles = ax.get_legend_handles_labels()
        handles2 = ax2.get_legend_handles_labels()
        ax.legend(handles[0] + handles2[0], handles[1] + handles2[1], loc="upper left")
        ax.set_title("Clients in one process: SDK threads and memory")
        fig.tight_layout()
        files["Clients, threads and memory"] = out_dir / "bench_clients.png"
        fig.savefig(files["Clients, threads and memory"], dpi=100)
        plt.close(fig)

    # 3. recovery timeline.
    rec = series.get("recovery")
    if rec and rec["events"]:
        levels = {"disconnected": 0, "connecting": 1, "connected": 2}
        fig, ax = plt.subplots(figsize=(8, 3))
        xs = [at for at, _ in rec["events"]]
        ys = [levels.get(status, 1) for _, status in rec["events"]]
        end = max(xs[-1], rec["fault"][1]) + 0.5
        ax.step([*xs, end], [*ys, ys[-1]], where="post", color="tab:blue")
        ax.axvspan(*rec["fault"], color="tab:red", alpha=0.15, label="link blackholed")
        for at, status in rec["events"]:
            ax.annotate(f"{at:.2f} s", (at, levels.get(status, 1)), fontsize=7, va="bottom")
        ax.set_yticks(list(levels.values()), list(levels))
        ax.set_xlabel("seconds")
        ax.set_title("Recovery: ping 1 s, pong 0.5 s, blackholed for 3 s")
        ax.legend(loc="lower right")
        fig.tight_layout()
        files["Recovery timeline"] = out_dir / "bench_recovery.png"
        fig.savefig(files["Recovery timeline"], dpi=100)
        plt.close(fig)
    return files
