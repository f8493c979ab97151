"""No value a caller passes can change which endpoint a call reaches.

Every public call that puts a value in a URL path (ids, uids, guids, message ids, reactions)
is called with each value that could rewrite a path (``.``, ``..``, ``/``, ``?``, ``#``,
``%`` and mixes). Each either fails with ``ERR_INVALID_PARAMETER`` before any request, or the
emulator receives exactly the intended request line with the value percent-encoded in its one
segment. A source check keeps every path f-string of the REST layer and the builders on the
one helper, ``_validate.path_segment``.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import Callable
from typing import NamedTuple
from typing import Optional
from urllib.parse import quote

import pytest

import cometchat_sync
from cometchat_sync import CometChatClient
from cometchat_sync.builders.members import BannedMembersRequestBuilder
from cometchat_sync.builders.members import GroupMembersRequestBuilder
from cometchat_sync.builders.messages import MessagesRequestBuilder
from cometchat_sync.builders.reactions import ReactionsRequestBuilder
from cometchat_sync.errors import CometChatException
from cometchat_sync.errors import ErrorCode
from cometchat_sync.models import BaseMessage
from cometchat_sync.models import InteractiveMessage
from cometchat_sync.models import MediaMessage
from cometchat_sync.models import TextMessage
from cometchat_sync.rest.base import ResourceAPI
from cometchat_sync.testing import Emulator
from cometchat_sync.testing.emulator._rest import RestApp

# Values that would change a path if they reached it as they are.
PATH_BREAKERS = [
    ".",
    "..",
    "/",
    "?",
    "#",
    "%",
    "../messages",
    "a/b",
    "%2e%2e",
    "%2F",
    "x?per_page=1",
    "x#y",
]
# The parameters of public calls that name something in a path.
PATH_PARAMS = {
    "uid",
    "guid",
    "receiver_id",
    "session_id",
    "conversation_with",
    "message_id",
    "reaction",
    "message",
}
# Public calls with such a parameter that put it in the body, not the path.
BODY_ONLY = {
    "initiate_call",  # POST calls, the receiver in the body
    "send_message",  # covered below through the parent id of a reply
    "edit_message",  # covered below through the message's id
}


class Ctx(NamedTuple):
    client: CometChatClient
    message_id: int
    guid: str


class Case(NamedTuple):
    call: Callable[[Ctx, Any], object]
    # The request line the value may reach ("{}" = the value, percent-encoded), or None when
    # every value here must be refused before any request.
    intended: Optional[str]


def message_with(**fields: Any) -> BaseMessage:
    message = TextMessage("superhero2", "hello")
    for name, value in fields.items():
        setattr(message, name, value)
    return message


def media_with(**fields: Any) -> MediaMessage:
    message = MediaMessage("superhero2", b"file bytes", "file")
    for name, value in fields.items():
        setattr(message, name, value)
    return message


def interactive_with(**fields: Any) -> InteractiveMessage:
    message = InteractiveMessage("superhero2", "user", "form", {"title": "t"})
    for name, value in fields.items():
        setattr(message, name, value)
    return message


CASES: dict[str, Case] = {
    "login": Case(lambda c, v: c.client.login(v, "emulator-auth-key"), None),
    "get_user": Case(lambda c, v: c.client.get_user(v), None),
    "fetch_messages user": Case(lambda c, v: c.client.fetch_messages(v, "user"), None),
    "fetch_messages group": Case(lambda c, v: c.client.fetch_messages(v, "group"), None),
    "get_message": Case(lambda c, v: c.client.get_message(v), None),
    "delete_message": Case(lambda c, v: c.client.delete_message(v), None),
    "edit_message id": Case(lambda c, v: c.client.edit_message(message_with(id=v)), None),
    "send_message parent id": Case(
        lambda c, v: c.client.send_message(message_with(parent_id=v)), None
    ),
    "add_reaction message id": Case(lambda c, v: c.client.add_reaction(v, "x"), None),
    "add_reaction": Case(
        lambda c, v: c.client.add_reaction(c.message_id, v), "POST /messages/{id}/reactions/{}"
    ),
    "remove_reaction": Case(
        lambda c, v: c.client.remove_reaction(c.message_id, v),
        "DELETE /messages/{id}/reactions/{}",
    ),
    "get_group": Case(lambda c, v: c.client.get_group(v), None),
    "join_group": Case(lambda c, v: c.client.join_group(v), None),
    "leave_group": Case(lambda c, v: c.client.leave_group(v), None),
    "get_group_members": Case(lambda c, v: c.client.get_group_members(v), None),
    "add_members_to_group": Case(
        lambda c, v: c.client.add_members_to_group(v, participants=["superhero2"]), None
    ),
    "kick_group_member guid": Case(lambda c, v: c.client.kick_group_member(v, "x"), None),
    "kick_group_member uid": Case(lambda c, v: c.client.kick_group_member(c.guid, v), None),
    "ban_group_member guid": Case(lambda c, v: c.client.ban_group_member(v, "x"), None),
    "ban_group_member uid": Case(lambda c, v: c.client.ban_group_member(c.guid, v), None),
    "unban_group_member guid": Case(lambda c, v: c.client.unban_group_member(v, "x"), None),
    "unban_group_member uid": Case(lambda c, v: c.client.unban_group_member(c.guid, v), None),
    "update_group_member_scope guid": Case(
        lambda c, v: c.client.update_group_member_scope(v, "x", "admin"), None
    ),
    "update_group_member_scope uid": Case(
        lambda c, v: c.client.update_group_member_scope(c.guid, v, "admin"), None
    ),
    "pin_message": Case(lambda c, v: c.client.pin_message(v), None),
    "unpin_message": Case(lambda c, v: c.client.unpin_message(v), None),
    "save_message": Case(lambda c, v: c.client.save_message(v), None),
    "unsave_message": Case(lambda c, v: c.client.unsave_message(v), None),
    "delete_group": Case(lambda c, v: c.client.delete_group(v), None),
    "transfer_group_ownership guid": Case(
        lambda c, v: c.client.transfer_group_ownership(v, "x"), None
    ),
    "transfer_group_ownership uid": Case(
        lambda c, v: c.client.transfer_group_ownership(c.guid, v), None
    ),
    "call_extension slug": Case(lambda c, v: c.client.call_extension(v, "GET", "v1/x"), None),
    "accept_call": Case(lambda c, v: c.client.accept_call(v), None),
    "reject_call": Case(lambda c, v: c.client.reject_call(v), None),
    "flag_message": Case(lambda c, v: c.client.flag_message(v, "spam"), None),
    "mark_as_interacted": Case(lambda c, v: c.client.mark_as_interacted(v, "x"), None),
    "send_media_message parent id": Case(
        lambda c, v: c.client.send_media_message(media_with(parent_id=v)), None
    ),
    "send_interactive_message parent id": Case(
        lambda c, v: c.client.send_interactive_message(interactive_with(parent_id=v)), None
    ),
    "end_call": Case(lambda c, v: c.client.end_call(v), None),
    "get_conversation": Case(lambda c, v: c.client.get_conversation(v, "user"), None),
    "tag_conversation": Case(lambda c, v: c.client.tag_conversation(v, "group", ["t"]), None),
    "delete_conversation": Case(lambda c, v: c.client.delete_conversation(v, "user"), None),
    "get_unread_message_count_for_user": Case(
        lambda c, v: c.client.get_unread_message_count_for_user(v), None
    ),
    "get_unread_message_count_for_group": Case(
        lambda c, v: c.client.get_unread_message_count_for_group(v), None
    ),
    "mark_conversation_as_read": Case(
        lambda c, v: c.client.mark_conversation_as_read(v, "user"), None
    ),
    "mark_conversation_as_delivered": Case(
        lambda c, v: c.client.mark_conversation_as_delivered(v, "group"), None
    ),
    "mark_as_unread id": Case(lambda c, v: c.client.mark_as_unread(message_with(id=v)), None),
    "mark_as_unread sender": Case(
        lambda c, v: c.client.mark_as_unread(message_with(id=c.message_id, sender_uid=v)), None
    ),
    "get_message_receipts": Case(lambda c, v: c.client.get_message_receipts(v), None),
    "ReactionsRequestBuilder message id": Case(
        lambda c, v: ReactionsRequestBuilder(c.client).set_message_id(v).build().fetch_next(),
        None,
    ),
    "ReactionsRequestBuilder reaction": Case(
        lambda c, v: (
            ReactionsRequestBuilder(c.client)
            .set_message_id(c.message_id)
            .set_reaction(v)
            .build()
            .fetch_next()
        ),
        "GET /messages/{id}/reactions/{}",
    ),
    "MessagesRequestBuilder uid": Case(
        lambda c, v: MessagesRequestBuilder(c.client).set_uid(v).build().fetch_previous(), None
    ),
    "MessagesRequestBuilder guid": Case(
        lambda c, v: MessagesRequestBuilder(c.client).set_guid(v).build().fetch_previous(), None
    ),
    "GroupMembersRequestBuilder": Case(
        lambda c, v: GroupMembersRequestBuilder(c.client, v).build().fetch_next(), None
    ),
    "BannedMembersRequestBuilder": Case(
        lambda c, v: BannedMembersRequestBuilder(c.client, v).build().fetch_next(), None
    ),
}


@pytest.fixture
def request_lines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request line (method and raw target, as sent) the emulator receives."""
    lines: list[str] = []
    original = RestApp.handle

    def recording(self: RestApp, method: str, target: str, *args: Any) -> Any:
        lines.append(f"{method} {target}")
        return original(self, method, target, *args)

    monkeypatch.setattr(RestApp, "handle", recording)
    return lines


