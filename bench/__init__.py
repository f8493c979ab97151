"""The benchmark suite: ``python -m bench`` (``bench/run.py``); each script also runs alone.

The scripts import their shared plumbing as top-level modules (``from _common import ...``),
as they do when run as ``python bench/<script>.py``; importing this package puts ``bench/``
on ``sys.path`` first so that the same imports work under ``python -m bench``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
