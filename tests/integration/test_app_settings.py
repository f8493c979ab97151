"""App settings, extensions and features against the emulator over real sockets: the
settings carry the extension list and the feature parameters a test sets, the look-ups read
a fresh copy each time, and ``call_extension`` reaches the extension (the emulator's stand-in
for the extension hosts) as the logged-in user, with its answer's data or its error."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import CometChat
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync.testing.emulator import ApiError
from cometchat_sync.testing.emulator import ExtensionCall
from cometchat_sync.testing.emulator._rest import RestApp

A = "superhero1"
POLLS = {"id": "polls", "name": "Polls", "version": "v2"}


@pytest.fixture
def a(make_client, emulator) -> CometChatClient:
    client: CometChatClient = make_client(auto=False)
    client.login(A, emulator.auth_key)
    return client


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(CometChatException) as caught:
        call()
    return caught.value.code


def test_extensions_follow_the_settings_each_time(a, emulator):
    assert a.get_app_settings()["extensions"] == []
    assert a.is_extension_enabled("polls") is False
    assert code_of(lambda: a.get_extension_details("polls")) == "ERROR_EXTENSION_NOT_FOUND"

    emulator.set_extensions([POLLS, {"id": "reactions", "name": "Reactions"}])
    assert a.is_extension_enabled("polls") is True  # no stale copy: a fresh GET settings
    assert a.get_extension_details("polls") == POLLS
    assert a.get_app_settings()["CHAT_API_VERSION"] == "v3.0"

    emulator.set_extensions([])
    assert a.is_extension_enabled("polls") is False
    for bad in ("", "  ", None):
        with pytest.raises(CometChatException) as caught:
            a.is_extension_enabled(bad)
        assert caught.value.code == "ERROR_INVALID_EXTENSION"


def test_features_are_the_settings_parameters(a, emulator):
    assert a.is_feature_enabled("core.messaging.reactions.enabled") is False
    emulator.set_feature_parameters(
        {"core.messaging.reactions.enabled": True, "features.ux.messages.pinned.enabled": False}
    )
    assert a.is_feature_enabled("core.messaging.reactions.enabled") is True
    assert a.is_feature_enabled("features.ux.messages.pinned.enabled") is False
    assert a.is_feature_enabled("not.a.feature") is False
    assert code_of(lambda: a.is_feature_enabled("")) == "ERROR_INVALID_FEATURE"


def test_call_extension_reaches_the_extension_as_the_user(a, emulator):
    seen: list[ExtensionCall] = []

    def polls(call: ExtensionCall) -> Any:
        seen.append(call)
        if call.body.get("question") == "":
            raise ApiError(400, "ERR_POLL_QUESTION", "A poll needs a question.")
        return {"id": "poll-1", "question": call.body["question"]}

    emulator.handle_extension("polls", polls)
    # not enabled yet: the extension is not there
    assert code_of(lambda: a.call_extension("polls", "POST", "v2/create", {"q": 1})) == (
        "ERR_API_NOT_FOUND"
    )
    emulator.set_extensions([POLLS])
    answer = a.call_extension("polls", "post", "v2/create", {"question": "Lunch?"})
    assert answer == {"id": "poll-1", "question": "Lunch?"}
    assert (seen[-1].uid, seen[-1].method, seen[-1].endpoint) == (A, "POST", "v2/create")
    assert code_of(lambda: a.call_extension("polls", "POST", "v2/create", {"question": ""})) == (
        "ERR_POLL_QUESTION"
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("Polls", "POST", "v2/create"), "ERR_INVALID_PARAMETER"),
        (("polls.x", "POST", "v2/create"), "ERR_INVALID_PARAMETER"),
        (("polls", "TRACE", "v2/create"), "ERR_INVALID_PARAMETER"),
        (("polls", "POST", ""), "ERR_INVALID_PARAMETER"),
        (("polls", "POST", "v2/../../me"), "ERR_INVALID_PARAMETER"),
        (("polls", "POST", "v2/create?x=1"), "ERR_INVALID_PARAMETER"),
    ],
)
def test_call_extension_refuses_bad_arguments_before_any_request(a, emulator, args, code):
    before = emulator.request_count()
    assert code_of(lambda: a.call_extension(*args)) == code
    assert code_of(lambda: a.call_extension("polls", "POST", "v2", [1])) == code
    assert emulator.request_count() == before


def test_the_facade_and_a_logged_out_client(make_client, emulator):
    fresh = make_client(auto=False)
    assert code_of(lambda: fresh.call_extension("polls", "GET", "v1/x")) == "ERR_NOT_LOGGED_IN"
    assert code_of(fresh.get_app_settings) == "ERR_NOT_LOGGED_IN"
    assert code_of(lambda: CometChat.is_extension_enabled("polls")) == "ERROR_INIT_NOT_CALLED"


def test_without_a_host_override_the_call_goes_to_the_extension_host(a, monkeypatch):
    """The hosted shape, ``https://{slug}-{REGION}.{EXTENSION_DOMAIN}/{endpoint}``, from the
    session's settings (the request itself is captured: there is no such host here)."""
    session = a._session
    monkeypatch.setattr(
        a, "_session", replace(session, settings={**session.settings, "REGION": "us",
                                                  "EXTENSION_DOMAIN": "ext.example.test"})
    )  # fmt: skip
    monkeypatch.setattr(a, "_settings", replace(a.settings, client_host=None))
    sent: list[tuple[str, str, Any]] = []

    def call(method: str, url: str, **kwargs: Any) -> Any:
        sent.append((method, url, kwargs.get("body")))
        return SimpleNamespace(data={"ok": True})

    monkeypatch.setattr(a._rest, "call", call)
    assert a.call_extension("polls", "PUT", "/v2/vote/", {"option": 1}) == {"ok": True}
    assert sent == [("PUT", "https://polls-us.ext.example.test/v2/vote", {"option": 1})]


def test_an_extension_call_carries_the_jwt_and_never_shows_it(a, emulator, monkeypatch):
    """As the official SDKs send it: ``Authorization: Bearer <jwt>`` and ``chatApiVersion``
    beside the client API's headers; the JWT is not in the error of a refused call."""
    seen: list[dict[str, str]] = []
    original = RestApp.handle

    def recording(self: RestApp, method: str, target: str, headers: dict[str, str], *rest: Any):
        if "/extensions/" in target:
            seen.append(dict(headers))
        return original(self, method, target, headers, *rest)

    monkeypatch.setattr(RestApp, "handle", recording)
    jwt = a._session.jwt

    def echo_jwt(call: ExtensionCall) -> Any:
        raise ApiError(401, "ERR_EXTENSION_AUTH", f"bad credentials {jwt}")

    emulator.set_extensions([POLLS])
    emulator.handle_extension("polls", echo_jwt)
    with pytest.raises(CometChatException) as caught:
        a.call_extension("polls", "GET", "v1/list")
    assert caught.value.code == "ERR_EXTENSION_AUTH"
    assert jwt not in str(caught.value) and jwt not in repr(caught.value.details)
    (headers,) = seen
    assert headers["authorization"] == f"Bearer {jwt}"
    assert headers["chatapiversion"] == "v3.0"
    assert headers["authtoken"] == a._session.auth_token
