"""The emulator's data: plain records, the one :class:`Store` that holds them, and REST errors.

Every domain module (users, messages, groups, calls, realtime) works on the same ``Store`` and
changes it only while holding ``store.lock``: one re-entrant lock for all the data, so no domain
can deadlock against another. ``store.cond`` (on that lock) wakes whoever waits in
:meth:`Store.wait_until` after any change. :class:`ApiError` is the service's error answer, and
the constructors below it build the ones several domains raise (:func:`new_key` raises the
one for a uid or guid already taken).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable
from typing import Optional

from ._peer import Peer

__all__ = [
    "JSON",
    "ApiError",
    "AppRec",
    "CallRec",
    "ChatState",
    "GroupRec",
    "JwtRec",
    "MemberRec",
    "ReactionRec",
    "Store",
    "TokenRec",
    "UserRec",
    "bad_request",
    "guid_not_found",
    "membership_error",
    "message_not_found",
    "new_key",
    "no_access",
    "now_s",
    "uid_not_found",
]

JSON = dict[str, Any]


def now_s() -> int:
    """Epoch seconds, as the service stamps everything."""
    return int(time.time())


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A REST error answer: HTTP status, CometChat error code, message, optional details."""

    def __init__(
        self, status: int, code: str, message: str, details: Optional[JSON] = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def to_json(self) -> JSON:
        err: JSON = {
            "code": self.code,
            "message": self.message,
            "devMessage": self.message,
            "source": "chat-api",
        }
        if self.details is not None:
            err["details"] = self.details
        return {"error": err}


def bad_request(details: dict[str, list[str]], message: str = "") -> ApiError:
    """400 ``ERR_BAD_REQUEST`` with per-field messages."""
    return ApiError(
        400,
        "ERR_BAD_REQUEST",
        message or "Failed to validate the data sent with the request.",
        dict(details),
    )


def uid_not_found(uid: str) -> ApiError:
    return ApiError(
        404,
        "ERR_UID_NOT_FOUND",
        f"The UID {uid} does not exist, please make sure you have created a user with UID {uid}.",
    )


def guid_not_found(guid: str) -> ApiError:
    return ApiError(
        404,
        "ERR_GUID_NOT_FOUND",
        f"The GUID {guid} does not exist, please make sure you have created a group with "
        f"GUID {guid}.",
    )


def message_not_found(mid: str) -> ApiError:
    return ApiError(404, "ERR_MESSAGE_ID_NOT_FOUND", f"The message with id {mid} does not exist.")


def membership_error(status: int, code: str, uid: str, guid: str, relation: str) -> ApiError:
    """``The user with UID {uid} {relation} the group with GUID {guid}.``"""
    return ApiError(status, code, f"The user with UID {uid} {relation} the group with GUID {guid}.")


def no_access(what: str) -> ApiError:
    return ApiError(403, "AUTH_ERR_NO_ACCESS", f"You are not allowed to {what}.")


def new_key(table: Mapping[str, object], kind: str, id_: str) -> str:
    """The key of a new user (``kind`` ``UID``) or group (``GUID``) in ``table``: ``id_``
    lower-cased; 400 ``ERR_{kind}_ALREADY_EXISTS`` if it is taken."""
    key = id_.lower()
    if key in table:
        raise ApiError(400, f"ERR_{kind}_ALREADY_EXISTS", f"The {kind} {key} already exists.")
    return key


# --------------------------------------------------------------------------- records


@dataclass
class AppRec:
    """The app's identity and where it is served (ports are set on every ``start()``)."""

    app_id: str
    region: str
    auth_key: str
    public_host: str = "127.0.0.1"
    tls: bool = False
    http_port: int = 0
    ws_port: int = 0

    def api_host(self) -> str:
        """``host:port`` of the REST server, no scheme (``[::1]:port`` for IPv6)."""
        host = f"[{self.public_host}]" if ":" in self.public_host else self.public_host
        return f"{host}:{self.http_port}"


@dataclass
class UserRec:
    uid: str
    name: str
    avatar: Optional[str] = None
    link: Optional[str] = None
    role: str = "default"
    metadata: Optional[JSON] = None
    status_message: Optional[str] = None
    tags: list[str] = field(default_factory=list)
    created_at: int = 0
    last_active_at: Optional[int] = None


@dataclass
class TokenRec:
    uid: str
    created_at: int


@dataclass
class JwtRec:
    uid: str
    token: str
    exp: int


@dataclass
class MemberRec:
    scope: str
    joined_at: int


@dataclass
class GroupRec:
    guid: str
    name: str
    type: str
    owner: str
    created_at: int
    password: Optional[str] = None
    description: Optional[str] = None
    icon: Optional[str] = None
    metadata: Optional[JSON] = None
    tags: list[str] = field(default_factory=list)
    members: dict[str, MemberRec] = field(default_factory=dict)
    banned: dict[str, int] = field(default_factory=dict)


@dataclass
class ReactionRec:
    rid: int
    uid: str
    reaction: str
    reacted_at: int


@dataclass
class CallRec:
    sessionid: str
    initiator: str
    receiver: str
    receiver_type: str
    type: str
    status: str
    initiated_at: int
    joined_at: Optional[int] = None


@dataclass
class ChatState:
    """What each user did to their conversations, beside the messages themselves.

    Keys ``(uid, conversationId)``: ``read`` and ``delivered`` are the highest message id the
    user has read or received there; ``cleared`` the highest id of a conversation the user
    deleted (older messages stay hidden from them); ``tags`` the user's tags of it.
    ``receipts`` holds, per message id and recipient uid, ``[deliveredAt, readAt]``;
    ``blocked`` who each user has blocked.
    """

    read: dict[tuple[str, str], int] = field(default_factory=dict)
    delivered: dict[tuple[str, str], int] = field(default_factory=dict)
    cleared: dict[tuple[str, str], int] = field(default_factory=dict)
    tags: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    receipts: dict[int, dict[str, list[Optional[int]]]] = field(default_factory=dict)
    blocked: dict[str, set[str]] = field(default_factory=dict)


# --------------------------------------------------------------------------- the store


class Store:
    """Every record of one emulated app, the live sockets, and what was observed, under one lock.

    Keys are lower-case uids and guids. Messages are kept as their JSON (a list in id order plus
    an index by id); reactions are kept apart and merged into each view.
    """

    def __init__(self, app: AppRec) -> None:
        self.app = app
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)

        self.users: dict[str, UserRec] = {}
        self.tokens: dict[str, TokenRec] = {}
        self.jwts: dict[str, JwtRec] = {}
        self.messages: list[JSON] = []
        self.msg_by_id: dict[int, JSON] = {}
        self.reactions: dict[int, list[ReactionRec]] = {}
        self.groups: dict[str, GroupRec] = {}
        self.calls: dict[str, CallRec] = {}
        self.chat = ChatState()
        self.message_ids = itertools.count(1)
        self.reaction_ids = itertools.count(1)
        self.peer_ids = itertools.count(1)

        self.accepting = False  # False while stopped: no socket may register
        self.sockets: dict[str, list[Peer]] = {}
        self.auth_counts: dict[str, int] = {}
        self.frames: dict[str, list[JSON]] = {}  # received, per uid, for frames_from()
        self.rest_requests = 0  # counted on arrival, before any delay or injected failure

    # ----------------------------------------------------------------- waiting

    def changed(self) -> None:
        """Wake every :meth:`wait_until`; call with the lock held."""
        self.cond.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` is true (re-checked on each change); ``False`` on timeout."""
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    # ----------------------------------------------------------------- lookups (lock held)

    def user(self, uid: str) -> UserRec:
        rec = self.users.get(uid.lower())
        if rec is None:
            raise uid_not_found(uid)
        return rec

    def group(self, guid: str) -> GroupRec:
        g = self.groups.get(guid.lower())
        if g is None:
            raise guid_not_found(guid)
        return g

    def message(self, mid: str) -> JSON:
        try:
            key = int(mid)
        except ValueError:
            raise message_not_found(mid) from None
        msg = self.msg_by_id.get(key)
        if msg is None:
            raise message_not_found(mid)
        return msg

    def online(self, uid: str) -> bool:
        return bool(self.sockets.get(uid))

    def peers_of_users(self, uids: list[str], exclude: Optional[Peer] = None) -> list[Peer]:
        """Every open socket of ``uids`` (each once), except ``exclude``."""
        seen: dict[int, Peer] = {}
        for uid in uids:
            for p in self.sockets.get(uid, ()):
                if p is not exclude:
                    seen[p.pid] = p
        return list(seen.values())
