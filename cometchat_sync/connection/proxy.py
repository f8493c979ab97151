"""The socket's proxy: which one (the same rule as the REST calls) and the ``CONNECT`` tunnel.

The rule: the proxy given to ``AppSettingsBuilder.set_proxy`` if any, for every host; else the
environment, read by requests' own helpers so that REST and the socket always agree:
``HTTPS_PROXY`` for ``wss://`` (``HTTP_PROXY`` for ``ws://``), ``ALL_PROXY`` as a fallback,
and ``NO_PROXY`` to bypass it (on macOS and Windows also the system's proxy settings).
https://requests.readthedocs.io/en/latest/user/advanced/#proxies

The tunnel is an HTTP ``CONNECT`` (RFC 9110 section 9.3.6) with ``Proxy-Authorization:
Basic`` when the proxy URL carries credentials. websocket-client has the same exchange
(``websocket._http._tunnel``); we write these few lines ourselves because its version is
private API, reads the answer with a per-``recv`` timeout (a proxy that drips its answer
would outlive the attempt's budget), cannot be woken by ``Dial.cancel()``, and with
``websocket.enableTrace`` on prints the request, the Proxy-Authorization header included.
"""

from __future__ import annotations

import functools
import os
from typing import Optional
from urllib.parse import urlsplit

import requests.utils

from .._proxy_url import ProxyURL
from .._proxy_url import parse_proxy_url
from .dial_io import Sock
from .dial_io import Steps
from .dial_io import read_http_answer
from .dial_io import send_all

__all__ = ["ProxyRefused", "proxy_for", "tunnel"]


class ProxyRefused(Exception):
    """The proxy did not open the tunnel; the text says why (never with credentials)."""


def proxy_for(url: str, explicit: Optional[ProxyURL]) -> Optional[ProxyURL]:
    """The proxy to reach the WebSocket ``url`` through, or None to go direct.

    Raises:
        ValueError: the environment names a proxy this SDK cannot tunnel through (not
            ``http://``); the text names its scheme only.
    """
    if explicit is not None:
        return explicit
    parts = urlsplit(url)
    # requests keys proxies by the HTTP scheme: wss is https, ws is http.
    http_url = ("https" if parts.scheme == "wss" else "http") + "://" + parts.netloc + "/"
    fingerprint = tuple(os.environ.get(name) for name in _ENVIRON_NAMES)
    chosen = _environ_choice(http_url, fingerprint)
    return parse_proxy_url(chosen) if chosen else None


# The variables requests' (urllib's) choice for an http/https URL depends on; CGI's
# REQUEST_METHOD makes urllib ignore HTTP_PROXY. urllib reads the whole environment on each
# call, which cost a quarter of the dial loop's CPU in a burst of 500 connects; the choice is
# made again whenever one of these changes.
_ENVIRON_NAMES = (
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
)


@functools.lru_cache(maxsize=256)
def _environ_choice(http_url: str, fingerprint: tuple[Optional[str], ...]) -> Optional[str]:
    """requests' proxy for ``http_url`` under the environment ``fingerprint`` stands for."""
    proxies = requests.utils.get_environ_proxies(http_url)
    chosen: Optional[str] = requests.utils.select_proxy(http_url, proxies)
    return chosen


def tunnel(sock: Sock, proxy: ProxyURL, target: tuple[str, int]) -> Steps[None]:
    """Ask the proxy on ``sock`` for a tunnel to ``target`` (host, port); return once open
    (dial steps: see :mod:`~cometchat_sync.connection.dial_io`).

    Raises:
        ProxyRefused: the proxy answered anything but 2xx (407: credentials missing or
            refused).
        ConnectionError, ValueError: the proxy closed the connection or did not answer HTTP.
    """
    host, port = target
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {where} HTTP/1.1", f"Host: {where}"]
    authorization = proxy.authorization()
    if authorization is not None:
        lines.append(f"Proxy-Authorization: {authorization}")
    yield from send_all(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    answer = yield from read_http_answer(sock)
    if answer.status == 407:
        what = "refused the credentials given" if authorization else "wants credentials"
        raise ProxyRefused(
            f"The proxy {proxy.address} {what} (HTTP 407); give them as "
            "http://user:password@host:port."
        )
    if not 200 <= answer.status < 300:
        raise ProxyRefused(
            f"The proxy {proxy.address} refused the tunnel to {where} (HTTP {answer.status})."
        )
