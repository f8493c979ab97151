"""The REST transport: the headers the official SDKs send, the ``{"data"}``/``{"error"}``
envelope (https://www.cometchat.com/docs/rest-api/), and the mapping of every failure to a
:class:`~cometchat_sync.errors.CometChatException`; the wire details are in
``docs/protocol.md``. The connections are the process's shared pool (:mod:`.pool`).

Secrets travel only in headers (``authToken``, ``apiKey``), never in a URL, so they cannot
reach urllib3's DEBUG lines, proxy logs or exception texts.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from collections.abc import Mapping
from typing import Any
from typing import Callable
from typing import NamedTuple
from typing import Optional

import requests

from .. import _json
from .._neterrors import is_unreachable
from .._version import __version__
from ..errors import CometChatException
from ..errors import CometChatTimeoutError
from ..errors import ErrorCode
from . import deadline
from . import pool

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "RestClient",
    "RestResponse",
    "Upload",
    "classify_network_error",
]

log = logging.getLogger(__name__)

SDK_HEADER = f"python@{__version__}"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it wraps (causes, contexts, urllib3 ``reason``s)."""
    found: list[BaseException] = []
    current: Optional[BaseException] = exc
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        candidates = (
            current.__cause__,
            current.__context__,
            current.args[0] if current.args else None,
            getattr(current, "reason", None),
        )
        current = next((c for c in candidates if isinstance(c, BaseException)), None)
    return found


