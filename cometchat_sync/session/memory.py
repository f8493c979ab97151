""":class:`MemorySessionStore`: a session store that lives in this process only.

Used with ``persist_session=False``, in tests, and by :class:`FileSessionStore` as its fallback
once its folder proves unwritable.
"""

from __future__ import annotations

import threading
from typing import Callable
from typing import Optional

from .. import _fork
from .record import Session
from .record import State
from .record import check_app_id
from .record import check_session
from .record import new_device_id

__all__ = ["MemorySessionStore"]


class MemorySessionStore:
    """A :class:`SessionStore` that lives in this process only. Thread-safe."""

    def __init__(self, app_id: str) -> None:
        self._app_id = check_app_id(app_id)
        self._lock = threading.RLock()
        _fork.register(self)
        self._state = State()

    @classmethod
    def _from_state(cls, app_id: str, state: State) -> MemorySessionStore:
        store = cls(app_id)
        store._state = State(state.device_id, state.session)
        return store

    @property
    def app_id(self) -> str:
        """The app id this store belongs to."""
        return self._app_id

    def after_fork_in_child(self) -> None:
        # Another thread may have held the lock at fork time; it doesn't exist in the child.
        self._lock = threading.RLock()

    def load(self) -> Optional[Session]:
        with self._lock:
            return self._state.session

    def save(self, session: Session) -> None:
        self.update(lambda _old: session)

    def clear(self) -> None:
        self.update(lambda _old: None)

    def device_id(self) -> str:
        with self._lock:
            if self._state.device_id is None:
                self._state.device_id = new_device_id(self._app_id)
            return self._state.device_id

    def update(self, fn: Callable[[Optional[Session]], Optional[Session]]) -> Optional[Session]:
        with self._lock:
            new = fn(self._state.session)
            check_session(new)
            self._state.session = new
            return new

    def __repr__(self) -> str:
        return f"MemorySessionStore(app_id={self._app_id!r})"
