"""``python -m bench``: see ``bench/run.py``."""

from __future__ import annotations

if __name__ == "__main__":  # not when a spawned child process imports this module again
    import run

    raise SystemExit(run.main())
