"""A loopback listener whose TCP connects hang: for testing connect timeouts and cancels.

A :class:`FaultProxy` in ``blackhole`` mode accepts the connection and then stays silent; a
path that drops the SYN (a firewall, a host that is gone) is different: the connect itself
never completes. :class:`FullBacklog` makes that on loopback with a listener that never
accepts and whose backlog is filled, so the kernel drops every further SYN. Needs only the
standard library.
"""

from __future__ import annotations

import socket

from .._poll import wait_io

__all__ = ["FullBacklog"]


class FullBacklog:
    """A listener on ``127.0.0.1:port`` that never accepts, its backlog filled: a TCP
    connect to it hangs. :meth:`close` (or a ``with`` block) frees it.

    Raises:
        AssertionError: the backlog never filled (16 connects all completed).
    """

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=0)
        self.port: int = self.listener.getsockname()[1]
        self.fillers: list[socket.socket] = []
        for _ in range(16):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", self.port))
            self.fillers.append(filler)
            if not wait_io([], [filler], 0.2)[1]:  # this one hangs: the backlog is full
                return
        self.close()
        raise AssertionError("the backlog never filled up")

    def close(self) -> None:
        for sock in [*self.fillers, self.listener]:
            sock.close()

    def __enter__(self) -> FullBacklog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
