"""The app's settings, extensions and features over REST, and calls to an extension.

The settings object (``GET settings``; the same object the login answer carries) holds the
app's ``extensions`` (a list of objects with ``id``, ``name``, ``version``, ...) and
``parameters`` (feature name -> value). The official SDKs' ``isExtensionEnabled``,
``getExtensionDetails`` and ``isFeatureEnabled`` read them from a fresh ``GET settings``, and so
do the methods here (https://www.cometchat.com/docs/sdk/javascript/extensions-overview, the
JavaScript SDK's type declarations and observed traffic).

An extension is served on its own host, ``https://{slug}-{REGION}.{EXTENSION_DOMAIN}/{endpoint}``
(``REGION`` and ``EXTENSION_DOMAIN`` from the settings), with the client API's headers
(observed traffic of the official JavaScript SDK). With a client host override (the emulator,
a private deployment) there is one host, and the call goes to
``{client host}/extensions/{slug}/{endpoint}`` there.
"""

from __future__ import annotations

import re
from typing import Any
from typing import Optional
from urllib.parse import urlunsplit

from .. import _validate as check
from .._version import API_VERSION
from ..errors import CometChatException
from ..errors import ErrorCode
from ..errors import NotLoggedInError
from ..settings import AppSettings
from .base import ResourceAPI
from .base import as_object

