"""The file-system steps of the file store: safe folder names, atomic writes, unwritable
folders, and trust: links, owners and modes.

A write goes to a temp file in the same folder, is ``fsync``-ed and renamed over the target
with ``os.replace``, then the folder is ``fsync``-ed. An ``OSError`` that means the folder
can't be written (read-only file system, no permission, disk full) becomes :class:`Unwritable`,
on which the store switches to memory; any other ``OSError`` propagates.

Trust (POSIX): the store's folder must be a real folder (not a link) owned by this user, in a
parent that is not world-writable (unless sticky, like ``/tmp``), and is made 0700 when it
is wider; the session and lock files are opened without following links
(``O_NOFOLLOW``) or blocking on a FIFO (``O_NONBLOCK``), and must be regular files owned by
this user. A folder that fails is :class:`Untrusted`, on which the store keeps the session in
memory; nothing is ever changed through a link or on a file of another user.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator

from .._neterrors import errnos

__all__ = [
    "TMP_PREFIX",
    "TMP_SUFFIX",
    "Untrusted",
    "Unwritable",
    "check_folder",
    "current_uid",
    "is_trusted_file",
    "open_no_follow",
    "safe_folder_name",
    "sweep_temp_files",
    "unwritable_errors",
    "write_atomically",
]

TMP_PREFIX = ".session.json."
TMP_SUFFIX = ".tmp"
_MAX_FOLDER_NAME = 200
#: Errors that make the store give up on the disk and keep the session in memory.
_UNWRITABLE_ERRNOS = errnos("EROFS", "EACCES", "EPERM", "ENOSPC", "EDQUOT")


class Unwritable(Exception):
    """The folder can't be written; ``error`` is the OSError that said so."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.errno)
        self.error = error


class Untrusted(Exception):
    """The folder or the lock file can't be trusted; ``reason`` says why (no contents)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# What open() with O_NOFOLLOW answers for a link (ELOOP; EMLINK on FreeBSD).
_LINK_ERRNOS = frozenset(code for code in (errno.ELOOP, getattr(errno, "EMLINK", 0)) if code)


def current_uid() -> int:
    """The user whose files the store trusts (the effective uid)."""
    return os.geteuid()


def is_trusted_file(st: os.stat_result) -> bool:
    """True for a regular file owned by this user."""
    return stat.S_ISREG(st.st_mode) and st.st_uid == current_uid()


def open_no_follow(path: str, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that never follows a link at ``path`` (a link raises :class:`Untrusted`)
    and never blocks on a FIFO."""
    try:
        return os.open(path, flags | _NOFOLLOW | _NONBLOCK | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno in _LINK_ERRNOS or (exc.errno == errno.ENOTDIR and flags & _DIRECTORY):
            raise Untrusted(
                f"{os.path.basename(path)} is a link or not what it should be"
            ) from None
        raise


def check_folder(path: str) -> None:
    """Trust the store's folder or raise :class:`Untrusted`: a real folder (not a link) owned
    by this user, made 0700 if it was wider, in a parent that others can't rename it in
    (not world-writable, or sticky like ``/tmp``). Raises ``FileNotFoundError`` when it is
    missing.
    """
    parent = os.stat(os.path.dirname(os.path.abspath(path)))
    if parent.st_mode & stat.S_IWOTH and not parent.st_mode & stat.S_ISVTX:
        # Anyone may rename the session folder away and put their own in its place.
        raise Untrusted("others may replace the session folder (its parent is world-writable)")
    fd = open_no_follow(path, os.O_RDONLY | _DIRECTORY)
    try:
        st = os.fstat(fd)
        if not stat.S_ISDIR(st.st_mode):
            raise Untrusted("the session folder is not a folder")
        if st.st_uid != current_uid():
            raise Untrusted("the session folder belongs to another user")
        if stat.S_IMODE(st.st_mode) != 0o700:
            try:
                os.fchmod(fd, 0o700)
            except OSError:
                if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                    raise Untrusted("others may write to the session folder") from None
    finally:
        os.close(fd)


@contextlib.contextmanager
def unwritable_errors() -> Iterator[None]:
    """Turn an ``OSError`` that means "this folder can't be written" into :class:`Unwritable`."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _UNWRITABLE_ERRNOS:
            raise Unwritable(exc) from None
        raise


def safe_folder_name(app_id: str) -> str:
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


def write_atomically(folder: str, path: str, data: bytes) -> None:
    """Make ``data`` the content of ``path`` (in ``folder``): readers see old or new, never half.

    Raises :class:`Unwritable` when the folder can't be written; leaves no temp file behind.
    """
    with unwritable_errors():
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=folder)
    try:
        with unwritable_errors():
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def sweep_temp_files(folder: str) -> None:
    """Remove temp files left by a writer that crashed (call it holding the store's lock)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(TMP_PREFIX) and name.endswith(TMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


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
