"""Every public method and property of ``CometChatClient``, and every public class of the
package, is documented; method docstrings name their parameters, their errors and, for the
calls that speak the wire, the public CometChat page they follow."""

from __future__ import annotations

import inspect
import re
from typing import Any
from typing import Callable

import pytest

import cometchat_sync
from cometchat_sync import CometChatClient
from cometchat_sync.connection.api import ConnectionAPI
from cometchat_sync.events.listeners_api import ListenersAPI
from cometchat_sync.events.outbound import LiveEventsAPI
from cometchat_sync.rest.admin import AdminAPI
from cometchat_sync.rest.app import AppAPI
from cometchat_sync.rest.base import ResourceAPI
from cometchat_sync.rest.blocking import BlockingAPI
from cometchat_sync.rest.calls import CallsAPI
from cometchat_sync.rest.conversations import ConversationsAPI
from cometchat_sync.rest.groups import GroupsAPI
from cometchat_sync.rest.messages import MessagesAPI
from cometchat_sync.rest.pins import PinsAPI
from cometchat_sync.rest.users import UsersAPI

# Public client methods that raise no SDK error, so need no ``Raises:`` section.
CANNOT_RAISE = {
    "after_fork_in_child",
    "get_connection_status",
    "get_logged_in_user",
    "remove_call_listener",
    "remove_connection_listener",
    "remove_group_listener",
    "remove_login_listener",
    "remove_message_listener",
    "remove_user_listener",
    "set_listener_error_hook",
    "stats",
    "threads",
}
# The mixins whose every method is one REST call or one socket send.
REST_MIXINS = (
    MessagesAPI,
    UsersAPI,
    GroupsAPI,
    CallsAPI,
    ConversationsAPI,
    BlockingAPI,
    AdminAPI,
    AppAPI,
    PinsAPI,
)
WIRE_MIXINS = (*REST_MIXINS, LiveEventsAPI)
MIXINS = (ResourceAPI, *WIRE_MIXINS, ListenersAPI, ConnectionAPI)
DOCS_URL = "https://www.cometchat.com/docs/"
# References to material outside the repository, which must stand alone.
OUTSIDE_REFERENCES = re.compile(r"§|\bshared/|\bnotes/|\bdesign doc|\bissue #?\d|#\d{2,}")


def client_members() -> dict[str, Any]:
    return {
        name: inspect.getattr_static(CometChatClient, name)
        for name in dir(CometChatClient)
        if not name.startswith("_")
    }


def public_methods() -> dict[str, Callable[..., Any]]:
    return {
        name: getattr(CometChatClient, name)
        for name, value in client_members().items()
        if not isinstance(value, property) and callable(value)
    }


def own_doc(obj: Any) -> str:
    """The object's own docstring (``inspect.getdoc`` would inherit a base class's)."""
    if isinstance(obj, property):
        obj = obj.fget
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else obj.__doc__
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


METHODS = sorted(public_methods())
PROPERTIES = sorted(n for n, v in client_members().items() if isinstance(v, property))
EXPORTED_CLASSES = sorted(
    name for name in cometchat_sync.__all__ if inspect.isclass(getattr(cometchat_sync, name))
)


def mixin_methods(*mixins: type) -> list[str]:
    return sorted(
        name
        for mixin in mixins
        for name, value in vars(mixin).items()
        if not name.startswith("_") and callable(value)
    )


WIRE_METHODS = mixin_methods(*WIRE_MIXINS)
# Facts shared by a group of methods are stated once, in the docstring of the class that
# owns them; each method's ``Raises:`` refers to that class in one line instead of
# repeating them. Per owner: the methods, and the codes only the owner may spell out.
SHARED_ERRORS: dict[type, tuple[list[str], tuple[str, ...]]] = {
    ResourceAPI: (
        mixin_methods(*REST_MIXINS),
        (
            "ERR_TOO_MANY_REQUESTS",
            "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
            "ERR_NO_INTERNET",
            "ERR_NOT_LOGGED_IN",
            "ERR_TIMEOUT",
        ),
    ),
    LiveEventsAPI: (
        mixin_methods(LiveEventsAPI),
        ("NO_WEBSOCKET_CONNECTION", "ERR_NOT_LOGGED_IN"),
    ),
    ListenersAPI: (
        [name for name in mixin_methods(ListenersAPI) if name.startswith("add_")],
        ("MISSING_PARAMETERS",),
    ),
}
SHARED_CASES = sorted(
    (owner.__name__, name) for owner, (names, _) in SHARED_ERRORS.items() for name in names
)


