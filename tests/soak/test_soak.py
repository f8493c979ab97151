"""The soak of ``bench/soak.py`` for one minute (``COMETCHAT_SOAK_SECONDS`` to change it):
one client under a random mix of link cuts, blackholes, refused connects, server restarts,
JWT expiries, failed catch-ups and a slow listener, while another user sends 20 messages a
second. Nothing may be lost, doubled, misdelivered or out of order, and no SDK thread or
descriptor may leak.

Marked ``soak`` and left out of the default run (it takes a minute of wall time); ``.ci/run``
runs it as its own step: ``python -m pytest -m soak``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

SECONDS = float(os.environ.get("COMETCHAT_SOAK_SECONDS", "60"))

pytestmark = [pytest.mark.soak, pytest.mark.timeout(SECONDS + 120)]


def load_soak() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "soak.py"
    spec = importlib.util.spec_from_file_location("bench_soak", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_minute_of_faults_loses_doubles_and_misdelivers_nothing() -> None:
    soak = load_soak()
    report = soak.run(SECONDS, 20.0, seed=int(os.environ.get("COMETCHAT_SOAK_SEED", "1")))
    assert report.sent >= SECONDS * 3, report  # messages flowed (20 a second when unloaded)
    assert report.failed() == [], report
    assert sum(report.faults.values()) >= SECONDS / 5, report
    assert report.reconnects >= 1, report
