"""Listener base classes: no-op defaults, keyword construction, subclassing."""

from __future__ import annotations

import inspect

import pytest

from cometchat_sync.listeners import CallListener
from cometchat_sync.listeners import ConnectionListener
from cometchat_sync.listeners import GroupListener
from cometchat_sync.listeners import LoginListener
from cometchat_sync.listeners import MessageListener
from cometchat_sync.listeners import UserListener

ALL = [
    ConnectionListener,
    MessageListener,
    UserListener,
    GroupListener,
    CallListener,
    LoginListener,
]


def _nargs(cls: type, name: str) -> int:
    params = list(inspect.signature(getattr(cls, name)).parameters)
    return len(params) - 1  # minus self


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_every_event_is_a_noop_by_default(cls):
    listener = cls()
    assert cls.EVENTS, "every family declares its events"
    assert len(set(cls.EVENTS)) == len(cls.EVENTS)
    for name in cls.EVENTS:
        args = [object()] * _nargs(cls, name)
        assert getattr(listener, name)(*args) is None


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_events_tuple_matches_on_methods(cls):
    methods = {n for n, v in vars(cls).items() if n.startswith("on_") and callable(v)}
    assert methods == set(cls.EVENTS)


def test_connection_listener_events():
    # the five official callbacks (the connection core adds on_state_change on top)
    assert set(ConnectionListener.EVENTS) >= {
        "on_connecting",
        "on_connected",
        "on_disconnected",
        "on_feature_throttled",
        "on_connection_error",
    }
    for name in ("on_connecting", "on_connected", "on_disconnected", "on_feature_throttled"):
        assert _nargs(ConnectionListener, name) == 0
    assert _nargs(ConnectionListener, "on_connection_error") == 1


def test_kwargs_replace_methods_on_the_instance_only():
    calls = []
    listener = ConnectionListener(on_connected=lambda: calls.append("up"))
    listener.on_connected()
    listener.on_disconnected()  # still the no-op
    assert calls == ["up"]
    ConnectionListener().on_connected()  # other instances untouched
    assert calls == ["up"]


def test_kwargs_get_the_event_arguments():
    seen: list[tuple[object, ...]] = []
    listener = GroupListener(on_group_member_kicked=lambda *a: seen.append(a))
    listener.on_group_member_kicked("act", "kicked", "by", "grp")  # type: ignore[arg-type]
    assert seen == [("act", "kicked", "by", "grp")]


def test_unknown_kwarg_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="on_conected"):
        ConnectionListener(on_conected=lambda: None)
    # an event of another family is not accepted either
    with pytest.raises(TypeError, match="on_user_online"):
        MessageListener(on_user_online=lambda u: None)


def test_non_callable_kwarg_is_a_type_error():
    with pytest.raises(TypeError, match="on_connected"):
        ConnectionListener(on_connected=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        UserListener(on_user_online="print")  # type: ignore[arg-type]


def test_subclass_override_works():
    class Mine(MessageListener):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[object] = []

        def on_text_message_received(self, message):
            self.got.append(message)

    m = Mine()
    m.on_text_message_received("hello")
    m.on_media_message_received("ignored")  # type: ignore[arg-type]
    assert m.got == ["hello"]


def test_subclass_can_still_take_kwargs():
    class Mine(UserListener):
        def on_user_online(self, user):
            raise AssertionError("replaced by the kwarg")

    seen: list[object] = []
    Mine(on_user_online=seen.append).on_user_online("u")  # type: ignore[arg-type,unused-ignore]
    assert seen == ["u"]


def test_events_come_from_the_family_and_subclasses_inherit_them():
    class Mine(MessageListener):
        def on_text_message_received(self, message):
            pass

        def on_helper_of_mine(self):  # not an SDK event
            pass

    assert Mine.EVENTS == MessageListener.EVENTS
    with pytest.raises(TypeError, match="on_helper_of_mine"):
        MessageListener(on_helper_of_mine=lambda: None)


def test_group_listener_signatures_mirror_official_sdks():
    def params(name):
        return list(inspect.signature(getattr(GroupListener, name)).parameters)[1:]

    assert params("on_group_member_joined") == ["action", "joined_user", "joined_group"]
    assert params("on_group_member_left") == ["action", "left_user", "left_group"]
    assert params("on_group_member_kicked") == ["action", "kicked_user", "kicked_by", "kicked_from"]
    assert params("on_group_member_banned") == ["action", "banned_user", "banned_by", "banned_from"]
    assert params("on_group_member_unbanned") == [
        "action",
        "unbanned_user",
        "unbanned_by",
        "unbanned_from",
    ]
    assert params("on_group_member_scope_changed") == [
        "action",
        "changed_user",
        "new_scope",
        "old_scope",
        "group",
    ]
    assert params("on_member_added_to_group") == [
        "action",
        "user_added",
        "added_by",
        "user_added_in",
    ]


def test_login_and_call_listener_events():
    assert LoginListener.EVENTS == (
        "on_login_success",
        "on_login_failure",
        "on_logout_success",
        "on_logout_failure",
    )
    assert CallListener.EVENTS == (
        "on_incoming_call_received",
        "on_outgoing_call_accepted",
        "on_outgoing_call_rejected",
        "on_incoming_call_cancelled",
        "on_call_ended_message_received",
    )


def test_repr_lists_kwarg_callbacks():
    assert repr(UserListener()) == "<UserListener>"
    assert "on_user_online" in repr(UserListener(on_user_online=print))
