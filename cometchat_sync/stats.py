"""``ClientStats``: one immutable snapshot of a client's connection and delivery figures,
returned by :meth:`CometChatClient.stats() <cometchat_sync.CometChatClient.stats>`.

Every figure counts from the creation of the client (a new client starts at zero). Taking a
snapshot does no I/O and holds no lock for long, so it is safe from any thread and from inside
a listener; poll it as often as a metrics exporter likes.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Optional

from .connection.state import ConnectionStatus

if TYPE_CHECKING:
    from .connection.lifecycle import ConnectionCounters
    from .events.delivery import DeliveryCounters

__all__ = ["ClientStats"]


@dataclass(frozen=True)
class ClientStats:
    """A client's figures at one moment (``client.stats()``); immutable.

    Attributes:
        connection_attempts: socket connection attempts started (each dial, successful or
            not).
        reconnects: links re-established after a lost one (the first connect not counted).
        last_pong_age: seconds since the current socket's last pong, or ``None`` with no
            socket or no pong yet.
        seconds_in: seconds spent in each :class:`~cometchat_sync.ConnectionStatus`, the
            current one up to now (a read-only mapping with every status).
        events_delivered: events handed to listeners (one per event, however many
            listeners heard it), live and caught up.
        events_deferred: message events that came while the dispatcher queue was full, so
            were not queued but fetched over REST once it drained (nothing lost, order kept
            per conversation). Growing: a listener is slower than the traffic.
        events_dropped: events that came while the queue was full and cannot be fetched
            back (typing indicators, receipts, presence, transient messages, reactions).
        catch_up_fetches: REST pages asked for by catch-ups (after reconnects, retries and
            a full queue).
        catch_up_failures: those that failed (the gap stays and is retried).
        queue_depth: events waiting in the dispatcher queue now.
        queue_peak: the most events that ever waited there (at most the
            ``max_queued_events`` setting).
    """

    connection_attempts: int
    reconnects: int
    last_pong_age: Optional[float]
    seconds_in: Mapping[ConnectionStatus, float]
    events_delivered: int
    events_deferred: int
    events_dropped: int
    catch_up_fetches: int
    catch_up_failures: int
    queue_depth: int
    queue_peak: int

    @classmethod
    def of(cls, connection: ConnectionCounters, delivery: DeliveryCounters) -> ClientStats:
        """The snapshot of a connection's and a delivery's counters (SDK-internal)."""
        return cls(
            connection_attempts=connection.attempts,
            reconnects=connection.reconnects,
            last_pong_age=connection.last_pong_age,
            seconds_in=types.MappingProxyType(dict(connection.seconds_in)),
            events_delivered=delivery.events_delivered,
            events_deferred=delivery.events_deferred,
            events_dropped=delivery.events_dropped,
            catch_up_fetches=delivery.catch_up_fetches,
            catch_up_failures=delivery.catch_up_failures,
            queue_depth=delivery.queue_depth,
            queue_peak=delivery.queue_peak,
        )
