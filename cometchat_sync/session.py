"""Where the logged-in session lives between runs (design §6).

A :class:`Session` is what ``login()`` produced: the uid, the auth token, the JWT, the user
JSON, the app settings and the per-run resource id. A :class:`SessionStore` keeps it, together
with a persistent *device id* that survives logouts and restarts.

Two stores ship with the SDK:

* :class:`FileSessionStore` (the default) keeps one JSON file per app id under
  ``platformdirs.user_data_dir("cometchat_sync")``. Writes are atomic (temp file in the same
  folder, ``fsync``, ``os.replace``), the file is mode 0600 in a 0700 folder, and a separate
  ``session.json.lock`` file serialises read-modify-write across threads and processes. A corrupt
  file reads as "logged out"; a read-only folder makes the store keep the session in memory.
* :class:`MemorySessionStore` keeps it in the process only (``persist_session=False``, tests).

Any object with the methods of :class:`SessionStore` can be used instead (a keyring, a
database row, ...).

Tokens never appear in ``repr()``, in log records or in exception text. Deleting the file does
not scrub the disk.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Protocol, Union, runtime_checkable

import platformdirs
from filelock import FileLock, Timeout

from ._version import __version__
from .errors import CometChatException, ErrorCode

__all__ = [
    "SESSION_LOCKED",
    "FileSessionStore",
    "MemorySessionStore",
    "Session",
    "SessionStore",
    "new_resource_id",
]

log = logging.getLogger(__name__)

#: Error code raised when the session file's lock cannot be taken in time.
SESSION_LOCKED = ErrorCode.SESSION_LOCKED

#: Version of the on-disk JSON document this module writes and understands.
_FILE_VERSION = 1
_FILE_NAME = "session.json"
_LOCK_SUFFIX = ".lock"
_CORRUPT_INFIX = ".corrupt-"
_TMP_PREFIX = ".session.json."
_TMP_SUFFIX = ".tmp"
#: Errors that make the store give up on the disk and keep the session in memory.
_UNWRITABLE_ERRNOS = frozenset(
    code
    for code in (
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENOSPC,
        getattr(errno, "EDQUOT", None),
    )
    if code is not None
)
#: Largest session file read; anything bigger is treated as corrupt.
_MAX_FILE_BYTES = 16 * 1024 * 1024
_MAX_FOLDER_NAME = 200


def _epoch_ms() -> int:
    return time.time_ns() // 1_000_000


def new_resource_id() -> str:
    """A new per-run resource id, ``PYTHON-<version with _>-<uuid4>-<epoch ms>`` (protocol §2.3).

    The resource id names one run of the app (the REST ``resource`` header and the socket's
    ``deviceId``). It is never written to disk by this module; make one per run.
    """
    return f"PYTHON-{__version__.replace('.', '_')}-{uuid.uuid4()}-{_epoch_ms()}"


def _new_device_id(app_id: str) -> str:
    return f"{app_id}_{uuid.uuid4().hex}_{_epoch_ms()}"


def _check_app_id(app_id: str) -> str:
    if not isinstance(app_id, str):
        raise TypeError(f"app_id must be a str, not {type(app_id).__name__}")
    if not app_id.strip():
        raise ValueError("app_id must be a non-empty string")
    return app_id


@dataclass(frozen=True, repr=False)
class Session:
    """One logged-in session.

    Attributes:
        uid: the logged-in user's uid.
        auth_token: the user's auth token (masked in ``repr()``).
        jwt: the JWT the socket authenticates with (masked in ``repr()``).
        user: the user's wire JSON, as the login call returned it.
        settings: the app settings fetched at login.
        resource: the per-run resource id the session was made with (see
            :func:`new_resource_id`), or ``""``.
    """

    uid: str
    auth_token: str
    jwt: str
    user: dict[str, Any]
    settings: dict[str, Any]
    resource: str = ""

    def to_json(self) -> dict[str, Any]:
        """This session as a JSON-ready dict (tokens included: store it with care)."""
        return {
            "uid": self.uid,
            "auth_token": self.auth_token,
            "jwt": self.jwt,
            "user": dict(self.user),
            "settings": dict(self.settings),
            "resource": self.resource,
        }

    @classmethod
    def from_json(cls, data: Any) -> Session:
        """Build a session from :meth:`to_json`'s output.

        Raises:
            ValueError: ``data`` is not a dict of the expected shape. The message names the
                field, never its value.
        """
        if not isinstance(data, Mapping):
            raise ValueError("session must be a JSON object")
        for name in ("uid", "auth_token"):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"session field {name!r} must be a non-empty string")
        if not isinstance(data.get("jwt"), str):
            raise ValueError("session field 'jwt' must be a string")
        if not isinstance(data.get("resource", ""), str):
            raise ValueError("session field 'resource' must be a string")
        for name in ("user", "settings"):
            if not isinstance(data.get(name), dict):
                raise ValueError(f"session field {name!r} must be a JSON object")
        return cls(
            uid=data["uid"],
            auth_token=data["auth_token"],
            jwt=data["jwt"],
            user=dict(data["user"]),
            settings=dict(data["settings"]),
            resource=data.get("resource", ""),
        )

    def __repr__(self) -> str:
        return f"Session(uid={self.uid!r}, auth_token='***', jwt='***', resource={self.resource!r})"


@runtime_checkable
class SessionStore(Protocol):
    """What the client needs from a session store.

    Every method is safe to call from any thread. Implementations must never log or raise
    with a token in the text.
    """

    def load(self) -> Optional[Session]:
        """The stored session, or ``None`` when logged out."""
        ...

    def save(self, session: Session) -> None:
        """Store ``session``, replacing any previous one."""
        ...

    def clear(self) -> None:
        """Forget the session (logout). The device id is kept."""
        ...

    def device_id(self) -> str:
        """The persistent device id, created on first use and kept across logouts."""
        ...

    def update(self, fn: Callable[[Optional[Session]], Optional[Session]]) -> Optional[Session]:
        """Atomically replace the session with ``fn(current)``; ``None`` clears it.

        ``fn`` runs while the store is locked (across processes for a file store), so it must
        be quick and must not wait on other processes. Returns what ``fn`` returned.
        """
        ...


class _State:
    """The content of a store: the device id and the session."""

    __slots__ = ("device_id", "session")

    def __init__(self, device_id: Optional[str] = None, session: Optional[Session] = None) -> None:
        self.device_id = device_id
        self.session = session


#: Every store, so a forked child can re-create their locks (design §7).
_live_stores: weakref.WeakSet[Any] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for store in list(_live_stores):
        store._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class MemorySessionStore:
    """A :class:`SessionStore` that lives in this process only. Thread-safe."""

    def __init__(self, app_id: str) -> None:
        self._app_id = _check_app_id(app_id)
        self._lock = threading.RLock()
        _live_stores.add(self)
        self._state = _State()

    @classmethod
    def _from_state(cls, app_id: str, state: _State) -> MemorySessionStore:
        store = cls(app_id)
        store._state = _State(state.device_id, state.session)
        return store

    @property
    def app_id(self) -> str:
        """The app id this store belongs to."""
        return self._app_id

    def _reset_after_fork(self) -> None:
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
                self._state.device_id = _new_device_id(self._app_id)
            return self._state.device_id

    def update(self, fn: Callable[[Optional[Session]], Optional[Session]]) -> Optional[Session]:
        with self._lock:
            new = fn(self._state.session)
            _check_session(new)
            self._state.session = new
            return new

    def __repr__(self) -> str:
        return f"MemorySessionStore(app_id={self._app_id!r})"


def _check_session(value: object) -> None:
    if value is not None and not isinstance(value, Session):
        raise TypeError(f"a session store holds Session objects, not {type(value).__name__}")


def _safe_folder_name(app_id: str) -> str:
    """``app_id`` as one folder name: path separators, ``..`` and odd characters escaped."""
    out = []
    for char in app_id:
        if char.isascii() and (char.isalnum() or char in "-_."):
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    name = "".join(out)
    if name.startswith("."):
        # "." and ".." (and hidden names) would point elsewhere or hide the folder.
        name = "%2E" + name[1:]
    if len(name) > _MAX_FOLDER_NAME:
        raise ValueError("app_id is too long to name a folder")
    return name


class _CorruptFile(Exception):
    """The session file exists but can't be used. ``reason`` names the problem, no contents."""

    def __init__(self, reason: str, device_id: Optional[str] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.device_id = device_id


class _Unwritable(Exception):
    """The folder can't be written; ``error`` is the OSError that said so."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.errno)
        self.error = error


def _parse_document(raw: bytes) -> _State:
    """Parse the file's bytes. Raises :class:`_CorruptFile`; never leaks contents."""
    try:
        text = raw.decode("utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError:
        raise _CorruptFile("not UTF-8") from None
    except RecursionError:
        raise _CorruptFile("nested too deeply") from None
    except ValueError:
        raise _CorruptFile("not valid JSON") from None
    if not isinstance(doc, dict):
        raise _CorruptFile("not a JSON object")
    version = doc.get("version")
    device_id = doc.get("device_id")
    if not isinstance(device_id, str) or not device_id:
        device_id = None
    if type(version) is not int:
        raise _CorruptFile("no schema version", device_id)
    if version != _FILE_VERSION:
        raise _CorruptFile(f"unknown schema version {version}", device_id)
    if device_id is None:
        raise _CorruptFile("no device id")
    session_json = doc.get("session")
    if session_json is None:
        return _State(device_id, None)
    try:
        session = Session.from_json(session_json)
    except ValueError as exc:
        raise _CorruptFile(str(exc), device_id) from None
    return _State(device_id, session)


def _fsync_dir(path: str) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows can't open folders
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse it; the data file itself was fsynced
        pass
    finally:
        os.close(fd)


def _replace(src: str, dst: str) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        _replace_with_retry(src, dst)
    else:
        os.replace(src, dst)


def _replace_with_retry(src: str, dst: str) -> None:
    # Windows: a reader or a virus scanner holding dst open makes os.replace fail briefly.
    deadline = time.monotonic() + 1.0
    while True:
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


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
    full), the store logs one warning and keeps the session in memory from then on.
    """

    def __init__(
        self,
        app_id: str,
        directory: Union[str, os.PathLike[str], None] = None,
        lock_timeout: float = 10.0,
    ) -> None:
        self._app_id = _check_app_id(app_id)
        if lock_timeout < 0:
            raise ValueError("lock_timeout must be >= 0")
        if directory is None:
            directory = platformdirs.user_data_dir("cometchat_sync", appauthor=False)
        self._dir = os.path.join(os.fspath(directory), _safe_folder_name(app_id))
        self._path = os.path.join(self._dir, _FILE_NAME)
        self._lock_path = self._path + _LOCK_SUFFIX
        self._lock_timeout = float(lock_timeout)
        self._tlock = threading.RLock()
        _live_stores.add(self)
        self._memory: Optional[MemorySessionStore] = None
        self._file_lock: Any = None
        self._swept = False
        self._mode_warned = False

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
                    return self._read().session
                except _CorruptFile:
                    pass
                except _Unwritable as exc:
                    self._go_memory(_State(), exc.error)
                if self._memory is None:
                    return self._transaction(None)[1]
            return self._memory.load()

    def save(self, session: Session) -> None:
        _check_session(session)
        self.update(lambda _old: session)

    def clear(self) -> None:
        self.update(lambda _old: None)

    def device_id(self) -> str:
        with self._tlock:
            if self._memory is None:
                try:
                    device_id = self._read().device_id
                except _CorruptFile:
                    device_id = None
                except _Unwritable as exc:
                    self._go_memory(_State(), exc.error)
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

    def _reset_after_fork(self) -> None:
        # Locks held by the parent's other threads are dead in the child; so is their
        # filelock state (never release the parent's flock from here).
        self._tlock = threading.RLock()
        self._file_lock = None
        if self._memory is not None:
            self._memory._reset_after_fork()

    def _read(self) -> _State:
        """Read the file without the lock. A missing file is an empty state.

        Raises :class:`_CorruptFile` for unusable contents and :class:`_Unwritable` when the
        file can't be opened for lack of permission.
        """
        try:
            with open(self._path, "rb") as fh:
                mode = os.fstat(fh.fileno()).st_mode
                widened = self._tighten(fh.fileno(), mode)
                raw = fh.read(_MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            return _State()
        except OSError as exc:
            if exc.errno in _UNWRITABLE_ERRNOS:
                raise _Unwritable(exc) from None
            raise
        if len(raw) > _MAX_FILE_BYTES:
            raise _CorruptFile("too large")
        # A corrupt file gets its own warning; don't warn twice about it.
        state = _parse_document(raw)
        if widened and not self._mode_warned:
            self._mode_warned = True
            log.warning(
                "Session file %s was readable by other users (mode %o); changed it to 0600.",
                self._path,
                stat.S_IMODE(mode),
            )
        return state

    @staticmethod
    def _tighten(fd: int, mode: int) -> bool:
        """Make a group/other-accessible file 0600. True when it had to (and could)."""
        if sys.platform == "win32" or not mode & (stat.S_IRWXG | stat.S_IRWXO):
            return False
        try:
            os.fchmod(fd, 0o600)
        except OSError:
            return False
        return True

    def _transaction(
        self,
        fn: Optional[Callable[[Optional[Session]], Optional[Session]]],
        *,
        need_device_id: bool = False,
    ) -> tuple[_State, Optional[Session]]:
        """Read, apply ``fn``, write if anything changed, all under the file lock.

        ``fn=None`` only reads (moving a corrupt file aside), and with ``need_device_id``
        also creates the device id. Switches the store to memory when the folder proves
        unwritable. Returns the state now stored and ``fn``'s result.
        """
        state: Optional[_State] = None
        try:
            with self._locked():
                state = self._read_locked()
                if fn is None and (state.device_id is not None or not need_device_id):
                    return state, state.session
                new = _State(state.device_id, state.session)
                if fn is not None:
                    new.session = fn(state.session)
                    _check_session(new.session)
                if new.device_id is None:
                    new.device_id = _new_device_id(self._app_id)
                if new.device_id != state.device_id or new.session != state.session:
                    self._write(new)
                return new, new.session
        except _Unwritable as exc:
            if state is None:
                # The folder or lock failed before the locked read: use what can be read.
                try:
                    state = self._read()
                except (_CorruptFile, _Unwritable):
                    state = _State()
            self._go_memory(state, exc.error)
            assert self._memory is not None
            if fn is None:
                return _State(self._memory.device_id(), state.session), state.session
            result = self._memory.update(fn)
            return _State(self._memory.device_id(), result), result

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_dir()
        if self._file_lock is None:
            self._file_lock = FileLock(self._lock_path, timeout=self._lock_timeout, mode=0o600)
        try:
            self._file_lock.acquire(timeout=self._lock_timeout)
        except Timeout:
            raise CometChatException(
                SESSION_LOCKED,
                f"Another process held the session lock for more than {self._lock_timeout:g} s.",
                {"path": self._lock_path},
            ) from None
        except OSError as exc:
            if exc.errno in _UNWRITABLE_ERRNOS:
                raise _Unwritable(exc) from None
            raise
        try:
            if not self._swept:
                self._sweep_temp_files()
            yield
        finally:
            self._file_lock.release()

    def _ensure_dir(self) -> None:
        try:
            parent = os.path.dirname(self._dir)
            if parent:
                os.makedirs(parent, mode=0o700, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(self._dir, 0o700)
            if sys.platform != "win32":
                if stat.S_IMODE(os.stat(self._dir).st_mode) != 0o700:
                    os.chmod(self._dir, 0o700)
                # Probe that the lock file can be created here before filelock tries.
                fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                os.close(fd)
        except OSError as exc:
            if exc.errno in _UNWRITABLE_ERRNOS:
                raise _Unwritable(exc) from None
            raise

    def _sweep_temp_files(self) -> None:
        """Remove temp files left by a writer that crashed (safe: we hold the lock)."""
        self._swept = True
        try:
            names = os.listdir(self._dir)
        except OSError:
            return
        for name in names:
            if name.startswith(_TMP_PREFIX) and name.endswith(_TMP_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(self._dir, name))

    def _read_locked(self) -> _State:
        try:
            return self._read()
        except _CorruptFile as exc:
            return self._set_aside(exc)

    def _set_aside(self, exc: _CorruptFile) -> _State:
        """Move a corrupt file out of the way, warn once, and return a logged-out state."""
        base = f"{self._path}{_CORRUPT_INFIX}{_epoch_ms()}"
        target = base
        counter = 1
        while os.path.lexists(target):
            target = f"{base}-{counter}"
            counter += 1
        try:
            os.rename(self._path, target)
            where = f"moved it to {os.path.basename(target)}"
        except FileNotFoundError:
            where = "it was already gone"
        except OSError as os_exc:
            if os_exc.errno in _UNWRITABLE_ERRNOS:
                # _go_memory will warn about the folder; the state becomes logged out.
                raise _Unwritable(os_exc) from None
            raise
        log.warning(
            "Session file %s is unusable (%s); %s and treating it as logged out.",
            self._path,
            exc.reason,
            where,
        )
        state = _State(exc.device_id, None)
        if state.device_id is not None:
            self._write(state)  # keep the device id that could be saved
        return state

    def _write(self, state: _State) -> None:
        doc = {
            "version": _FILE_VERSION,
            "device_id": state.device_id,
            "session": None if state.session is None else state.session.to_json(),
        }
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=self._dir)
        except OSError as exc:
            if exc.errno in _UNWRITABLE_ERRNOS:
                raise _Unwritable(exc) from None
            raise
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            _replace(tmp, self._path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and exc.errno in _UNWRITABLE_ERRNOS:
                raise _Unwritable(exc) from None
            raise
        _fsync_dir(self._dir)

    def _go_memory(self, state: _State, error: OSError) -> None:
        """Switch to the in-memory copy, seeded with the last state read from disk."""
        self._memory = MemorySessionStore._from_state(self._app_id, state)
        code = errno.errorcode.get(error.errno or 0, str(error.errno))
        log.warning(
            "Can't write the session folder %s (%s); keeping the session in memory only "
            "for the rest of this run.",
            self._dir,
            code,
        )
