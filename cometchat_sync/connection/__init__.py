"""The connection layer (internal): the real-time link of one client.

Modules:

* :mod:`.state`: connection states, app states, disconnect reasons, the one transition table;
* :mod:`.lifecycle`: the state under one lock, every wait on it, the epochs of attempts;
* :mod:`.manager`: :class:`~.manager.ConnectionManager`, the modes, keepalive and deadlines;
* :mod:`.api`: the client's connection calls (a mixin over the manager);
* :mod:`.reader`: the reader thread (dial with backoff, authenticate, read, reconnect);
* :mod:`.timer`: the timer thread (one heap of monotonic deadlines);
* :mod:`.backoff`: the pacing of attempts;
* :mod:`.transport`: the seam (what the core needs from a WebSocket);
* :mod:`.dialler`, :mod:`.frames`: the real transport over websocket-client;
* :mod:`.auth_frame`: the socket's first frame; :mod:`.wire_trace`: the masked frame log.

Lock order. Three locks meet here, and they are only ever taken in this order:

1. the lifecycle's lock (:class:`~.lifecycle.Lifecycle`);
2. the timer's lock (:class:`~.timer.Timer`): the lifecycle runs the manager's timer
   bookkeeping under its own lock (``change_app_state``, ``if_current``);
3. the dispatcher's lock (:class:`~cometchat_sync.events.dispatcher.Dispatcher`): every
   status change is queued for the listeners under the lifecycle's lock, so notifications
   can never overtake each other.

No code path takes the lifecycle's lock while it holds the timer's or the dispatcher's, the
timer runs its callbacks with no lock held, and no lock is ever held across network I/O
(a socket write happens after the lock is released; a close that might block is a
``shutdown()``). User code never runs under any of them: listeners run on the dispatcher
thread with no SDK lock held.

Public names are re-exported by :mod:`cometchat_sync`; import them from there.
"""

from .state import AppState
from .state import ConnectionStateChange
from .state import ConnectionStatus
from .state import DisconnectReason

__all__ = ["AppState", "ConnectionStateChange", "ConnectionStatus", "DisconnectReason"]
