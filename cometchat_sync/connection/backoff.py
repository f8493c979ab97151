"""How long to wait before the next connection attempt.

Two paces, one object:

* **Backoff** after a failure past the TCP connect (handshake, auth, a link that dropped):
  exponential with full jitter, ``uniform(0, min(cap, base * 2**n))``. Full jitter spreads a
  crowd of clients best after an outage
  (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). ``n`` is reset
  only by :meth:`Backoff.healthy`, which the client calls when a link has carried a keepalive
  round trip, so a server that accepts and then drops at once cannot cause a tight loop.
* **Probing** while the host cannot be reached at all (no route, name resolution failed,
  refused, TCP connect timed out): a TCP connect about every ``probe_interval`` seconds,
  jittered, whatever the backoff has grown to, so the link is back about a second after the
  network or the server returns.
"""

from __future__ import annotations

import random
import threading
from typing import Callable
from typing import Optional

__all__ = ["Backoff"]


class Backoff:
    """Thread-safe attempt pacing; ``rng`` is injectable for tests."""

    def __init__(
        self,
        base: float,
        cap: float,
        probe_interval: float = 1.0,
        rng: Optional[Callable[[float, float], float]] = None,
    ) -> None:
        self.base = base
        self.cap = cap
        self.probe_interval = probe_interval
        self._uniform = rng or random.uniform
        self._failures = 0
        self._lock = threading.Lock()

    @property
    def failures(self) -> int:
        """Failures since the last healthy link."""
        return self._failures

    def next_delay(self, *, unreachable: bool) -> float:
        """Count one failure and return the wait before the next attempt."""
        with self._lock:
            if unreachable:
                return self._uniform(0.5 * self.probe_interval, self.probe_interval)
            ceiling = min(self.cap, self.base * (2.0 ** min(self._failures, 30)))
            self._failures += 1
            return self._uniform(0.0, ceiling)

    def healthy(self) -> None:
        """The link proved healthy: the next failure starts from ``base`` again."""
        with self._lock:
            self._failures = 0
