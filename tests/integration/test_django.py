"""The Django app and ``samples/django_site``: ``ready()`` makes no client and does no I/O;
``get_client()`` makes one client per process on first use (threads share it, one auth
token), REST only; ``manage.py cometchat_listen`` is the one process that consumes events
(the sample's echo bot answers once) and exits 0 on SIGINT."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cometchat_sync
from cometchat_sync import TextMessage
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import MessageRecorder

django = pytest.importorskip("django")

UID = "superhero1"
SITE = Path(__file__).resolve().parents[2] / "samples" / "django_site"
WAIT = 10.0


def sdk_threads() -> list[str]:
    return [t.name for t in cometchat_sync.sdk_threads()]


@pytest.fixture(scope="module")
def django_site() -> Iterator[None]:
    """Django set up once in this process with the sample's settings (``ready()`` reads
    placeholder values from the environment; each test then gives its own ``COMETCHAT``)."""
    sys.path.insert(0, str(SITE))
    placeholders = {
        "DJANGO_SETTINGS_MODULE": "chat_site.settings",
        "COMETCHAT_APP_ID": "placeholder",
        "COMETCHAT_UID": UID,
        "COMETCHAT_AUTH_KEY": "placeholder",
    }
    saved = {name: os.environ.get(name) for name in placeholders}
    os.environ.update(placeholders)
    try:
        django.setup()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield
    sys.path.remove(str(SITE))


def cometchat_settings(emulator: Emulator, tmp_path: Path) -> dict[str, Any]:
    return {
        "APP_ID": emulator.app_id,
        "REGION": emulator.region,
        "CLIENT_HOST": emulator.client_host,
        "ADMIN_HOST": emulator.admin_host,
        "UID": UID,
        "AUTH_KEY": emulator.auth_key,
        "SESSION_DIR": str(tmp_path),
    }


@pytest.fixture
def site(django_site: None, emulator: Emulator, tmp_path: Path) -> Iterator[Any]:
    """The app re-reads a ``COMETCHAT`` aimed at this test's emulator; yields the app config."""
    from django.apps import apps  # noqa: PLC0415
    from django.test import override_settings  # noqa: PLC0415

    config = apps.get_app_config("cometchat_sync")
    with override_settings(COMETCHAT=cometchat_settings(emulator, tmp_path)):
        config.ready()
        try:
            yield config
        finally:
            config.clients.close()


def test_ready_makes_no_client_and_does_no_io(site, emulator, tmp_path):
    requests = emulator.request_count
    site.ready()  # as at every manage.py command, and in a pre-fork master
    assert emulator.request_count == requests
    assert site.clients.made is False and sdk_threads() == []
    assert list(tmp_path.iterdir()) == []


def test_a_view_sends_over_rest_with_no_socket_and_no_sdk_thread(site, emulator):
    from django.test import Client  # noqa: PLC0415

    http = Client()
    answer = http.post("/send", {"to": "superhero2", "text": "from django"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["sdk_threads"] == []
    assert http.get("/debug/process").json()["client_made"] is True
    assert any(m.get("data", {}).get("text") == "from django" for m in emulator.messages())
    assert emulator.socket_count(UID) == 0


def test_get_client_is_one_client_per_process_with_one_auth_token(site, emulator):
    from cometchat_sync.integrations.django import get_client  # noqa: PLC0415

    barrier = threading.Barrier(5)
    clients: list[Any] = []

    def first_use() -> None:
        barrier.wait(5)
        clients.append(get_client())

    threads = [threading.Thread(target=first_use) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert len(clients) == 5 and len({id(c) for c in clients}) == 1
    assert clients[0].get_connection_status() == "disconnected"  # manual mode: never connects
    assert emulator.revoke_auth_token(UID) == 1


def test_a_wrong_configuration_is_improperly_configured(django_site, monkeypatch):
    from django.apps import apps  # noqa: PLC0415
    from django.core.exceptions import ImproperlyConfigured  # noqa: PLC0415
    from django.test import override_settings  # noqa: PLC0415

    for name in ("COMETCHAT_APP_ID", "COMETCHAT_UID", "COMETCHAT_AUTH_KEY"):
        monkeypatch.delenv(name, raising=False)
    config = apps.get_app_config("cometchat_sync")
    for value, says in (
        ({"UID": UID, "AUTH_KEY": "k"}, "app id"),
        ({"APP_ID": "a", "UID": UID}, "UID with AUTH_KEY"),
        ({"APP_ID": "a", "UID": UID, "AUTH_KEY": "k", "AUTHKEY": "typo"}, "AUTHKEY"),
        (None, "must be a dict"),
    ):
        with override_settings(COMETCHAT=value), pytest.raises(ImproperlyConfigured) as info:
            config.ready()
        assert says in str(info.value)


def test_cometchat_listen_runs_the_bot_once_and_exits_0_on_sigint(
    spawn, emulator, emulator_env, make_client, tmp_path
):
    env = emulator_env(COMETCHAT_UID=UID, COMETCHAT_SESSION_DIR=str(tmp_path))
    proc = spawn(
        ["python", str(SITE / "manage.py"), "cometchat_listen", "--print", "--json"], env=env
    )

    def connected(line: str) -> bool:
        event = json.loads(line)
        return bool(event["type"] == "connection" and event["data"]["current"] == "connected")

    proc.expect(connected)
    friend = make_client(auto=True)
    inbox = MessageRecorder()
    friend.add_message_listener("inbox", inbox)
    friend.login("superhero2", emulator.auth_key)
    friend.wait_until_connected(WAIT)
    friend.send_message(TextMessage(UID, "ping"))
    assert inbox.log.wait_for_count("on_text_message_received", 1, WAIT)
    assert inbox.texts() == ["echo: ping"]
    proc.expect(lambda line: json.loads(line)["event"] == "on_text_message_received")
    proc.signal(signal.SIGINT)
    assert proc.wait(WAIT) == 0, proc.output()
    assert "Traceback" not in "".join(proc.err), proc.output()
    # The process has ended, so every answer it sent is on the server: exactly one.
    echoes = [m for m in emulator.messages() if m.get("data", {}).get("text") == "echo: ping"]
    assert len(echoes) == 1
