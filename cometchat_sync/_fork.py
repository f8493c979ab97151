"""The one fork registry of the SDK.

Objects that own locks, threads or sockets call :func:`register` once; in a child made by
``os.fork()`` each live one then gets ``after_fork_in_child()``, once, in the order they were
registered (a client registers after the session store it reads, so the store's locks are new
before the client uses them). The hook must only replace what the parent's threads may have
held (locks, conditions, thread handles, pooled sockets): it never closes or shuts down an
inherited socket, which would end the parent's connection too.

The registry holds weak references, so registering never keeps an object alive.
"""

from __future__ import annotations

import itertools
import logging
import os
import weakref
from typing import Protocol

__all__ = ["ForkAware", "register"]

log = logging.getLogger(__name__)


class ForkAware(Protocol):
    """Anything with state a forked child must renew."""

    def after_fork_in_child(self) -> None:
        """Renew locks, forget threads and pooled sockets; called in the child only."""


_order = itertools.count()
_live: weakref.WeakKeyDictionary[ForkAware, int] = weakref.WeakKeyDictionary()


def register(obj: ForkAware) -> None:
    """Call ``obj.after_fork_in_child()`` in every child forked while ``obj`` is alive."""
    _live[obj] = next(_order)


def _after_fork_in_child() -> None:
    for obj, _ in sorted(_live.items(), key=lambda item: item[1]):
        try:
            obj.after_fork_in_child()
        except Exception:  # one broken component must not break the child process
            log.exception("after_fork_in_child of %s failed", type(obj).__name__)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
