"""The one reader of an HTTP proxy URL, for the settings (``set_proxy``), the REST layer and
the socket dialler: ``http://[user:password@]host[:port]``.

The credentials never appear in a ``repr``, a log line or an exception text: the object
shows ``host:port`` only, and an error message never repeats the URL it rejects.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from dataclasses import field
from typing import Optional
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

__all__ = ["ProxyURL", "parse_proxy_url"]

_DEFAULT_PORT = 80  # as requests (urllib3) assumes for an http:// proxy without a port


@dataclass(frozen=True)
class ProxyURL:
    """An HTTP proxy: where it listens and the credentials it wants, if any."""

    host: str
    port: int
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)

    @property
    def address(self) -> str:
        """``host:port`` (an IPv6 host in brackets): safe to show."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self) -> str:
        """The full URL, credentials included, for requests' ``proxies``. Never log it."""
        auth = ""
        if self.username or self.password:
            auth = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@"
        return f"http://{auth}{self.address}"

    def authorization(self) -> Optional[str]:
        """The ``Proxy-Authorization`` value (Basic, RFC 7617), or None without credentials."""
        if not (self.username or self.password):
            return None
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    def __repr__(self) -> str:
        credentials = ", with credentials" if self.username or self.password else ""
        return f"ProxyURL({self.address}{credentials})"


def parse_proxy_url(text: str) -> ProxyURL:
    """Read ``http://[user:password@]host[:port]`` (``http://`` may be left out).

    Raises:
        ValueError: not such a URL; the message never repeats the URL (it may hold a
            password).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("The proxy URL is empty.")
    value = text.strip()
    if "://" not in value:
        value = "http://" + value
    parts = urlsplit(value)
    if parts.scheme.lower() != "http":
        raise ValueError(
            f"The proxy must be an http:// proxy (tunnelled with CONNECT), not {parts.scheme}://."
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError("The proxy URL has an invalid port.") from None
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            "The proxy must look like 'http://host:port' or 'http://user:password@host:port'."
        )
    return ProxyURL(
        host=parts.hostname,
        port=port or _DEFAULT_PORT,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )
