"""A gunicorn configuration for the tests (``-c``): the master writes the names of its
threads to ``$PROBE_FILE`` when it is ready and again when it exits, one JSON line each."""

from __future__ import annotations

import json
import os
import threading
from typing import Any


def _record(event: str) -> None:
    names = [thread.name for thread in threading.enumerate()]
    line = json.dumps({"event": event, "pid": os.getpid(), "threads": names})
    with open(os.environ["PROBE_FILE"], "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def when_ready(server: Any) -> None:
    _record("ready")


def on_exit(server: Any) -> None:
    _record("exit")
