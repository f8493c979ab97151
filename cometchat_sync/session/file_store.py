""":class:`FileSessionStore`: the default session store, one JSON file per app id.

The file lives under ``platformdirs.user_data_dir("cometchat_sync")``. Writes are atomic (see
:mod:`._disk`), the file is mode 0600 in a 0700 folder, and a separate ``session.json.lock``
file serialises read-modify-write across threads and processes. A corrupt file reads as
"logged out"; a read-only folder makes the store keep the session in memory.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Optional
from typing import Union

import platformdirs
from filelock import FileLock
from filelock import Timeout

from .. import _fork
from ..errors import CometChatException
from ..errors import ErrorCode
from . import _document
from ._disk import Untrusted
from ._disk import Unwritable
from ._disk import check_folder
from ._disk import is_trusted_file
from ._disk import open_no_follow
from ._disk import safe_folder_name
from ._disk import sweep_temp_files
from ._disk import unwritable_errors
from ._disk import write_atomically
from ._document import CorruptFile
from .memory import MemorySessionStore
from .record import Session
from .record import State
from .record import check_app_id
from .record import check_session
from .record import epoch_ms
from .record import new_device_id

__all__ = ["FileSessionStore"]

log = logging.getLogger(__name__)

_FILE_NAME = "session.json"
_LOCK_SUFFIX = ".lock"
_CORRUPT_INFIX = ".corrupt-"
_POSIX = sys.platform != "win32"


class FileSessionStore:
    """A :class:`SessionStore` backed by ``<directory>/<app_id>/session.json``.

    Args:
        app_id: the CometChat app id; also names the folder (escaped so it is one safe name).
        directory: the parent folder; defaults to
            ``platformdirs.user_data_dir("cometchat_sync", appauthor=False)``.
        lock_timeout: seconds to wait for the cross-process lock before raising
            :class:`~cometchat_sync.errors.CometChatException` with code ``ERR_SESSION_LOCKED``.

    The file holds ``{"version": 1, "device_id": ..., "session": {...} | null}``. Reads need
    no lock (writes are atomic); every write and every read-modify-write holds
    ``session.json.lock``.

    A corrupt file is renamed to ``session.json.corrupt-<epoch ms>`` and reads as logged out.
    When the folder turns out to be unwritable (read-only file system, no permission, disk
    full) or untrusted (a link, another user's), the store logs one warning and keeps the
    session in memory from then on. A session file that is a link, not a regular file, or
    another user's is set aside like a corrupt one; nothing is followed through a link or
    chmodded (see ``docs/sessions.md``).
    """

    def __init__(
        self,
        app_id: str,
        directory: Union[str, os.PathLike[str], None] = None,
        lock_timeout: float = 10.0,
    ) -> None:
        self._app_id = check_app_id(app_id)
        if lock_timeout < 0:
            raise ValueError("lock_timeout must be >= 0")
        if directory is None:
            directory = platformdirs.user_data_dir("cometchat_sync", appauthor=False)
        self._dir = os.path.join(os.fspath(directory), safe_folder_name(app_id))
        self._path = os.path.join(self._dir, _FILE_NAME)
        self._lock_path = self._path + _LOCK_SUFFIX
        self._lock_timeout = float(lock_timeout)
        self._tlock = threading.RLock()
        _fork.register(self)
        self._memory: Optional[MemorySessionStore] = None
        self._file_lock: Any = None
        self._swept = False
        self._mode_warned = False
        self._rewrite = False

    @property
    def app_id(self) -> str:
        """The app id this store belongs to."""
        return self._app_id

    @property
    def path(self) -> Path:
        """The session file's path."""
        return Path(self._path)

    @property
    def in_memory(self) -> bool:
        """``True`` once the folder proved unwritable and the store keeps the session in memory."""
        return self._memory is not None

    # -- public API ------------------------------------------------------------------------

    def load(self) -> Optional[Session]:
        with self._tlock:
            if self._memory is None:
                try:
                    state = self._read()
                    if not self._rewrite:
                        return state.session
                except CorruptFile:
                    pass
                except Unwritable as exc:
                    self._go_memory(State(), _errno_name(exc.error))
                except Untrusted as exc:
                    self._go_memory(State(), exc.reason)
                if self._memory is None:
                    return self._transaction(None)[1]
            return self._memory.load()

    def save(self, session: Session) -> None:
        check_session(session)
        self.update(lambda _old: session)

    def clear(self) -> None:
        self.update(lambda _old: None)

    def device_id(self) -> str:
        with self._tlock:
            if self._memory is None:
                try:
                    state = self._read()
                    device_id = None if self._rewrite else state.device_id
                except CorruptFile:
                    device_id = None
                except Unwritable as exc:
                    self._go_memory(State(), _errno_name(exc.error))
                    device_id = None
                except Untrusted as exc:
                    self._go_memory(State(), exc.reason)
                    device_id = None
                if device_id is not None:
                    return device_id
                if self._memory is None:
                    device_id = self._transaction(None, need_device_id=True)[0].device_id
                    if device_id is not None:
                        return device_id
            assert self._memory is not None
            return self._memory.device_id()

    def update(self, fn: Callable[[Optional[Session]], Optional[Session]]) -> Optional[Session]:
        with self._tlock:
            if self._memory is not None:
                return self._memory.update(fn)
            return self._transaction(fn)[1]

    def __repr__(self) -> str:
        return f"FileSessionStore(app_id={self._app_id!r}, path={self._path!r})"

    # -- internals -------------------------------------------------------------------------

    def after_fork_in_child(self) -> None:
        # Locks held by the parent's other threads are dead in the child; so is their
        # filelock state (never release the parent's flock from here).
        self._tlock = threading.RLock()
        self._file_lock = None
        if self._memory is not None:
            self._memory.after_fork_in_child()

    def _read(self) -> State:
        """Read the file without the lock. A missing file is an empty state.

        Raises :class:`CorruptFile` for unusable contents or a file the store can't trust (a
        link, not a regular file, another user's), :class:`Untrusted` for a folder it can't
        trust, and :class:`Unwritable` when the file can't be opened for lack of permission.
        Sets ``_rewrite`` when the file is readable by others (the next locked read rewrites
        it 0600: the store never chmods a file).
        """
        self._rewrite = False
        try:
            with unwritable_errors():
                if _POSIX:
                    check_folder(self._dir)
                try:
                    fd = open_no_follow(self._path, os.O_RDONLY)
                except Untrusted:
                    raise CorruptFile("a link") from None
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                if _POSIX and not is_trusted_file(st):
                    owner = (
                        "owned by another user"
                        if stat.S_ISREG(st.st_mode)
                        else "not a regular file"
                    )
                    raise CorruptFile(owner)
                raw = fh.read(_document.MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            return State()
        if len(raw) > _document.MAX_FILE_BYTES:
            raise CorruptFile("too large")
        # A corrupt file gets its own warning; don't warn twice about it.
        state = _document.parse(raw)
        self._rewrite = _POSIX and bool(st.st_mode & (stat.S_IRWXG | stat.S_IRWXO))
        if self._rewrite and not self._mode_warned:
            self._mode_warned = True
            log.warning(
                "Session file %s was readable by other users (mode %o); rewrote it as 0600.",
                self._path,
                stat.S_IMODE(st.st_mode),
            )
        return state

    def _transaction(
        self,
        fn: Optional[Callable[[Optional[Session]], Optional[Session]]],
        *,
        need_device_id: bool = False,
    ) -> tuple[State, Optional[Session]]:
        """Read, apply ``fn``, write if anything changed, all under the file lock.

        ``fn=None`` only reads (moving a corrupt file aside), and with ``need_device_id``
        also creates the device id. Switches the store to memory when the folder proves
        unwritable. Returns the state now stored and ``fn``'s result.
        """
        state: Optional[State] = None
        try:
            with self._locked():
                state = self._read_locked()
                if fn is None and (state.device_id is not None or not need_device_id):
                    return state, state.session
                new = State(state.device_id, state.session)
                if fn is not None:
                    new.session = fn(state.session)
                    check_session(new.session)
                if new.device_id is None:
                    new.device_id = new_device_id(self._app_id)
                if new.device_id != state.device_id or new.session != state.session:
                    self._write(new)
                return new, new.session
        except (Unwritable, Untrusted) as exc:
            if isinstance(exc, Untrusted):
                state, why = State(), exc.reason  # nothing on that disk is trusted
            else:
                why = _errno_name(exc.error)
            if state is None:
                # The folder or lock failed before the locked read: use what can be read.
                try:
                    state = self._read()
                except (CorruptFile, Unwritable, Untrusted):
                    state = State()
            self._go_memory(state, why)
            assert self._memory is not None
            if fn is None:
                return State(self._memory.device_id(), state.session), state.session
            result = self._memory.update(fn)
            return State(self._memory.device_id(), result), result

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_dir()
        if self._file_lock is None:
            self._file_lock = FileLock(self._lock_path, timeout=self._lock_timeout, mode=0o600)
        try:
            with unwritable_errors():
                self._file_lock.acquire(timeout=self._lock_timeout)
        except Timeout:
            raise CometChatException(
                ErrorCode.SESSION_LOCKED,
                f"Another process held the session lock for more than {self._lock_timeout:g} s.",
                {"path": self._lock_path},
            ) from None
        try:
            if not self._swept:
                self._swept = True
                sweep_temp_files(self._dir)
            yield
        finally:
            self._file_lock.release()

    def _ensure_dir(self) -> None:
        with unwritable_errors():
            parent = os.path.dirname(self._dir)
            if parent:
                os.makedirs(parent, mode=0o700, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(self._dir, 0o700)
            if _POSIX:
                check_folder(self._dir)
                # Probe that the lock file can be created here, and is ours and no link,
                # before filelock opens it.
                fd = open_no_follow(self._lock_path, os.O_RDWR | os.O_CREAT)
                try:
                    trusted = is_trusted_file(os.fstat(fd))
                finally:
                    os.close(fd)
                if not trusted:
                    raise Untrusted("the lock file is not a regular file of this user")

    def _read_locked(self) -> State:
        try:
            state = self._read()
        except CorruptFile as exc:
            return self._set_aside(exc)
        if self._rewrite:
            self._write(state)  # a new 0600 file in place of the one others could read
            self._rewrite = False
        return state

    def _set_aside(self, exc: CorruptFile) -> State:
        """Move a corrupt file out of the way, warn once, and return a logged-out state."""
        base = f"{self._path}{_CORRUPT_INFIX}{epoch_ms()}"
        target = base
        counter = 1
        while os.path.lexists(target):
            target = f"{base}-{counter}"
            counter += 1
        try:
            # Unwritable: _go_memory will warn about the folder; the state becomes logged out.
            with unwritable_errors():
                os.rename(self._path, target)
            where = f"moved it to {os.path.basename(target)}"
        except FileNotFoundError:
            where = "it was already gone"
        log.warning(
            "Session file %s is unusable (%s); %s and treating it as logged out.",
            self._path,
            exc.reason,
            where,
        )
        state = State(exc.device_id, None)
        if state.device_id is not None:
            self._write(state)  # keep the device id that could be saved
        return state

    def _write(self, state: State) -> None:
        write_atomically(self._dir, self._path, _document.dump(state))

    def _go_memory(self, state: State, why: str) -> None:
        """Switch to the in-memory copy, seeded with the last state read from disk."""
        self._memory = MemorySessionStore._from_state(self._app_id, state)
        log.warning(
            "Can't use the session folder %s (%s); keeping the session in memory only "
            "for the rest of this run.",
            self._dir,
            why,
        )


def _errno_name(error: OSError) -> str:
    return errno.errorcode.get(error.errno or 0, str(error.errno))
