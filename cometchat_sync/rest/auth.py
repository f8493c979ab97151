"""Logging in and out over REST: an auth token from the Auth Key (admin API), then ``PUT me``
(client API), which answers with the user, the socket's JWT and the app's settings; and
``DELETE me``.

Wire: https://www.cometchat.com/docs/sdk/javascript/authentication-overview and
https://www.cometchat.com/docs/rest-api/auth-tokens/create; the request body is the one the
official SDKs send (``docs/protocol.md``).
"""

from __future__ import annotations

import dataclasses
import socket
from typing import Callable
from typing import Optional

from .. import _validate as check
from .._version import API_VERSION
from .._version import __version__
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import User
from ..session import Session
from .endpoints import Endpoints
from .transport import RestClient

__all__ = ["is_token_refusal", "log_in", "log_out", "renew", "user_of"]

_PLATFORM = "python"


def log_in(
    rest: RestClient,
    endpoints: Endpoints,
    *,
    uid: Optional[str],
    auth_key: Optional[str],
    auth_token: Optional[str],
    device_id: str,
    resource: str,
) -> Session:
    """Log in with ``auth_token``, or first create one for ``uid`` with ``auth_key``; return
    the new session. Raises what :meth:`RestClient.call` raises, and ``FAILED_TO_FETCH``
    when an answer lacks the token, the user or the JWT."""
    body = {
        "platform": _PLATFORM,
        "deviceId": device_id,
        "appInfo": {"version": f"v{__version__}", "apiVersion": API_VERSION},
    }
    if auth_token is None:
        if uid is None or auth_key is None:
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS, "login() needs a uid and an auth key."
            )
        created = rest.call(
            "POST",
            endpoints.admin_base() + f"users/{check.path_segment(uid, 'uid')}/auth_tokens",
            api_key=auth_key,
            body=body,
        )
        data = created.data if isinstance(created.data, dict) else {}
        token = data.get("authToken")
        if not isinstance(token, str) or not token:
            raise CometChatException(
                ErrorCode.FAILED_TO_FETCH, "The server returned no auth token."
            )
        auth_token = token
    me = rest.call("PUT", endpoints.client_base() + "me", auth_token=auth_token, body=body)
    return _session_from_me(me.data, auth_token, resource)


def renew(
    rest: RestClient,
    endpoints: Endpoints,
    session: Session,
    *,
    on_socket: Optional[Callable[[socket.socket], None]] = None,
) -> Session:
    """Fresh socket credentials for ``session``: ``GET me`` with its auth token answers with
    the user, a new JWT and the app's settings, as it does for the official SDKs' credential
    refresh (https://www.cometchat.com/docs/sdk/javascript/authentication-overview). Returns
    the renewed session (same auth token and resource). Raises what :meth:`RestClient.call`
    raises (see :func:`is_token_refusal` for the answer that means "log in again"), and
    ``FAILED_TO_FETCH`` when the answer lacks the user or the JWT. ``on_socket``: see
    :meth:`RestClient.call` (how the reader cancels a renewal)."""
    me = rest.call(
        "GET",
        endpoints.client_base(session.settings) + "me",
        auth_token=session.auth_token,
        on_socket=on_socket,
    )
    fresh = _session_from_me(me.data, session.auth_token, session.resource)
    # Everything else the stored session records (hosts, ...) stays as it was.
    return dataclasses.replace(session, jwt=fresh.jwt, user=fresh.user, settings=fresh.settings)


def is_token_refusal(error: CometChatException) -> bool:
    """True when ``error`` says the server no longer accepts the auth token itself
    (``AUTH_ERR_AUTH_TOKEN_NOT_FOUND``, or any HTTP 401), as opposed to a passing failure."""
    return error.code == ErrorCode.AUTH_TOKEN_NOT_FOUND or error.details.get("status") == 401


def _session_from_me(data: object, auth_token: str, resource: str) -> Session:
    """The session a ``me`` answer describes (the login answer, or a renewal's)."""
    data = data if isinstance(data, dict) else {}
    jwt = data.get("jwt")
    server_settings = data.get("settings")
    if not isinstance(jwt, str) or not jwt or not isinstance(data.get("uid"), str):
        raise CometChatException(
            ErrorCode.FAILED_TO_FETCH, "The login answer lacks the user or its JWT."
        )
    token = data.get("authToken") if isinstance(data.get("authToken"), str) else auth_token
    return Session(
        uid=str(data["uid"]),
        auth_token=str(token),
        jwt=jwt,
        user={k: v for k, v in data.items() if k not in ("authToken", "jwt", "settings")},
        settings=server_settings if isinstance(server_settings, dict) else {},
        resource=resource,
    )


def log_out(rest: RestClient, endpoints: Endpoints, session: Session) -> None:
    """``DELETE me`` for ``session``. A token the server no longer knows is already logged out
    (``AUTH_ERR_AUTH_TOKEN_NOT_FOUND`` is no error); anything else raises as
    :meth:`RestClient.call` does."""
    url = endpoints.client_base(session.settings) + "me"
    try:
        rest.call("DELETE", url, auth_token=session.auth_token)
    except CometChatException as exc:
        if exc.code != ErrorCode.AUTH_TOKEN_NOT_FOUND:
            raise


def user_of(session: Session) -> User:
    """The logged-in user of ``session``, with its auth token."""
    return User.from_json(session.user).with_auth_token(session.auth_token)