def test_the_lists_are_not_empty_and_the_allow_list_is_current():
    assert len(METHODS) > 40 and len(PROPERTIES) >= 5 and len(EXPORTED_CLASSES) > 20
    assert len(WIRE_METHODS) > 20
    counts = [len(names) for names, _ in SHARED_ERRORS.values()]
    assert all(n >= least for n, least in zip(counts, (20, 5, 6))), counts
    assert set(METHODS) >= CANNOT_RAISE, sorted(CANNOT_RAISE - set(METHODS))


@pytest.mark.parametrize("name", METHODS)
def test_public_method_is_documented(name: str):
    doc = own_doc(public_methods()[name])
    assert doc, f"CometChatClient.{name} has no docstring"
    assert not OUTSIDE_REFERENCES.search(doc), f"{name} refers outside the repository"


@pytest.mark.parametrize("name", PROPERTIES)
def test_public_property_is_documented(name: str):
    assert own_doc(client_members()[name]), f"CometChatClient.{name} has no docstring"


@pytest.mark.parametrize("name", EXPORTED_CLASSES)
def test_exported_class_is_documented(name: str):
    assert own_doc(getattr(cometchat_sync, name)), f"cometchat_sync.{name} has no docstring"


@pytest.mark.parametrize("mixin", MIXINS, ids=lambda m: m.__name__)
def test_mixin_class_is_documented(mixin: type):
    doc = own_doc(mixin)
    assert doc, f"{mixin.__name__} has no docstring"
    assert not OUTSIDE_REFERENCES.search(doc), f"{mixin.__name__} refers outside the repository"


@pytest.mark.parametrize("owner", list(SHARED_ERRORS), ids=lambda m: m.__name__)
def test_shared_errors_are_stated_by_their_owner(owner: type):
    doc = own_doc(owner)
    assert "\nRaises:\n" in doc, f"{owner.__name__} has no Raises: section"
    for code in SHARED_ERRORS[owner][1]:
        assert f"``{code}``" in doc, f"{owner.__name__} does not state {code}"


@pytest.mark.parametrize(("owner", "name"), SHARED_CASES)
def test_method_refers_to_the_shared_errors_instead_of_repeating_them(owner: str, name: str):
    doc = own_doc(public_methods()[name])
    raises = doc.split("\nRaises:\n", 1)[-1]
    assert f"{owner}`" in raises, f"{name}: Raises: does not refer to {owner}"
    codes = next(c for o, (_, c) in SHARED_ERRORS.items() if o.__name__ == owner)
    repeated = [code for code in codes if code in doc]
    assert not repeated, f"{name} repeats {repeated}: they are stated once, by {owner}"


@pytest.mark.parametrize("name", METHODS)
def test_method_docstring_has_raises_unless_it_cannot_raise(name: str):
    doc = own_doc(public_methods()[name])
    if name in CANNOT_RAISE:
        return
    assert "\nRaises:\n" in doc, f"CometChatClient.{name} has no Raises: section"


@pytest.mark.parametrize("name", METHODS)
def test_method_docstring_names_every_parameter(name: str):
    method = public_methods()[name]
    params = [p for p in inspect.signature(method).parameters if p != "self"]
    if not params:
        return
    doc = own_doc(method)
    assert "\nArgs:\n" in doc, f"CometChatClient.{name} has no Args: section"
    args = doc.split("\nArgs:\n", 1)[1]
    for param in params:
        assert re.search(rf"^\s+{param}:", args, re.MULTILINE), f"{name}: {param} undocumented"


@pytest.mark.parametrize("name", WIRE_METHODS)
def test_wire_method_cites_its_public_source(name: str):
    doc = own_doc(public_methods()[name])
    assert DOCS_URL in doc, f"CometChatClient.{name} cites no {DOCS_URL} page"


def test_the_client_class_documents_its_constructor():
    doc = own_doc(CometChatClient)
    for param in ("app_id", "settings", "transport"):
        assert f"{param}:" in doc
    assert "\nRaises:\n" in doc
