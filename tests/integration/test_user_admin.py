"""Users against the emulator over real sockets: the logged-in user changes its own profile
(``PUT me`` applies its body, the stored session follows), and server-side code creates and
updates users with an API key, without logging in; bad keys, uids and duplicates get the
service's codes, and the key never shows in an error."""

from __future__ import annotations

from typing import Callable

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import MemorySessionStore
from cometchat_sync import User

A, B = "superhero1", "superhero2"


def code_of(call: Callable[[], object]) -> CometChatException:
    with pytest.raises(CometChatException) as caught:
        call()
    return caught.value


def test_update_current_user_details_changes_the_profile_everyone_sees(login):
    a, b = login(A), login(B)
    change = User("ignored-uid", "Tony Stark", status_message="in the lab", tags=["vip"])
    change.metadata = {"suit": "mk42"}
    got = a.update_current_user_details(change)
    assert (got.uid, got.name, got.status_message, got.tags, got.metadata) == (
        A,
        "Tony Stark",
        "in the lab",
        ["vip"],
        {"suit": "mk42"},
    )
    seen = b.get_user(A)
    assert (seen.name, seen.status_message) == ("Tony Stark", "in the lab")
    mine = a.get_logged_in_user()  # the stored session keeps the new profile
    assert mine is not None and mine.name == "Tony Stark" and mine.auth_token
    # a login's PUT me (platform, device, app info) changes no profile field
    a.logout()
    assert login(A).get_logged_in_user().name == "Tony Stark"


def test_update_current_user_details_needs_a_user_and_a_login(make_client, login, emulator):
    a = login(A)
    before = emulator.request_count()
    assert code_of(lambda: a.update_current_user_details("Tony")).code == "MISSING_PARAMETERS"
    assert emulator.request_count() == before
    fresh = make_client(auto=False)
    assert code_of(lambda: fresh.update_current_user_details(User(A, "X"))).code == (
        "ERR_NOT_LOGGED_IN"
    )


def test_create_and_update_users_with_an_api_key_without_logging_in(make_client, emulator):
    server = make_client(auto=False)  # server-side code: never logs in
    bot = User("Support-Bot", "Support bot", role="bot", tags=["staff"])
    bot.metadata = {"team": "care"}
    made = server.create_user(bot, emulator.auth_key)
    assert (made.uid, made.name, made.role, made.tags, made.metadata) == (
        "support-bot",
        "Support bot",
        "bot",
        ["staff"],
        {"team": "care"},
    )
    assert server.get_logged_in_user() is None
    changed = server.update_user(User("support-bot", "Care bot", avatar="https://x.test/a.png"),
                                 emulator.auth_key)  # fmt: skip
    assert (changed.name, changed.avatar, changed.role) == (
        "Care bot",
        "https://x.test/a.png",
        "bot",
    )
    # the new user can log in and is seen by others
    member = make_client(auto=False)
    assert member.login("support-bot", emulator.auth_key).name == "Care bot"

    duplicate = code_of(lambda: server.create_user(User("support-bot", "Again"), emulator.auth_key))
    assert duplicate.code == "ERR_UID_ALREADY_EXISTS"
    missing = code_of(lambda: server.update_user(User("nobody-here", "N"), emulator.auth_key))
    assert missing.code == "ERR_UID_NOT_FOUND"


def test_a_wrong_api_key_is_refused_and_never_shown(make_client, emulator):
    server = make_client(auto=False)
    secret = "not-the-key-0123456789"
    error = code_of(lambda: server.create_user(User("someone", "Someone"), secret))
    assert error.code == "AUTH_ERR_APIKEY_NOT_FOUND"
    assert secret not in str(error) and secret not in repr(error)
    assert secret not in repr(error.details)


@pytest.mark.parametrize(
    ("user", "key", "code"),
    [
        (None, "k", "MISSING_PARAMETERS"),
        (User("", "No uid"), "k", "MISSING_PARAMETERS"),
        (User("has space", "S"), "k", "ERR_INVALID_PARAMETER"),
        (User("ok-uid", "Named"), "", "MISSING_PARAMETERS"),
    ],
)
def test_bad_users_and_keys_are_refused_before_any_request(make_client, emulator, user, key, code):
    server = make_client(auto=False)
    before = emulator.request_count()
    assert code_of(lambda: server.create_user(user, key)).code == code
    assert code_of(lambda: server.update_user(user, key)).code == code
    assert code_of(lambda: server.create_user(User("named-not", ""), "k")).code == (
        "MISSING_PARAMETERS"
    )
    assert emulator.request_count() == before


def test_a_profile_change_never_overwrites_a_session_another_worker_stored(
    settings_for, emulator, closing
):
    store = MemorySessionStore(emulator.app_id)

    def client() -> CometChatClient:
        settings = settings_for(emulator, auto=False, set_session_store=store).build()
        made: CometChatClient = closing(CometChatClient(emulator.app_id, settings))
        return made

    a = client()
    a.login(A, emulator.auth_key)
    client().login(B, emulator.auth_key)  # another worker of the app, as someone else
    a.update_current_user_details(User(A, "Tony Stark"))
    stored = store.load()
    assert stored is not None and stored.uid == B, "a's profile change overwrote b's session"
