"""REST side of the emulator: auth, errors, paths, settings, users, messages, history."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from typing import Any

import pytest
import requests

from cometchat_sync.testing.emulator import Emulator


def _b64json(part: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


def _error(r: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err: dict[str, Any] = r.json()["error"]
    assert err["code"] == code
    assert err["source"] == "chat-api"
    assert err["message"] and err["devMessage"]
    return err


def test_default_users_exist(kit):
    users = kit.ok("GET", "users", uid="superhero1")
    by_uid = {u["uid"]: u for u in users}
    assert [by_uid[f"superhero{i}"]["name"] for i in range(1, 6)] == [
        "Iron Man",
        "Captain America",
        "Spiderman",
        "Wolverine",
        "Cyclops",
    ]
    for u in by_uid.values():
        assert u["role"] == "default"
        assert u["avatar"].startswith("https://")
        assert u["status"] == "offline"


def test_auth_token_and_login_round_trip(kit, emu):
    created = kit.ok("POST", "users/superhero1/auth_tokens", admin=True, body={"force": True})
    token = created["authToken"]
    assert created["uid"] == "superhero1"
    assert re.fullmatch(r"superhero1_\d{10}[0-9a-f]{30}", token)
    assert abs(int(token[len("superhero1_") :][:10]) - time.time()) < 5
    assert created["createdAt"] == int(token[11:21])

    me = kit.ok(
        "PUT",
        "me",
        token=token,
        resource="WEB-1",
        body={"platform": "WEB", "deviceId": "d1", "appInfo": {"version": "v4.2.0"}},
    )
    assert me["uid"] == "superhero1" and me["name"] == "Iron Man"
    assert me["authToken"] == token
    header, payload, signature = me["jwt"].split(".")
    assert _b64json(header) == {"alg": "RS256", "typ": "JWT", "kid": "ccpro_jwt_rs256_key1"}
    claims = _b64json(payload)
    assert claims["uid"] == "superhero1" and claims["appId"] == emu.app_id
    assert claims["exp"] > claims["iat"] >= int(time.time()) - 5
    assert len(base64.urlsafe_b64decode(signature + "==")) >= 200
    assert me["settings"] == emu.settings()

    again = kit.ok("GET", "me", token=token)
    assert again["uid"] == "superhero1" and again["jwt"].count(".") == 2
    fresh = kit.ok("POST", "me/jwt", token=token, body={"passthrough": "x"})
    assert fresh["jwt"] not in (me["jwt"], again["jwt"])
    assert kit.ok("POST", "user_sessions", token=token, body={"sessionId": "abc"}) == {}

    kit.ok("DELETE", "me", token=token)
    err = _error(kit.call("GET", "me", token=token), 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND")
    assert token not in json.dumps(err)


@pytest.mark.parametrize("prefix", ["", "/v3", "/v3.0"])
def test_paths_bare_v3_and_v30(kit, emu, prefix):
    r = kit.http.get(
        f"{emu.client_host}{prefix}/users/superhero2",
        headers={"appId": emu.app_id, "authToken": kit.token("superhero1")},
        timeout=5,
    )
    assert r.status_code == 200
    assert r.json()["data"]["name"] == "Captain America"


def test_header_names_are_case_insensitive(kit, emu):
    r = kit.http.get(
        f"{emu.client_host}/v3.0/me",
        headers={"APPID": emu.app_id, "AUTHTOKEN": kit.token("superhero3")},
        timeout=5,
    )
    assert r.status_code == 200 and r.json()["data"]["uid"] == "superhero3"


def test_auth_errors(kit, emu):
    token = kit.token("superhero1")
    base = f"{emu.client_host}/v3.0/"
    get = kit.http.get
    _error(get(base + "me", headers={"authToken": token}, timeout=5), 401, "AUTH_ERR_EMPTY_APPID")
    _error(
        get(base + "me", headers={"appId": "other", "authToken": token}, timeout=5),
        401,
        "AUTH_ERR_INVALID_APPID",
    )
    _error(kit.call("GET", "me"), 401, "AUTH_ERR_EMPTY_AUTH_TOKEN")
    bogus = "superhero1_1700000000" + "0" * 30
    err = _error(kit.call("GET", "me", token=bogus), 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND")
    assert bogus not in json.dumps(err)
    _error(kit.call("POST", "users/superhero1/auth_tokens"), 401, "AUTH_ERR_EMPTY_APIKEY")
    _error(
        kit.call("POST", "users/superhero1/auth_tokens", headers={"apiKey": "wrong"}),
        401,
        "AUTH_ERR_APIKEY_NOT_FOUND",
    )
    err = _error(kit.call("POST", "users/nobody/auth_tokens", admin=True), 404, "ERR_UID_NOT_FOUND")
    assert err["message"] == (
        "The UID nobody does not exist, please make sure you have created a user with UID nobody."
    )


def test_bad_json_unknown_path_and_injected_failure(kit, emu):
    r = kit.http.post(
        f"{emu.client_host}/v3.0/messages",
        data=b"{not json",
        headers={"appId": emu.app_id, "authToken": kit.token("superhero1")},
        timeout=5,
    )
    err = _error(r, 400, "ERR_BAD_REQUEST")
    assert err["details"]["body"]
    _error(kit.call("GET", "no/such/thing", uid="superhero1"), 404, "ERR_API_NOT_FOUND")

    emu.fail_next_request("ERR_TOO_MANY_REQUESTS", status=429, message="slow down")
    emu.fail_next_request("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", status=401)
    err = _error(
        kit.call("GET", "users/superhero2", uid="superhero1"), 429, "ERR_TOO_MANY_REQUESTS"
    )
    assert err["message"] == "slow down"
    _error(
        kit.call("GET", "users/superhero2", uid="superhero1"), 401, "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
    )
    assert kit.ok("GET", "users/superhero2", uid="superhero1")["uid"] == "superhero2"


def test_settings_contents_mode_and_advertise(kit, emu):
    s = kit.ok("GET", "settings")
    assert s["CHAT_HOST"] == "127.0.0.1"
    assert s["CHAT_WSS_PORT"] == str(emu.ws_port) == s["CHAT_WS_PORT"]
    assert s["CHAT_USE_SSL"] is False
    assert s["CLIENT_API_HOST"] == s["ADMIN_API_HOST"] == f"127.0.0.1:{emu.port}"
    assert s["CHAT_API_VERSION"] == "v3.0"
    assert s["ANALYTICS_PING_DISABLED"] is True
    assert s["MODE"] == "DEFAULT" and s["APP_VERSION"] == 4 and s["REGION"] == "eu"
    assert emu.client_host == f"http://127.0.0.1:{emu.port}" == emu.admin_host
    assert emu.ws_url == f"ws://127.0.0.1:{emu.ws_port}"

    emu.set_mode("NO_TRANSIENT")
    emu.advertise_ws("localhost", 4321)
    s = kit.login("superhero1")["settings"]
    assert (s["MODE"], s["CHAT_HOST"], s["CHAT_WSS_PORT"]) == ("NO_TRANSIENT", "localhost", "4321")
    emu.advertise_ws(None)
    s = kit.ok("GET", "settings")
    assert (s["CHAT_HOST"], s["CHAT_WSS_PORT"]) == ("127.0.0.1", str(emu.ws_port))


def test_create_and_update_users(kit, emu):
    made = kit.ok(
        "POST",
        "users",
        admin=True,
        body={"uid": "Bob-1", "name": "Bob", "metadata": {"a": 1}, "role": "vip"},
    )
    assert made["uid"] == "bob-1" and made["role"] == "vip" and made["metadata"] == {"a": 1}
    _error(
        kit.call("POST", "users", admin=True, body={"uid": "bob-1", "name": "x"}),
        400,
        "ERR_UID_ALREADY_EXISTS",
    )
    err = _error(
        kit.call("POST", "users", admin=True, body={"uid": "bad uid!"}), 400, "ERR_BAD_REQUEST"
    )
    assert set(err["details"]) == {"uid", "name"}
    assert kit.ok("PUT", "users/bob-1", admin=True, body={"name": "Robert"})["name"] == "Robert"
    assert kit.ok("GET", "users/BOB-1", uid="superhero1")["name"] == "Robert"
    assert emu.create_user("carol", "Carol")["uid"] == "carol"

    r = kit.call("GET", "users", uid="superhero1", params={"per_page": 3, "page": 2})
    body = r.json()
    assert [u["uid"] for u in body["data"]] == ["superhero4", "superhero5", "bob-1"]
    assert body["meta"]["pagination"] == {
        "total": 7,
        "count": 3,
        "per_page": 3,
        "current_page": 2,
        "total_pages": 3,
    }


def test_send_message_shape_and_validation(kit):
    send = {"receiver": "superhero1", "receiverType": "user", "category": "message", "type": "text"}
    m1 = kit.ok(
        "POST", "messages", uid="superhero2", body={**send, "data": {"text": "a"}, "muid": "m-1"}
    )
    m2 = kit.ok(
        "POST",
        "messages",
        uid="superhero1",
        body={**send, "receiver": "superhero2", "data": {"text": "b", "metadata": {"k": 1}}},
    )
    assert isinstance(m1["id"], str) and int(m2["id"]) > int(m1["id"])
    assert m1["conversationId"] == m2["conversationId"] == "superhero1_user_superhero2"
    assert m1["muid"] == "m-1"
    assert (m1["sender"], m1["receiver"], m1["receiverType"]) == (
        "superhero2",
        "superhero1",
        "user",
    )
    assert m2["data"]["text"] == "b" and m2["data"]["metadata"] == {"k": 1}
    ents = m2["data"]["entities"]
    assert (
        ents["sender"]["entityType"] == "user" and ents["sender"]["entity"]["uid"] == "superhero1"
    )
    assert ents["receiver"]["entity"]["uid"] == "superhero2"
    assert isinstance(m2["sentAt"], int) and m2["updatedAt"] == m2["sentAt"]

    custom = kit.ok(
        "POST",
        "messages",
        uid="superhero1",
        body={**send, "category": "custom", "type": "location", "data": {"customData": {"x": 1}}},
    )
    assert custom["type"] == "location" and custom["data"]["customData"] == {"x": 1}

    def err(body, status, code):
        return _error(kit.call("POST", "messages", uid="superhero1", body=body), status, code)

    err({**send, "receiver": ""}, 400, "ERR_EMPTY_RECEIVER")
    err({**send, "receiverType": "planet", "data": {"text": "x"}}, 400, "ERR_INVALID_RECEIVER_TYPE")
    err({**send, "receiver": "ghost", "data": {"text": "x"}}, 404, "ERR_UID_NOT_FOUND")
    err(
        {**send, "receiver": "g", "receiverType": "group", "data": {"text": "x"}},
        404,
        "ERR_GUID_NOT_FOUND",
    )
    err({**send, "data": {"text": ""}}, 400, "ERR_EMPTY_MESSAGE_TEXT")
    kit.ok("POST", "groups", uid="superhero3", body={"guid": "club", "name": "Club"})
    err(
        {**send, "receiver": "club", "receiverType": "group", "data": {"text": "x"}},
        403,
        "ERR_NOT_A_MEMBER",
    )

    got = kit.ok("GET", f"messages/{m1['id']}", uid="superhero1")
    assert got["id"] == m1["id"]
    _error(kit.call("GET", f"messages/{m1['id']}", uid="superhero3"), 403, "ERR_MESSAGE_NO_ACCESS")
    _error(kit.call("GET", "messages/999999", uid="superhero1"), 404, "ERR_MESSAGE_ID_NOT_FOUND")


def test_history_paging(kit, emu):
    ids = [int(emu.send_message("superhero1", "superhero2", f"m{i}")["id"]) for i in range(7)]
    emu.send_message("superhero1", "superhero3", "elsewhere")

    def page(**params):
        r = kit.call("GET", "users/superhero1/messages", uid="superhero2", params=params)
        assert r.status_code == 200, r.text
        return [int(m["id"]) for m in r.json()["data"]], r.json()["meta"]

    got, meta = page(per_page=3)
    assert got == ids[-3:]
    assert meta["current"] == {"limit": 3, "count": 3}
    assert page()[0] == ids  # default per_page 30, ascending
    assert page(per_page=3, id=ids[1], affix="append")[0] == ids[2:5]
    assert page(per_page=3, id=ids[5], affix="prepend")[0] == ids[2:5]
    assert page(per_page=3, id=ids[1], affix="prepend")[0] == ids[:1]
    assert page(per_page=3, id=ids[-1], affix="append")[0] == []
    assert page(per_page=1000, id=0, affix="append")[1]["current"]["limit"] == 100
    # the caller's view of the other side
    assert len(kit.ok("GET", "users/superhero2/messages", uid="superhero1")) == 7
    assert len(kit.ok("GET", "messages", uid="superhero1")) == 8


def test_request_delay_and_stop_cuts_it(no_thread_leak):
    emu = Emulator().start()
    try:
        url = f"{emu.client_host}/v3.0/settings"
        emu.set_request_delay(0.2)
        t0 = time.monotonic()
        assert requests.get(url, headers={"appId": emu.app_id}, timeout=5).status_code == 200
        assert time.monotonic() - t0 >= 0.2

        emu.set_request_delay(30)
        outcome: list[object] = []

        def slow_call() -> None:
            try:
                outcome.append(requests.get(url, headers={"appId": emu.app_id}, timeout=10))
            except requests.RequestException as exc:
                outcome.append(exc)

        seen = emu.request_count()
        caller = threading.Thread(target=slow_call)
        caller.start()
        assert emu.wait_until(lambda: emu.request_count() > seen, 5)
    finally:
        t0 = time.monotonic()
        emu.stop()
        stop_took = time.monotonic() - t0
    caller.join(5)
    assert stop_took < 1.0
    assert not caller.is_alive() and outcome
