"""AppSettingsBuilder validation and the URLs built from the settings."""

from __future__ import annotations

import pytest

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatException
from cometchat_sync import MemorySessionStore
from cometchat_sync.rest.endpoints import Endpoints


def test_defaults():
    s = AppSettingsBuilder().build()
    assert s.region == "eu"
    assert s.auto_establish_socket_connection is True
    assert (s.ping_interval, s.pong_timeout, s.background_ping_deadline) == (15, 3, 30)
    assert (s.reconnect_backoff_base, s.reconnect_backoff_cap) == (0.5, 30)
    assert s.presence_subscription is None


@pytest.mark.parametrize(
    ("configure", "code"),
    [
        (lambda b: b.set_region(""), "MISSING_PARAMETERS"),
        (lambda b: b.set_region("e u"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_ping_interval(0), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_ping_interval(-1), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_ping_interval(float("inf")), "ERR_INVALID_PARAMETER"),
        # Longer than any wait of the system takes (OverflowError on the engine's threads).
        (lambda b: b.set_ping_interval(1e10), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_request_timeout(1e10), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_connect_timeout(1_000_001), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_pong_timeout(0), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_pong_timeout(15), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_background_ping_deadline(0), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_connect_timeout(-5), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_request_timeout("10"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_reconnect_backoff(1, 0.5), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_reconnect_backoff(0, 1), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_max_frame_size(10), "ERR_INVALID_PARAMETER"),
        (lambda b: b.subscribe_presence_for_roles([]), "MISSING_PARAMETERS"),
        (lambda b: b.auto_establish_socket_connection("yes"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.override_client_host("ftp://host"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.override_client_host(""), "MISSING_PARAMETERS"),
        (lambda b: b.override_client_host("http://host/path"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.override_admin_host("http://host:notaport"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.override_admin_host("https://user:pw@host"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.override_client_host("http://[bad"), "ERR_INVALID_PARAMETER"),
        (lambda b: b.set_ca_bundle("/no/such/file.pem"), "ERR_INVALID_PARAMETER"),
    ],
)
def test_bad_values_fail_at_build(configure, code):
    builder = configure(AppSettingsBuilder())
    with pytest.raises(CometChatException) as info:
        builder.build()
    assert info.value.code == code


def test_hosts_parse_scheme_and_port():
    s = (
        AppSettingsBuilder()
        .override_client_host("http://127.0.0.1:8080")
        .override_admin_host("api.example.com")
        .build()
    )
    assert s.client_host is not None and s.admin_host is not None
    assert s.client_host.base_url == "http://127.0.0.1:8080"
    assert s.admin_host.base_url == "https://api.example.com"
    assert s.insecure_transport


def test_settings_are_frozen_and_from_settings_derives_a_variant():
    s = AppSettingsBuilder().override_client_host("http://h:1").set_ping_interval(5).build()
    with pytest.raises(AttributeError):
        s.region = "us"  # type: ignore[misc]
    v = AppSettingsBuilder.from_settings(s).auto_establish_socket_connection(False).build()
    assert (v.ping_interval, v.client_host, v.auto_establish_socket_connection) == (
        5,
        s.client_host,
        False,
    )


def test_session_dir_and_store_replace_each_other(tmp_path):
    store = MemorySessionStore("app")
    s = AppSettingsBuilder().set_session_store(store).set_session_dir(tmp_path).build()
    assert (s.session_store, s.session_dir) == (None, str(tmp_path))
    s = AppSettingsBuilder().set_session_dir(tmp_path).set_session_store(store).build()
    assert (s.session_store, s.session_dir) == (store, None)


def test_presence_subscriptions():
    s = AppSettingsBuilder().subscribe_presence_for_all_users().build()
    assert s.presence_subscription == "ALL_USERS"
    s = AppSettingsBuilder().subscribe_presence_for_roles(["admin", "vip"]).build()
    assert (s.presence_subscription, s.presence_roles) == ("ROLES", ("admin", "vip"))
    assert AppSettingsBuilder().subscribe_presence_for_friends().build().presence_subscription == (
        "FRIENDS"
    )


def urls(builder, server=None):
    """(REST client base, REST admin base, WebSocket URL) for app ``APP1`` with the settings
    of ``builder``, given the ``server`` settings fetched at login (None before it)."""
    e = Endpoints("APP1", builder.build())
    return e.client_base(server), e.admin_base(server), e.websocket_url(server)


def test_region_default_urls():
    assert urls(AppSettingsBuilder().set_region("us")) == (
        "https://APP1.apiclient-us.cometchat.io/v3.0/",
        "https://APP1.api-us.cometchat.io/v3.0/",
        "wss://APP1.websocket-us.cometchat.io:443",
    )


def test_after_login_the_server_settings_name_the_hosts():
    server = {
        "CLIENT_API_HOST": "app1.apiclient-eu.cometchat.io",
        "ADMIN_API_HOST": "app1.api-eu.cometchat.io",
        "CHAT_API_VERSION": "v3.0",
        "CHAT_HOST": "app1.websocket-eu.cometchat.io",
        "CHAT_WSS_PORT": "443",
    }
    assert urls(AppSettingsBuilder(), server) == (
        "https://app1.apiclient-eu.cometchat.io/v3.0/",
        "https://app1.api-eu.cometchat.io/v3.0/",
        "wss://app1.websocket-eu.cometchat.io:443",
    )
    overridden = {**server, "CHAT_HOST_OVERRIDE": "other.host"}
    assert urls(AppSettingsBuilder(), overridden)[2] == "wss://other.host:443"


def test_an_override_always_wins_and_http_means_ws():
    builder = (
        AppSettingsBuilder()
        .override_client_host("http://127.0.0.1:9000")
        .override_admin_host("http://127.0.0.1:9001")
    )
    server = {
        "CLIENT_API_HOST": "x",
        "ADMIN_API_HOST": "y",
        "CHAT_HOST": "127.0.0.1",
        "CHAT_WSS_PORT": "9002",
    }
    assert urls(builder, server) == (
        "http://127.0.0.1:9000/",
        "http://127.0.0.1:9001/",
        "ws://127.0.0.1:9002",
    )
