"""One TLS context per trust setting per process, shared by every client's REST calls and
sockets.

Building an ``ssl.SSLContext`` reads and parses a whole trust store (tens of milliseconds and
close to a MiB of OpenSSL memory for the system's or certifi's bundle). A context only holds
what to trust, never a connection, and ``SSLContext.wrap_socket`` may be called from many
threads at once, so one context per trust setting serves every client of the process:
:func:`context_for` builds it on first use (when a client first dials or opens an https
connection, never when a client is made) and hands the same object to every later caller.

The key of a CA bundle is its path *and* the identity of the file there (device, inode,
size, modification time): a bundle replaced on disk (a renewed private CA) is read again on
the next use; the context of the old file serves the connections made before. ``None`` is
the system's trust store.

After ``fork()`` the contexts stay valid in the child (a context holds no socket and no
thread; OpenSSL reseeds its random generator in a new process); only the locks are renewed,
since the parent may have forked while a thread held one.

The contexts are shared: a caller must not change one (the HTTP stack sets the ALPN protocols
and the verify mode on every connection, so both are set here to what it sets: ``http/1.1``,
which is also what a WebSocket handshake speaks, and ``CERT_REQUIRED``).
"""

from __future__ import annotations

import os
import ssl
import threading
from typing import Literal
from typing import Optional
from typing import overload

from . import _fork

__all__ = ["context_for"]

#: ``(device, inode, size, modification time in ns)`` of a CA bundle file.
_Identity = tuple[int, int, int, int]
_SYSTEM: _Identity = (0, 0, 0, 0)


class _Once:
    """One build of one key: the first caller builds, the others wait for its result (a
    failed build is tried again by the next caller)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.context: Optional[ssl.SSLContext] = None


class _Contexts:
    """The contexts of this process, by CA bundle path (``None``: the system's), each with
    the identity of the file it was built from. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[Optional[str], tuple[_Identity, ssl.SSLContext]] = {}
        self._pending: dict[tuple[Optional[str], _Identity], _Once] = {}
        #: How many contexts this process built (for tests and diagnostics).
        self.builds = 0

    def get(self, path: Optional[str]) -> ssl.SSLContext:
        try:
            identity = _identity(path)
        except OSError:
            with self._lock:  # gone for a moment (replaced by a non-atomic write)?
                entry = self._built.get(path)
            if entry is None:
                raise
            return entry[1]
        with self._lock:
            entry = self._built.get(path)
            if entry is not None and entry[0] == identity:
                return entry[1]
            once = self._pending.setdefault((path, identity), _Once())
        try:
            # Outside the registry's lock: other trust settings are served meanwhile; callers
            # of this one wait for the one build.
            with once.lock:
                if once.context is None:
                    once.context = _build(path)
                    with self._lock:
                        self.builds += 1
                context = once.context
            with self._lock:
                current = self._built.get(path)
                if current is None or current[0] != identity:
                    self._built[path] = (identity, context)
            return context
        finally:
            with self._lock:
                if self._pending.get((path, identity)) is once:
                    del self._pending[(path, identity)]

    def after_fork_in_child(self) -> None:
        """Renew the locks (a parent's thread may have held one); keep the contexts."""
        self._lock = threading.Lock()
        self._pending = {}


def _identity(path: Optional[str]) -> _Identity:
    if path is None:
        return _SYSTEM
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _build(path: Optional[str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=path)
    context.set_alpn_protocols(["http/1.1"])
    return context


_contexts = _Contexts()
_fork.register(_contexts)


@overload
def context_for(ca_bundle: Optional[str], insecure: Literal[False]) -> ssl.SSLContext: ...


@overload
def context_for(ca_bundle: Optional[str], insecure: bool) -> Optional[ssl.SSLContext]: ...


def context_for(ca_bundle: Optional[str], insecure: bool) -> Optional[ssl.SSLContext]:
    """The process's TLS context for a trust setting, built on the first call for it.

    Args:
        ca_bundle: the path of a PEM CA bundle to trust (``AppSettings.ca_bundle``), or
            ``None`` for the system's trust store.
        insecure: the settings' plain transport (``AppSettings.insecure_transport``:
            ``http://``/``ws://`` hosts); without a CA bundle no TLS is spoken then.

    Returns:
        The shared context (certificate and host name verified), the same object for every
        call with the same bundle file; ``None`` when ``insecure`` and no bundle is given.
        Never change it: every client of the process uses it.

    Raises:
        OSError: the CA bundle cannot be read (and no context was built from it before; a
            bundle that disappears after its first use keeps its last context).
        ssl.SSLError: the file holds no usable certificate.

    Thread-safe; the first call for a bundle reads it (file I/O, a few tens of ms for a
    large store) while other callers of that bundle wait for it.
    """
    if ca_bundle is None and insecure:
        return None
    return _contexts.get(ca_bundle)


def builds() -> int:
    """How many contexts this process built so far (for tests and diagnostics)."""
    return _contexts.builds
