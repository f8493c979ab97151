"""What the read loop calls for one authenticated socket: read what arrived, parse it, hand
the frames over.

The read loop (:mod:`~cometchat_sync.connection.read_loop`) calls :meth:`LinkReader.readable`
when the socket is readable. It reads without waiting (``Link.read_ready``), parses each text
message (:func:`~cometchat_sync._json.parse_text_frame`: strict UTF-8, then JSON; a message
that is not UTF-8 closes the link with 1007), stops pongs here (the lifecycle counts them) and
hands the rest over as one batch per wake-up (the client's router, which only queues work for
the dispatcher). It never runs user code and never blocks.
"""

from __future__ import annotations

import logging
from typing import Any
from typing import Callable
from typing import Optional

from .._json import parse_text_frame
from .lifecycle import Lifecycle
from .lifecycle import LinkState
from .transport import CLOSE_INVALID_DATA
from .transport import LinkClosed
from .wire_trace import trace
from .wire_trace import tracing

__all__ = ["LinkReader"]

log = logging.getLogger("cometchat_sync.connection.reader")


class LinkReader:
    """The read loop's handler of the socket of ``state``.

    Args:
        state: the authenticated socket's liveness record.
        lifecycle: counts pongs.
        frames_in: ``frames_in(state, frames)``: the frames that arrived together, in order.
        healthy: called at the socket's first pong (the backoff starts afresh).
        ended: ``ended(state, closed)``: called once, after the read loop unregistered the
            socket, with how it closed.
    """

    __slots__ = ("_closed", "_ended", "_frames_in", "_healthy", "_lc", "_link", "_state")

    def __init__(
        self,
        state: LinkState,
        lifecycle: Lifecycle,
        frames_in: Callable[[LinkState, list[dict[str, Any]]], None],
        healthy: Callable[[], None],
        ended: Callable[[LinkState, LinkClosed], None],
    ) -> None:
        self._state = state
        self._link = state.link
        self._lc = lifecycle
        self._frames_in = frames_in
        self._healthy = healthy
        self._ended = ended
        self._closed: Optional[LinkClosed] = None

    def fileno(self) -> int:
        return self._link.fileno()

    def readable(self) -> bool:
        """Read and hand over what arrived; False when the link ended."""
        state = self._state
        try:
            payloads = self._link.read_ready()
        except LinkClosed as exc:
            self._closed = exc
            return False
        state.last_inbound = self._lc.clock()  # any inbound byte counts as alive
        traced = tracing()
        batch: list[dict[str, Any]] = []
        for payload in payloads:
            try:
                frame = parse_text_frame(payload)
            except UnicodeDecodeError:
                self._link.close(CLOSE_INVALID_DATA)
                self._closed = LinkClosed(CLOSE_INVALID_DATA, "invalid UTF-8 in a text frame")
                break
            except (ValueError, RecursionError):
                log.debug("dropped a frame that is not JSON (%d bytes)", len(payload))
                continue
            if traced:
                trace("<", payload.decode("utf-8"))
            if not isinstance(frame, dict):
                log.debug("dropped a JSON frame that is not an object")
            elif frame.get("action") == "pong":
                if self._lc.pong(state):
                    self._healthy()
            else:
                batch.append(frame)
        if batch:
            try:
                self._frames_in(state, batch)
            except Exception:
                log.exception("frame handler failed; %d frames dropped", len(batch))
        return self._closed is None

    def ended(self) -> None:
        """The read loop let go of the socket: report how it ended (once)."""
        closed = self._closed or LinkClosed(1006, "the read loop dropped the link")
        self._ended(self._state, closed)
