"""One authenticated WebSocket as the emulator sees it, and the outbox that carries frames to it.

A :class:`Peer` wraps a websockets connection with the user, resource and presence subscription
it authenticated with. Domain code never sends while it holds the store lock: it returns an
:data:`Outbox` (frames, already serialised, with the peers to send them to) and the caller hands
it to :func:`deliver` once the lock is released, so a slow or dead socket never blocks the rest.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from dataclasses import field
from typing import Optional
from typing import Protocol
from typing import Union

__all__ = ["Conn", "Outbox", "Peer", "deliver"]


class Conn(Protocol):
    """What a peer needs from its WebSocket connection (a websockets ``ServerConnection``)."""

    def send(self, message: Union[str, bytes]) -> None: ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(eq=False)
class Peer:
    """One authenticated WebSocket of one user (peers compare by identity)."""

    pid: int
    uid: str
    resource: Optional[str]
    subscription: Optional[str]
    roles: list[str]
    conn: Conn
    #: Serialises sends on this socket; held by the handler while it registers the peer and
    #: answers the auth frame, so no event can overtake the auth reply.
    send_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    closed: bool = field(default=False, init=False)

    def send(self, data: Union[str, bytes]) -> bool:
        """Send one frame; ``False`` (and no exception) if the socket is closed or broken."""
        with self.send_lock:
            if self.closed:
                return False
            try:
                self.conn.send(data)
            except Exception:  # ConnectionClosed, OSError, RuntimeError: the socket is gone
                return False
            return True


Outbox = list[tuple[list[Peer], Union[str, bytes]]]


def deliver(outbox: Outbox) -> None:
    """Send every frame of ``outbox``; never call this while holding the store lock."""
    for peers, data in outbox:
        for peer in peers:
            peer.send(data)
