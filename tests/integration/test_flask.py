"""The Flask extension and ``samples/flask_app.py`` with Flask's test client: the app factory
makes no client and does no I/O; the first request makes one client per process (threads
share it, one login, one auth token), REST only (no socket, no SDK thread)."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import cometchat_sync
from cometchat_sync import CometChatException
from cometchat_sync.integrations.flask import CometChat
from cometchat_sync.testing import Emulator

flask = pytest.importorskip("flask")

UID = "superhero1"
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "flask_app.py"


def sdk_threads() -> list[str]:
    return [t.name for t in cometchat_sync.sdk_threads()]


@pytest.fixture
def sample() -> ModuleType:
    """``samples/flask_app.py``, freshly imported (its extension object is module-level)."""
    spec = importlib.util.spec_from_file_location("flask_app_sample", SAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def config_of(emulator: Emulator, tmp_path: Path) -> dict[str, Any]:
    return {
        "COMETCHAT_APP_ID": emulator.app_id,
        "COMETCHAT_REGION": emulator.region,
        "COMETCHAT_CLIENT_HOST": emulator.client_host,
        "COMETCHAT_ADMIN_HOST": emulator.admin_host,
        "COMETCHAT_UID": UID,
        "COMETCHAT_AUTH_KEY": emulator.auth_key,
        "COMETCHAT_SESSION_DIR": str(tmp_path),
    }


@pytest.fixture
def app(sample: ModuleType, emulator: Emulator, tmp_path: Path) -> Any:
    made = sample.create_app(config_of(emulator, tmp_path))
    yield made
    made.extensions["cometchat"].close()


def test_the_factory_makes_no_client_and_does_no_io(sample, emulator, tmp_path):
    requests = emulator.request_count
    app = sample.create_app(config_of(emulator, tmp_path))
    assert emulator.request_count == requests
    assert app.extensions["cometchat"].made is False
    assert list(tmp_path.iterdir()) == []  # not even the session folder
    assert sdk_threads() == []


def test_a_request_sends_over_rest_with_no_socket_and_no_sdk_thread(app, emulator):
    with app.test_client() as http:
        answer = http.post("/send", json={"to": "superhero2", "text": "from flask"})
        assert answer.status_code == 200, answer.text
        assert answer.get_json()["sdk_threads"] == []
        process = http.get("/debug/process").get_json()
    assert process["client_made"] is True and process["sdk_threads"] == []
    assert any(m.get("data", {}).get("text") == "from flask" for m in emulator.messages())
    assert emulator.socket_count(UID) == 0


def test_concurrent_first_requests_share_one_client_and_one_auth_token(app, emulator):
    barrier = threading.Barrier(6)
    clients: list[Any] = []

    def first_use() -> None:
        with app.app_context():
            barrier.wait(5)
            clients.append(app.extensions["cometchat"].get())

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(clients) == 6 and len({id(c) for c in clients}) == 1
    assert emulator.revoke_auth_token(UID) == 1  # how many tokens were created


def test_a_second_process_on_the_same_session_folder_creates_no_token(sample, emulator, tmp_path):
    first = sample.create_app(config_of(emulator, tmp_path))
    second = sample.create_app(config_of(emulator, tmp_path))  # another worker, in effect
    try:
        with first.app_context():
            one = sample.cometchat.client
        with second.app_context():
            two = sample.cometchat.client
        assert one is not two
        assert one.get_logged_in_user().uid == two.get_logged_in_user().uid == UID
        assert emulator.revoke_auth_token(UID) == 1
    finally:
        first.extensions["cometchat"].close()
        second.extensions["cometchat"].close()


def test_missing_configuration_fails_at_init_app(monkeypatch):
    for name in ("COMETCHAT_APP_ID", "COMETCHAT_UID", "COMETCHAT_AUTH_KEY", "COMETCHAT_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    app = flask.Flask("bare")
    with pytest.raises(CometChatException) as info:
        CometChat(app)
    assert info.value.code == "MISSING_PARAMETERS"
    app.config.update(COMETCHAT_APP_ID="some-app")
    with pytest.raises(CometChatException) as info:
        CometChat(app)
    assert info.value.code == "MISSING_PARAMETERS" and "UID" in info.value.message


def test_the_client_needs_an_app_context_and_init_app(app):
    extension = CometChat()
    with pytest.raises(RuntimeError):
        _ = extension.client  # no app context
    with flask.Flask("other").app_context(), pytest.raises(RuntimeError):
        _ = extension.client  # an app never given to init_app
