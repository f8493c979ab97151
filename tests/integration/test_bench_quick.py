"""``python -m bench --quick --out DIR`` runs every benchmark once and writes the page and the
charts into DIR, leaving ``docs/benchmarks.md`` alone. No figure is asserted (speed is for the
page, not for tests); only that the suite runs end to end and produces its outputs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_quick_run_writes_the_page_and_the_charts_elsewhere(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")  # the bench extra
    docs_page = ROOT / "docs" / "benchmarks.md"
    before = docs_page.read_bytes()
    out = tmp_path / "bench"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--skip", "connection", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    page = (out / "benchmarks.md").read_text()
    assert "## Figures" in page
    generated = page.split("## Figures", 1)[1].split("## Earlier measurements", 1)[0]
    assert "| Machine | |" in generated
    rows = [line for line in generated.splitlines() if line.startswith("| ")]
    for figure in (
        "one stream",
        "clients connected in one process",
        "group message to",
        "send → callback p99",
        "client construction",
    ):
        assert any(figure in row for row in rows), figure
    for chart in ("bench_throughput.png", "bench_clients.png", "bench_recovery.png"):
        assert (out / "images" / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", chart
        assert f"images/{chart}" in page
    assert docs_page.read_bytes() == before