def classify_network_error(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) means the network or host is unreachable:
    name resolution failed, no route, or the TCP connect timed out."""
    for current in _chain(exc):
        if isinstance(current, (socket.gaierror, requests.exceptions.ConnectTimeout)):
            return True
        if isinstance(current, OSError) and is_unreachable(current.errno):
            return True
        if type(current).__name__ in ("NameResolutionError", "ConnectTimeoutError"):
            return True
    return False


def _is_tls_error(exc: BaseException) -> bool:
    return any(isinstance(current, ssl.SSLError) for current in _chain(exc)) or isinstance(
        exc, requests.exceptions.SSLError
    )


def _tls_failure(exc: BaseException) -> str:
    """What a failed TLS handshake most likely means, to say what to do about it."""
    text = " ".join(str(current) for current in _chain(exc))
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
        # The server answered in plain HTTP: an http:// server given as https://.
        return (
            "The TLS handshake failed: the server does not speak TLS (for a local server "
            "without TLS, give its host as http://host:port)."
        )
    if isinstance(exc, pool.CABundleUnreadable):
        return f"{exc}: see AppSettingsBuilder.set_ca_bundle."
    if "CERTIFICATE_VERIFY_FAILED" in text or any(
        isinstance(current, ssl.SSLCertVerificationError) for current in _chain(exc)
    ):
        return (
            "The TLS handshake failed: the server's certificate is not trusted "
            "(see AppSettingsBuilder.set_ca_bundle)."
        )
    return f"The TLS handshake failed ({type(exc).__name__})."


class Upload(NamedTuple):
    """A request body streamed from a file-like ``body`` (its ``read(n)`` is called as the
    request is sent), sent with ``content_type``; the whole call then has ``timeout``
    seconds instead of the request timeout."""

    body: Any
    content_type: str
    timeout: float


class RestResponse:
    """The ``data`` and ``meta`` parts of a successful envelope."""

    __slots__ = ("data", "meta")

    def __init__(self, data: Any, meta: dict[str, Any]) -> None:
        self.data = data
        self.meta = meta


DEFAULT_MAX_RESPONSE_SIZE = 4 * 1024 * 1024
"""The largest answer body read by default, in bytes (a page of 100 messages is far less)."""

_CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


class RestClient:
    """Thread-safe REST caller, one per client. Its calls go through the process's shared
    connection pool (:mod:`.pool`): constructing one costs no connection, no session and
    no TLS context (all made on the first call).

    Every call ends within ``timeout`` seconds in all (name resolution, connect, proxy
    tunnel, TLS handshake, send, headers and body: see :mod:`.deadline`), reads at most
    ``max_response_size`` bytes of body, and never follows a redirect (the credentials
    travel in headers that ``requests`` would repeat to another host). No exception it
    raises holds, or chains to, the request or its headers.
    """

    def __init__(
        self,
        app_id: str,
        resource: str,
        *,
        timeout: float,
        connect_timeout: float,
        ca_bundle: Optional[str] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> None:
        self._app_id = app_id
        self._resource = resource
        self._total = timeout
        self._timeout = (min(connect_timeout, timeout), timeout)
        self._max_size = max_response_size
        # Made on the first call: this client's cookies, over the shared adapter.
        self._session: Optional[requests.Session] = None
        self._adapter: Optional[pool.SharedAdapter] = None
        # Passed on every request: a session-level value would lose to REQUESTS_CA_BUNDLE.
        self._verify: Any = ca_bundle or True
        # AppSettings.proxies (set_proxy), per request too: it must win over HTTPS_PROXY.
        self._proxies = dict(proxies or {})
        self._lock = threading.Lock()

    def close(self) -> None:
        """Let go of what this client holds of the shared pool: its session (cookies); a
        call still under way ends normally. The pooled connections serve the other clients
        of the process; the last client's ``close()`` closes the idle ones. Idempotent; a
        later call starts again."""
        with self._lock:
            adapter, self._adapter, self._session = self._adapter, None, None
        pool.release(adapter)

    def after_fork_in_child(self) -> None:
        """Forget the session (after ``fork()``); the child's first call takes the child's
        own pool (:mod:`.pool` forgets the parent's pooled sockets, never closing them:
        that could end the parent's connections)."""
        self._lock = threading.Lock()
        self._session = None
        self._adapter = None

    def _session_now(self) -> requests.Session:
        """This client's session over the process's adapter (made again after a fork)."""
        with self._lock:
            if self._session is None or not pool.current(self._adapter):
                self._adapter = pool.acquire()
                self._session = pool.new_session(self._adapter)
            return self._session

    def call(
        self,
        method: str,
        url: str,
        *,
        auth_token: Optional[str] = None,
        api_key: Optional[str] = None,
        body: Optional[Mapping[str, Any]] = None,
        params: Optional[Mapping[str, Any]] = None,
        on_socket: Optional[Callable[[socket.socket], None]] = None,
        upload: Optional[Upload] = None,
        bearer: Optional[str] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> RestResponse:
        """Make one call and return its envelope, or raise ``CometChatException``.
        ``on_socket`` is told a socket as soon as the call has one (a cancel handle before
        the host name is resolved, see :func:`.deadline.within`), so another thread can
        cancel the call at any step by shutting it down (the reader does so for a renewal
        of the credentials); a cancelled call raises ``FAILED_TO_FETCH``.
        ``bearer`` (a JWT) goes in ``Authorization: Bearer`` and, like the auth token and
        the API key, is scrubbed from error texts; ``extra_headers`` are sent as they are
        (no secrets there).
        Errors:
        ``ERR_TIMEOUT`` (:class:`CometChatTimeoutError`) when the whole call outlasts the
        timeout (``upload.timeout`` for a streamed ``upload`` body, see :class:`Upload`),
        ``ERR_RESPONSE_TOO_LARGE`` for a body over the size cap, ``FAILED_TO_FETCH``
        for a redirect, ``ERR_NO_INTERNET`` or ``FAILED_TO_FETCH`` for network failures, the
        server's code for its error envelopes."""
        headers = {
            "appId": self._app_id,
            "resource": self._resource,
            "sdk": SDK_HEADER,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        if auth_token is not None:
            headers["authToken"] = auth_token
        if api_key is not None:
            headers["apiKey"] = api_key
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        headers.update(extra_headers or {})
        data: Any = None if body is None else _json.dumps(body)
        total = self._total
        if upload is not None:  # a streamed body (multipart): read as it is sent
            data, headers["Content-Type"], total = upload.body, upload.content_type, upload.timeout
        path = url.split("://", 1)[-1].split("/", 1)[-1]
        log.debug("%s /%s", method, path)
        failure: Optional[CometChatException] = None
        session = self._session_now()
        with deadline.within(total, on_socket):
            try:
                response = session.request(
                    method,
                    url,
                    headers=headers,
                    data=data,
                    params=params,
                    timeout=self._timeout,
                    verify=self._verify,
                    proxies=self._proxies,
                    stream=True,
                    allow_redirects=False,
                )
            except requests.exceptions.RequestException as exc:
                # Described, never chained: the requests exception holds the request and its
                # headers (the auth token, the API key).
                failure = self._describe(exc, method, path)
            if failure is None:
                try:
                    content, failure = self._read_body(response, method, path)
                finally:
                    response.close()
        if failure is not None:
            raise failure
        secrets = tuple(secret for secret in (auth_token, api_key, bearer) if secret)
        return _parse_envelope(response, content, method, path, secrets)

    def _read_body(
        self, response: requests.Response, method: str, path: str
    ) -> tuple[bytes, Optional[CometChatException]]:
        """The answer's body, read in chunks up to the size cap; or the error to raise."""
        status = response.status_code
        if status in _REDIRECTS:
            return b"", CometChatException(
                ErrorCode.FAILED_TO_FETCH,
                f"The server answered {method} /{path} with a redirect (HTTP {status}); the "
                "SDK follows none, so that credentials never reach another host. Check the "
                "host settings.",
                {"status": status},
            )
        too_large = CometChatException(
            ErrorCode.RESPONSE_TOO_LARGE,
            f"The answer to {method} /{path} is larger than {self._max_size} bytes "
            "(AppSettingsBuilder.set_max_response_size).",
            {"status": status, "limit": self._max_size},
        )
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > self._max_size:
            return b"", too_large
        body = bytearray()
        try:
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > self._max_size:
                    return b"", too_large
        except requests.exceptions.RequestException as exc:
            return b"", self._describe(exc, method, path)
        return bytes(body), None

    def _describe(
        self, exc: requests.exceptions.RequestException, method: str, path: str
    ) -> CometChatException:
        """The SDK error for a failed request: a sentence and a code, nothing of ``exc``."""
        if deadline.cancelled():  # on_socket's receiver shut the call down
            return CometChatException(
                ErrorCode.FAILED_TO_FETCH, f"The request {method} /{path} was cancelled."
            )
        if _deadline_passed(exc) or (
            not isinstance(exc, requests.exceptions.ConnectTimeout) and _is_timeout(exc)
        ):
            return CometChatTimeoutError(f"The server did not answer {method} /{path} in time.")
        if _is_tls_error(exc):
            return CometChatException(ErrorCode.FAILED_TO_FETCH, _tls_failure(exc))
        if classify_network_error(exc):
            return CometChatException(
                ErrorCode.NO_INTERNET,
                f"The CometChat server could not be reached ({type(exc).__name__}).",
            )
        return CometChatException(
            ErrorCode.FAILED_TO_FETCH,
            f"The request {method} /{path} failed ({type(exc).__name__}).",
        )


def _deadline_passed(exc: BaseException) -> bool:
    """True when the call's total deadline ended ``exc``'s step (resolve, connect, tunnel,
    TLS, send or receive), rather than the step's own timeout."""
    return any(isinstance(current, deadline.DeadlinePassed) for current in _chain(exc))


def _is_timeout(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) is a read or deadline timeout."""
    return isinstance(exc, requests.exceptions.ReadTimeout) or any(
        isinstance(current, (TimeoutError, socket.timeout))
        or type(current).__name__ == "ReadTimeoutError"
        for current in _chain(exc)
    )


def _parse_envelope(
    response: requests.Response,
    content: bytes,
    method: str,
    path: str,
    secrets: tuple[str, ...] = (),
) -> RestResponse:
    status = response.status_code
    details: dict[str, Any] = {"status": status}
    retry_after = response.headers.get("Retry-After")
    if retry_after is not None:
        try:
            details["retry_after"] = float(retry_after)
        except ValueError:
            details["retry_after"] = retry_after
    try:
        payload = json.loads(content.decode("utf-8")) if content else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        payload = None
    log.debug("%s /%s -> %s", method, path, status)
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error = payload["error"]
        code = error.get("code")
        message = error.get("message") or error.get("devMessage") or "The request failed."
        server_details = error.get("details")
        if isinstance(server_details, dict):
            details.update(server_details)
        elif server_details is not None:
            details["details"] = server_details
        if not code:
            code = ErrorCode.TOO_MANY_REQUESTS if status == 429 else ErrorCode.FAILED_TO_FETCH
        # The real server quotes the token in some messages ("The auth token %s% does not
        # exist ..."): a token must never reach an exception's text or details.
        raise CometChatException(str(code), _scrub(str(message), secrets), _scrub(details, secrets))
    if isinstance(payload, dict) and "data" in payload and status < 400:
        meta = payload.get("meta")
        return RestResponse(payload["data"], meta if isinstance(meta, dict) else {})
    if status == 429:
        raise CometChatException(
            ErrorCode.TOO_MANY_REQUESTS, "Too many requests; retry later.", details
        )
    what = "an empty body" if not content else "a body that is not a CometChat envelope"
    raise CometChatException(
        ErrorCode.FAILED_TO_FETCH,
        f"The server answered {method} /{path} with HTTP {status} and {what}.",
        details,
    )


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` (a str, or JSON lists and dicts of them) with every secret masked."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "***")
        return value
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    return value