@pytest.fixture
def ctx(make_client: Callable[..., CometChatClient], emulator: Emulator) -> Iterator[Ctx]:
    client = make_client(auto=False)
    client.login("superhero1", emulator.auth_key)
    message = emulator.send_message("superhero2", "superhero1", "hello")
    yield Ctx(client, int(message["id"]), "group-1")


@pytest.mark.parametrize("value", PATH_BREAKERS)
@pytest.mark.parametrize("name", list(CASES))
def test_a_value_never_changes_the_endpoint(
    ctx: Ctx, request_lines: list[str], name: str, value: str
) -> None:
    case = CASES[name]
    if name == "login":
        ctx.client.logout()
    before = len(request_lines)
    error: Optional[CometChatException] = None
    try:
        case.call(ctx, value)
    except CometChatException as exc:
        error = exc
    sent = [line.split("?", 1)[0] for line in request_lines[before:]]

    if not sent:
        assert error is not None
        assert error.code == ErrorCode.INVALID_PARAMETER, error
        return
    assert case.intended is not None, f"{name} sent {sent} for {value!r}"
    intended = case.intended.replace("{id}", str(ctx.message_id)).format(quote(value, safe=""))
    assert sent == [intended]


def test_a_reaction_reaches_its_endpoint_encoded(ctx: Ctx, request_lines: list[str]) -> None:
    ctx.client.add_reaction(ctx.message_id, "a/b?c#d%")

    assert request_lines[-1] == f"POST /messages/{ctx.message_id}/reactions/a%2Fb%3Fc%23d%25"


