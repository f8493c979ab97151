"""The one way the SDK blocks: until a condition holds or a deadline passes, in short slices.

Every blocking wait (``connect``, ``disconnect``, ``ping``, ``wait_until_connected``, the test
kit's ``wait_for_...``) goes through :func:`wait_until`, which sleeps at most :data:`SLICE`
seconds at a time, so Ctrl-C is honoured promptly on every platform, and measures the
deadline on the monotonic clock, so a wall-clock jump cannot stretch or cut it.
"""

from __future__ import annotations

import time
from typing import Callable

__all__ = ["SLICE", "wait_until"]

SLICE = 0.2
"""The longest single sleep of a blocking wait, in seconds."""


def wait_until(
    ready: Callable[[], bool],
    timeout: float,
    *,
    sleep: Callable[[float], object],
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Return True as soon as ``ready()`` is true, False once ``timeout`` seconds passed.

    ``sleep(seconds)`` blocks for at most that long and may return early: an
    ``Event.wait``, or a ``Condition.wait`` whose lock the caller holds (then ``ready`` is
    checked under that lock). ``ready`` is checked once more after the deadline's last slice.
    """
    deadline = clock() + timeout
    while not ready():
        left = deadline - clock()
        if left <= 0:
            return False
        sleep(min(left, SLICE))
    return True
