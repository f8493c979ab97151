"""``python -m cometchat_sync.cli``: the ``cometchat-sync`` command."""

from __future__ import annotations

import sys

from .main import main

if __name__ == "__main__":
    sys.exit(main())