def rest_mixins() -> list[type]:
    found: list[type] = []
    pending = list(ResourceAPI.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("cometchat_sync.rest."):
            found.append(cls)
            pending += cls.__subclasses__()
    return found


def test_every_public_call_with_a_path_parameter_is_covered() -> None:
    covered = {name.split(" ")[0] for name in CASES} | BODY_ONLY
    missing = []
    for cls in rest_mixins():
        for name, member in vars(cls).items():
            if name.startswith("_") or not callable(member):
                continue
            params = set(inspect.signature(member).parameters)
            if params & PATH_PARAMS and name not in covered:
                missing.append(f"{cls.__name__}.{name}")
    assert missing == []


# -- the source keeps to the one helper ------------------------------------------------------

PACKAGE = Path(cometchat_sync.__file__).parent
# Modules that build whole URLs or log lines, not resource paths.
NOT_PATHS = {"transport.py", "endpoints.py", "deadline.py", "discovery.py"}
# Calls whose result may enter a path: the helper, its message-id form, the validated int,
# and the two builders of conversation paths made of it.
SAFE_CALLS = {
    "path_segment",
    "message_id_segment",
    "message_id",
    "conversation_path",
    "conversation_resource",
    "extension_path",  # rest/app.py: an extension's endpoint, each segment through the helper
}
# Fixed words of a module ("members", "bannedusers", "users"/"groups"), never caller input.
FIXED_WORDS = {"part", "kind"}


def called_name(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return None


def unsafe_path_values(source: str) -> list[str]:
    """Values interpolated into path f-strings (literal text with a ``/``) that are neither a
    safe call nor a name assigned from one (anywhere in the module: a value may pass through
    a helper's returned tuple)."""
    tree = ast.parse(source)
    safe_names = set(FIXED_WORDS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and called_name(node.value) in SAFE_CALLS:
            safe_names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    problems: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        literal = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        if "/" not in literal:
            continue
        for part in node.values:
            if not isinstance(part, ast.FormattedValue):
                continue
            value = part.value
            if called_name(value) in SAFE_CALLS:
                continue
            if isinstance(value, ast.Name) and value.id in safe_names:
                continue
            problems.append(f"line {node.lineno}: {ast.unparse(value)}")
    return problems


def path_modules() -> list[Path]:
    rest = [p for p in (PACKAGE / "rest").glob("*.py") if p.name not in NOT_PATHS]
    return sorted(rest + list((PACKAGE / "builders").glob("*.py")))


@pytest.mark.parametrize("module", path_modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_path_is_built_with_the_one_helper(module: Path) -> None:
    assert unsafe_path_values(module.read_text(encoding="utf-8")) == []


def test_the_source_check_finds_a_raw_value() -> None:
    source = 'def f(self, reaction):\n    return f"messages/1/reactions/{reaction}"\n'

    assert unsafe_path_values(source) == ["line 2: reaction"]
