"""Bad arguments to public calls raise ``CometChatException`` with a documented code, at once,
instead of a Python error deep inside or a wait with no end."""

from __future__ import annotations

import math
import time

import pytest

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import MemorySessionStore

UID = "superhero1"
NOT_A_DURATION = [math.nan, math.inf, -math.inf, 0, -1, "1", True, 1e10]


def raises_at_once(code: str, call, *args, **kwargs) -> None:
    started = time.monotonic()
    with pytest.raises(CometChatException) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value
    assert time.monotonic() - started < 1.0, "the argument was checked before any wait"


@pytest.mark.parametrize("timeout", NOT_A_DURATION, ids=repr)
@pytest.mark.parametrize(
    "call", ["wait_until_connected", "wait_until_disconnected", "connect", "ping", "close"]
)
def test_blocking_calls_refuse_a_timeout_that_is_not_a_positive_finite_duration(
    make_client, emulator, call, timeout
):
    client = make_client(auto=False)
    client.login(UID, emulator.auth_key)
    raises_at_once("ERR_INVALID_PARAMETER", getattr(client, call), timeout)


@pytest.mark.parametrize("timeout", NOT_A_DURATION, ids=repr)
def test_disconnect_refuses_such_a_timeout_too(make_client, emulator, timeout):
    client = make_client(auto=False)
    client.login(UID, emulator.auth_key)
    client.connect()
    raises_at_once("ERR_INVALID_PARAMETER", client.disconnect, timeout)


@pytest.mark.parametrize("folder", [123, None, b"/tmp/x", object()], ids=repr)
def test_a_session_folder_that_is_not_a_path_is_refused(folder):
    raises_at_once("ERR_INVALID_PARAMETER", AppSettingsBuilder().set_session_dir, folder)


@pytest.mark.parametrize("store", ["x", 42, object()], ids=repr)
def test_a_session_store_that_is_not_one_is_refused_at_build(store):
    builder = AppSettingsBuilder().set_session_store(store)
    raises_at_once("ERR_INVALID_PARAMETER", builder.build)


def test_a_session_store_of_another_app_is_refused(settings_for, emulator):
    settings = settings_for(emulator).set_session_store(MemorySessionStore("other-app")).build()
    raises_at_once("ERR_INVALID_PARAMETER", CometChatClient, emulator.app_id, settings)
