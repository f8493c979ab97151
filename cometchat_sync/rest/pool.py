"""The REST connection pool of the process: one ``requests`` transport adapter shared by
every client, so that a thousand clients of one app keep a few keep-alive connections to
its API host instead of a pool each.

Each client keeps a ``requests.Session`` of its own (made on its first call: its cookies
stay its own), with :class:`SharedAdapter` mounted for ``http://`` and ``https://``. urllib3
keys its pools by everything that makes connections differ (scheme, host, port, the TLS
context, the proxy), so clients share a connection only where they would have made the same
one. A connection serves one call at a time; a call cancelled from another thread (a
catch-up ended by ``close()``, a renewal ended by ``disconnect()``) ends only its own
connection (see :mod:`.deadline`).

TLS: every https pool verifies with the process's shared context for its trust setting
(:func:`cometchat_sync._tls.context_for`): the CA bundle of the settings, or the bundle
``requests`` itself trusts (certifi's, or ``REQUESTS_CA_BUNDLE``). Left to themselves,
``requests`` and urllib3 would load that file into a new context for every new connection.

Fork: in a child process the adapter is replaced (the pools are forgotten, never closed),
so the child never sends on a connection of its parent.

https://requests.readthedocs.io/en/latest/user/advanced/#transport-adapters
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING
from typing import Any
from typing import Optional

import requests
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from .. import _fork
from .._tls import context_for
from .deadline import DeadlineAdapter

if TYPE_CHECKING:
    from requests.adapters import _HostParams  # the stubs' names of requests' dicts
    from requests.adapters import _PoolKwargs

__all__ = ["CABundleUnreadable", "SharedAdapter", "acquire", "new_session", "release"]

POOLS = 10
"""urllib3 pools kept (one per scheme, host, port, trust setting and proxy), as requests'
default; the least recently used one is closed to make room."""

CONNECTIONS_PER_POOL = 32
"""Idle keep-alive connections kept per pool (more may be open at once, one per concurrent
call: those beyond this number are closed after their call)."""


class CABundleUnreadable(requests.exceptions.SSLError):
    """The CA bundle to verify the server with cannot be read, or holds no certificate."""


class SharedAdapter(DeadlineAdapter):
    """The process's transport adapter: :class:`DeadlineAdapter` (a total deadline per
    call) whose https pools verify with the shared TLS context of their trust setting.
    Thread-safe."""

    def __init__(self) -> None:
        super().__init__(pool_connections=POOLS, pool_maxsize=CONNECTIONS_PER_POOL)
        self._proxy_lock = threading.Lock()

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[_HostParams, _PoolKwargs]:
        """requests' pool key, with the shared context for the trust file instead of the
        file's path (the way the requests documentation gives for a custom context)."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        if host_params.get("scheme") == "https" and verify and cert is None:
            path = verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH
            if not os.path.isdir(path):
                pool_kwargs.pop("ca_certs", None)
                pool_kwargs["ssl_context"] = _context(path)
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """requests' check, except for a pool that verifies with a shared context: setting
        the bundle's path on it too would make urllib3 load the file into that context
        again at every new connection."""
        shared = getattr(conn, "conn_kw", {}).get("ssl_context") is not None
        if shared and verify and cert is None and url.lower().startswith("https"):
            conn.cert_reqs = "CERT_REQUIRED"
            return
        super().cert_verify(conn, url, verify, cert)  # type: ignore[no-untyped-call]

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # One manager per proxy URL, even when two threads ask for a new one at once.
        with self._proxy_lock:
            return super().proxy_manager_for(proxy, **proxy_kwargs)


def _context(path: str) -> Any:
    try:
        return context_for(path, False)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise CABundleUnreadable(
            f"The CA bundle could not be read ({type(exc).__name__})"
        ) from None


def new_session(adapter: SharedAdapter) -> requests.Session:
    """A session of one client (its own cookies) whose calls go through ``adapter``."""
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class _Pool:
    """The process's adapter, made on first use, and how many clients hold it. When the
    last one lets go (``close()``), the idle connections are closed. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._adapter: Optional[SharedAdapter] = None
        self._users = 0

    def acquire(self) -> SharedAdapter:
        with self._lock:
            if self._adapter is None:
                self._adapter = SharedAdapter()
            self._users += 1
            return self._adapter

    def release(self, adapter: Optional[SharedAdapter]) -> None:
        with self._lock:
            if adapter is None or adapter is not self._adapter:
                return  # never acquired, or of the parent process
            self._users -= 1
            idle = self._users == 0
        if idle:
            adapter.close()  # the idle connections; the adapter stays usable

    def current(self, adapter: Optional[SharedAdapter]) -> bool:
        with self._lock:
            return adapter is not None and adapter is self._adapter

    def users(self) -> int:
        with self._lock:
            return self._users

    def after_fork_in_child(self) -> None:
        """Forget the parent's adapter and its pooled sockets (never closed: that could end
        the parent's connections); the child makes its own on its first call."""
        self._lock = threading.Lock()
        self._adapter = None
        self._users = 0


_pool = _Pool()
_fork.register(_pool)


def acquire() -> SharedAdapter:
    """The process's adapter, counted as held until :func:`release`. Thread-safe."""
    return _pool.acquire()


def release(adapter: Optional[SharedAdapter]) -> None:
    """Let go of ``adapter`` (from :func:`acquire`); the last holder's release closes the
    idle pooled connections. Does nothing for ``None`` or an adapter of a parent process.
    Thread-safe."""
    _pool.release(adapter)


def current(adapter: Optional[SharedAdapter]) -> bool:
    """True when ``adapter`` is the process's adapter now (False after a fork)."""
    return _pool.current(adapter)


def users() -> int:
    """How many clients hold the adapter (for tests and diagnostics)."""
    return _pool.users()
