"""TLS (https + wss with a trustme CA) and the command-line entry point."""

from __future__ import annotations

import json
import os
import selectors
import signal
import ssl
import subprocess
import sys
import time

import pytest
import requests

from cometchat_sync.testing.emulator import Emulator


def test_tls_rest_and_wss(no_thread_leak, make_kit, tls_files):
    ca_file, chain, key = tls_files
    with Emulator(certfile=chain, keyfile=key) as emu:
        assert emu.client_host == f"https://127.0.0.1:{emu.port}" == emu.admin_host
        assert emu.ws_url == f"wss://127.0.0.1:{emu.ws_port}"
        kit = make_kit(
            emu, verify=ca_file, sslopt={"context": ssl.create_default_context(cafile=ca_file)}
        )
        me = kit.login("superhero1", "T1")
        assert me["settings"]["CHAT_USE_SSL"] is True
        assert me["settings"]["CHAT_WSS_PORT"] == str(emu.ws_port)
        a = kit.ws("superhero1", "T1", jwt=me["jwt"])
        b = kit.ws("superhero2", "T2")
        sent = emu.send_message("superhero2", "superhero1", "over tls", resource="T2")
        for ws in (a, b):
            f = ws.recv()
            assert f["body"]["id"] == sent["id"] and f["deviceId"] == "T2"
        a.send({"action": "ping"})
        assert a.recv() == {"action": "pong"}
        # a client that does not trust the CA is refused
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{emu.client_host}/v3.0/settings", timeout=5)
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 1.0


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            raise AssertionError("the emulator printed nothing")
        line: str = proc.stdout.readline()
        return line
    finally:
        sel.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_json_serves_and_exits_on_signal(sig, popen):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    args = ["-m", "cometchat_sync.testing.emulator", "--app-id", "cli-app", "--region", "us"]
    proc = popen([sys.executable, *args], env=env)
    info = json.loads(_read_line(proc, 10))
    assert set(info) == {"app_id", "region", "auth_key", "client_host", "admin_host", "ws_url"}
    assert (info["app_id"], info["region"]) == ("cli-app", "us")
    r = requests.post(
        f"{info['admin_host']}/v3.0/users/superhero1/auth_tokens",
        headers={"appId": "cli-app", "apiKey": info["auth_key"]},
        timeout=5,
    )
    assert r.status_code == 200 and r.json()["data"]["uid"] == "superhero1"
    assert info["ws_url"].startswith("ws://127.0.0.1:")
    t0 = time.monotonic()
    proc.send_signal(sig)
    assert proc.wait(5) == 0
    assert time.monotonic() - t0 < 3