__all__ = ["AppAPI"]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# An extension slug is one DNS label (it becomes part of a host name).
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class AppAPI(ResourceAPI):
    """App settings, extension and feature calls of
    :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    _settings: AppSettings

    def get_app_settings(self) -> dict[str, Any]:
        """Fetch the app's settings: hosts, mode, ``extensions``, ``parameters``, ...

        ``GET settings``. Keys are the service's own (``CHAT_HOST``, ``MODE``,
        ``extensions``, ``parameters``, ...); values are as it sent them.

        Wire: https://www.cometchat.com/docs/sdk/javascript/extensions-overview.

        Returns:
            The settings object (a new dict).

        Raises:
            CometChatException: ``FAILED_TO_FETCH`` for an answer that is not an object; and
                the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return dict(as_object(self._client_call("GET", "settings").data, "settings"))

    def is_extension_enabled(self, extension_id: str) -> bool:
        """Whether the extension ``extension_id`` is enabled for the app (it is in the
        settings' ``extensions`` list).

        ``GET settings``, then a look at its ``extensions``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/extensions-overview.

        Args:
            extension_id: the extension's id, a non-empty string (``"polls"``).

        Returns:
            ``True`` when the settings list it, else ``False``.

        Raises:
            CometChatException: ``ERROR_INVALID_EXTENSION`` for an empty or non-string id;
                ``ERROR_EXTENSION_NOT_FOUND`` when the settings carry no ``extensions``
                list at all; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._find_extension(extension_id) is not None

    def get_extension_details(self, extension_id: str) -> dict[str, Any]:
        """The settings' entry of an enabled extension (``id``, ``name``, ``version``, ...).

        ``GET settings``, then a look at its ``extensions``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/extensions-overview.

        Args:
            extension_id: the extension's id, a non-empty string.

        Returns:
            The extension's object, as the settings carry it (a new dict).

        Raises:
            CometChatException: ``ERROR_INVALID_EXTENSION`` for an empty or non-string id;
                ``ERROR_EXTENSION_NOT_FOUND`` when the extension is not enabled; and the
                errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        found = self._find_extension(extension_id)
        if found is None:
            raise _not_found("extension", "ERROR_EXTENSION_NOT_FOUND")
        return found

    def is_feature_enabled(self, feature: str) -> bool:
        """Whether a feature of the app's plan is on: its value in the settings'
        ``parameters`` (``False`` when absent).

        ``GET settings``, then a look at its ``parameters``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/extensions-overview and the
        official JavaScript SDK's ``isFeatureEnabled`` (type declarations).

        Args:
            feature: the feature's name, a non-empty string
                (``"core.messaging.reactions.enabled"``).

        Returns:
            ``True`` when the parameter is ``true`` (or ``"true"``, ``1``), else ``False``.

        Raises:
            CometChatException: ``ERROR_INVALID_FEATURE`` for an empty or non-string name;
                ``ERROR_FEATURE_NOT_FOUND`` when the settings carry no ``parameters`` at all;
                and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if not isinstance(feature, str) or not feature.strip():
            raise CometChatException(
                "ERROR_INVALID_FEATURE", "The feature cannot be empty; give a feature name."
            )
        parameters = self.get_app_settings().get("parameters")
        if not isinstance(parameters, dict):
            raise _not_found("feature", "ERROR_FEATURE_NOT_FOUND")
        value = parameters.get(feature, False)
        return value is True or value == 1 or (isinstance(value, str) and value == "true")

    def call_extension(
        self, slug: str, method: str, endpoint: str, body: Optional[dict[str, Any]] = None
    ) -> Any:
        """Call an extension's API as the logged-in user and return its answer's ``data``.

        ``{method} https://{slug}-{REGION}.{EXTENSION_DOMAIN}/{endpoint}`` (from the
        settings) with the client API's headers, the session's JWT in ``Authorization:
        Bearer`` and ``chatApiVersion``, as the official SDKs send them, and ``body`` as JSON
        (the JWT never reaches a log line or an error); with a client host
        override, ``{client host}/extensions/{slug}/{endpoint}``. Bounded by the request
        timeout like every REST call.

        Wire: https://www.cometchat.com/docs/sdk/javascript/extensions-overview (for
        example ``call_extension("polls", "POST", "v2/create", {...})`` of
        https://www.cometchat.com/docs/extensions/polls).

        Args:
            slug: the extension's slug, one lower-case DNS label (``"polls"``).
            method: ``"GET"``, ``"POST"``, ``"PUT"``, ``"PATCH"`` or ``"DELETE"``.
            endpoint: the path on the extension's host (``"v2/create"``), without a leading
                ``/``, a query or a fragment.
            body: the JSON object to send (``None`` sends none).

        Returns:
            The ``data`` of the extension's answer (whatever JSON it holds).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a malformed slug, method,
                endpoint or body; the extension's own error code when it refuses; and the
                errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if not isinstance(slug, str) or not _SLUG.match(slug):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "The slug is one lower-case DNS label ('polls')."
            )
        verb = method.upper() if isinstance(method, str) else ""
        if verb not in _METHODS:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, f"The method must be one of {', '.join(_METHODS)}."
            )
        path = extension_path(endpoint)
        if body is not None and not isinstance(body, dict):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "The body is a dict.")
        return self._extension_call(verb, slug, path, body)

    def _extension_call(
        self, method: str, slug: str, path: str, body: Optional[dict[str, Any]]
    ) -> Any:
        """``path``: the endpoint, made by :func:`extension_path`."""
        self._check_fork()
        session = self._session
        if session is None:
            raise NotLoggedInError()
        # The caller's values (slug, path) passed path_segment; the host parts come from the
        # settings, as endpoints.py takes them for every other base URL.
        slug_part = check.path_segment(slug, "slug")
        override = self._settings.client_host
        if override is not None:
            url = "/".join((override.base_url, "extensions", slug_part, path))
        else:
            settings = session.settings
            region = str(settings.get("REGION") or self._settings.region)
            domain = str(settings.get("EXTENSION_DOMAIN") or "")
            if not domain:
                raise CometChatException(
                    ErrorCode.FAILED_TO_FETCH, "The app settings name no extension domain."
                )
            url = urlunsplit(("https", f"{slug_part}-{region}.{domain}", f"/{path}", "", ""))
        version = str(session.settings.get("CHAT_API_VERSION") or API_VERSION)
        return self._rest.call(
            method,
            url,
            auth_token=session.auth_token,
            bearer=session.jwt,
            extra_headers={"chatApiVersion": version},
            body=body,
        ).data

    def _find_extension(self, extension_id: object) -> Optional[dict[str, Any]]:
        if not isinstance(extension_id, str) or not extension_id.strip():
            raise CometChatException(
                "ERROR_INVALID_EXTENSION", "The extension cannot be empty; give an extension id."
            )
        extensions = self.get_app_settings().get("extensions")
        if not isinstance(extensions, list):
            raise _not_found("extension", "ERROR_EXTENSION_NOT_FOUND")
        for item in extensions:
            if isinstance(item, dict) and item.get("id") == extension_id:
                return dict(item)
        return None


def extension_path(endpoint: object) -> str:
    """``endpoint`` as a URL path: each ``/``-separated segment through
    :func:`~cometchat_sync._validate.path_segment` (no ``.`` or ``..``, no ``?#%`` or spaces,
    percent-encoded)."""
    if not isinstance(endpoint, str) or not endpoint.strip("/"):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, "The endpoint is a path on the extension's host."
        )
    return "/".join(check.path_segment(part, "endpoint") for part in endpoint.strip("/").split("/"))


def _not_found(what: str, code: str) -> CometChatException:
    return CometChatException(code, f"The provided {what} could not be found.")
