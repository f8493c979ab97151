"""All mutable state of the emulator, under one lock, and the service logic that works on it.

Every public method takes the lock, changes or reads the state, and returns plain JSON-ready
data (deep copies) plus an *outbox*: the WebSocket frames to send, already serialised, with the
sessions to send them to. Callers deliver the outbox with :func:`deliver` **after** the lock is
released, so a slow or dead socket never blocks the whole emulator.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol, Union

from ._jwt import make_jwt

__all__ = [
    "DEFAULT_USERS",
    "ApiError",
    "Conn",
    "Outbox",
    "Session",
    "State",
    "deliver",
]

JSON = dict[str, Any]

AUTH_OK_FRAME = json.dumps({"type": "auth", "body": {"code": "200", "status": "OK"}})
PONG_FRAME = json.dumps({"action": "pong"})

_AVATAR_BASE = "https://data-us.cometchat.io/assets/images/avatars/"
DEFAULT_USERS: tuple[tuple[str, str, str], ...] = (
    ("superhero1", "Iron Man", _AVATAR_BASE + "ironman.png"),
    ("superhero2", "Captain America", _AVATAR_BASE + "captainamerica.png"),
    ("superhero3", "Spiderman", _AVATAR_BASE + "spiderman.png"),
    ("superhero4", "Wolverine", _AVATAR_BASE + "wolverine.png"),
    ("superhero5", "Cyclops", _AVATAR_BASE + "cyclops.png"),
)

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_MESSAGE_TYPES = ("text", "image", "video", "audio", "file")
_GROUP_TYPES = ("public", "private", "password")
_SCOPES = ("admin", "moderator", "participant")
_SCOPE_RANK = {"participant": 0, "moderator": 1, "admin": 2}
_CALL_TYPES = ("audio", "video")
_CALL_STATUSES = ("ongoing", "rejected", "cancelled", "ended", "busy", "unanswered")
_CALL_FINAL = ("rejected", "cancelled", "ended", "busy", "unanswered")
_RELAYED_TYPES = ("typing_indicator", "receipts", "transient_message")
_FRAMES_KEPT = 10_000  # per user, for frames_from()


def now_s() -> int:
    """Epoch seconds, as the service stamps everything."""
    return int(time.time())


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


def no_access(what: str) -> ApiError:
    return ApiError(403, "AUTH_ERR_NO_ACCESS", f"You are not allowed to {what}.")


class Conn(Protocol):
    """What the state needs from a WebSocket connection (a websockets ServerConnection)."""

    def send(self, message: Union[str, bytes]) -> None: ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...


class Session:
    """One authenticated WebSocket of one user."""

    def __init__(
        self,
        sid: int,
        uid: str,
        *,
        resource: Optional[str],
        subscription: Optional[str],
        roles: list[str],
        conn: Conn,
    ) -> None:
        self.sid = sid
        self.uid = uid
        self.resource = resource
        self.subscription = subscription
        self.roles = roles
        self.conn = conn
        # Serialises sends on this socket; held by the handler while it registers the session
        # and answers the auth frame, so no event can overtake the auth reply.
        self.send_lock = threading.Lock()
        self.closed = False

    def send(self, data: Union[str, bytes]) -> bool:
        """Send one frame; ``False`` (and no exception) if the socket is closed or broken."""
        with self.send_lock:
            if self.closed:
                return False
            try:
                self.conn.send(data)
            except Exception:  # ConnectionClosed, OSError, RuntimeError: the socket is gone
                return False
            return True


Outbox = list[tuple[list[Session], Union[str, bytes]]]


def deliver(outbox: Outbox) -> None:
    """Send every frame of ``outbox``; never call this while holding the state lock."""
    for sessions, data in outbox:
        for session in sessions:
            session.send(data)


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
class TokenRec:
    uid: str
    created_at: int


@dataclass
class JwtRec:
    uid: str
    token: str
    exp: int


@dataclass
class AuthInfo:
    """A validated ``auth`` frame."""

    uid: str
    resource: Optional[str]
    subscription: Optional[str]
    roles: list[str]


# --------------------------------------------------------------------------- helpers


def _opt_str(body: JSON, key: str, errors: dict[str, list[str]]) -> Optional[str]:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.setdefault(key, []).append(f"The {key} must be a string.")
        return None
    return value


def _opt_obj(body: JSON, key: str, errors: dict[str, list[str]]) -> Optional[JSON]:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.setdefault(key, []).append(f"The {key} must be an object.")
        return None
    return value


def _opt_str_list(body: JSON, key: str, errors: dict[str, list[str]]) -> Optional[list[str]]:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(key, []).append(f"The {key} must be an array of strings.")
        return None
    return list(value)


def _truthy(value: Optional[str]) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes")


def _int_param(query: dict[str, str], key: str, default: int, lo: int, hi: int) -> int:
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request({key: [f"The {key} must be an integer."]}) from None
    return max(lo, min(hi, value))


def _csv(query: dict[str, str], key: str) -> Optional[set[str]]:
    raw = query.get(key)
    if not raw:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def conversation_id(receiver_type: str, a: str, b: str) -> str:
    """``{uidA}_user_{uidB}`` (sorted) for 1:1, ``group_{guid}`` for groups (``b`` = guid)."""
    if receiver_type == "group":
        return f"group_{b}"
    lo, hi = sorted((a, b))
    return f"{lo}_user_{hi}"


def _paginate(items: list[JSON], query: dict[str, str], default: int) -> tuple[list[JSON], JSON]:
    per_page = _int_param(query, "per_page", default, 1, 1000)
    page = _int_param(query, "page", 1, 1, 1_000_000)
    total = len(items)
    chunk = items[(page - 1) * per_page : page * per_page]
    meta = {
        "pagination": {
            "total": total,
            "count": len(chunk),
            "per_page": per_page,
            "current_page": page,
            "total_pages": max(1, -(-total // per_page)),
        }
    }
    return chunk, meta


# --------------------------------------------------------------------------- the state


class State:
    """Users, tokens, JWTs, messages, groups, calls and live sockets, under one lock."""

    def __init__(self, app_id: str, region: str, auth_key: str) -> None:
        self.app_id = app_id
        self.region = region
        self.auth_key = auth_key
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)

        # Network facts, set by the Emulator on start().
        self.public_host = "127.0.0.1"
        self.http_port = 0
        self.ws_port = 0
        self.tls = False
        self.accepting = False  # False while stopped: no socket may register

        # Hooks.
        self.reject_auth = False
        self.drop_pongs = False
        self.request_delay = 0.0
        self.fail_queue: list[ApiError] = []
        self.advertised: Optional[tuple[str, int]] = None
        self.mode = "DEFAULT"
        self.rest_requests = 0  # REST requests received so far (counted before any delay)

        # Data.
        self.users: dict[str, UserRec] = {}
        self.tokens: dict[str, TokenRec] = {}
        self.jwts: dict[str, JwtRec] = {}
        self.messages: list[JSON] = []
        self.msg_by_id: dict[int, JSON] = {}
        self.reactions: dict[int, list[ReactionRec]] = {}
        self.groups: dict[str, GroupRec] = {}
        self.calls: dict[str, CallRec] = {}
        self._next_msg_id = 1
        self._next_reaction_id = 1
        self._next_sid = 1

        # Sockets.
        self.sockets: dict[str, list[Session]] = {}
        self.auth_counts: dict[str, int] = {}
        self.frames: dict[str, list[JSON]] = {}

        created = now_s()
        for uid, name, avatar in DEFAULT_USERS:
            self.users[uid] = UserRec(uid=uid, name=name, avatar=avatar, created_at=created)

    # ----------------------------------------------------------------- waiting

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait (on the state condition) until ``predicate()`` is true; ``False`` on timeout."""
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def _changed(self) -> None:
        self.cond.notify_all()

    # ----------------------------------------------------------------- rendering

    def _online(self, uid: str) -> bool:
        return bool(self.sockets.get(uid))

    def user_json(self, rec: UserRec, status: Optional[str] = None) -> JSON:
        out: JSON = {"uid": rec.uid, "name": rec.name}
        if rec.avatar:
            out["avatar"] = rec.avatar
        if rec.link:
            out["link"] = rec.link
        out["role"] = rec.role
        if rec.metadata is not None:
            out["metadata"] = copy.deepcopy(rec.metadata)
        out["status"] = status or ("online" if self._online(rec.uid) else "offline")
        if rec.status_message:
            out["statusMessage"] = rec.status_message
        if rec.last_active_at is not None:
            out["lastActiveAt"] = rec.last_active_at
        out["createdAt"] = rec.created_at
        if rec.tags:
            out["tags"] = list(rec.tags)
        return out

    def group_json(self, g: GroupRec, viewer: Optional[str] = None) -> JSON:
        out: JSON = {"guid": g.guid, "name": g.name, "type": g.type}
        if g.description is not None:
            out["description"] = g.description
        if g.icon is not None:
            out["icon"] = g.icon
        out["owner"] = g.owner
        out["membersCount"] = len(g.members)
        out["createdAt"] = g.created_at
        if g.metadata is not None:
            out["metadata"] = copy.deepcopy(g.metadata)
        if g.tags:
            out["tags"] = list(g.tags)
        if viewer is not None:
            member = g.members.get(viewer)
            out["hasJoined"] = member is not None
            if member is not None:
                out["scope"] = member.scope
                out["joinedAt"] = member.joined_at
        return out

    def member_json(self, g: GroupRec, uid: str) -> JSON:
        out = self.user_json(self.users[uid])
        member = g.members[uid]
        out["scope"] = member.scope
        out["joinedAt"] = member.joined_at
        return out

    def _frame(
        self,
        kind: str,
        *,
        sender: str,
        receiver: Optional[str],
        receiver_type: Optional[str],
        device_id: Optional[str],
        body: JSON,
    ) -> str:
        frame: JSON = {"appId": self.app_id}
        if receiver is not None:
            frame["receiver"] = receiver
        if receiver_type is not None:
            frame["receiverType"] = receiver_type
        if device_id is not None:
            frame["deviceId"] = device_id
        frame["type"] = kind
        frame["sender"] = sender
        frame["body"] = body
        return json.dumps(frame)

    # ----------------------------------------------------------------- lookups

    def _user(self, uid: str) -> UserRec:
        rec = self.users.get(uid.lower())
        if rec is None:
            raise uid_not_found(uid)
        return rec

    def _group(self, guid: str) -> GroupRec:
        g = self.groups.get(guid.lower())
        if g is None:
            raise guid_not_found(guid)
        return g

    def _message(self, mid: str) -> JSON:
        try:
            key = int(mid)
        except ValueError:
            raise message_not_found(mid) from None
        msg = self.msg_by_id.get(key)
        if msg is None:
            raise message_not_found(mid)
        return msg

    def _sessions_of(self, uids: list[str], exclude: Optional[Session] = None) -> list[Session]:
        seen: dict[int, Session] = {}
        for uid in uids:
            for s in self.sockets.get(uid, ()):
                if s is not exclude:
                    seen[s.sid] = s
        return list(seen.values())

    def _participants(self, msg: JSON) -> list[str]:
        """Who sees a message: both sides of a 1:1, every member of a group."""
        if msg["receiverType"] == "group":
            g = self.groups.get(msg["receiver"])
            return list(g.members) if g is not None else []
        return [msg["sender"], msg["receiver"]]

    def _can_see(self, uid: str, msg: JSON) -> bool:
        if msg["receiverType"] == "group":
            g = self.groups.get(msg["receiver"])
            return g is not None and uid in g.members
        return uid in (msg["sender"], msg["receiver"])

    # ----------------------------------------------------------------- settings, auth

    def _api_host(self) -> str:
        host = f"[{self.public_host}]" if ":" in self.public_host else self.public_host
        return f"{host}:{self.http_port}"

    def settings(self) -> JSON:
        with self.lock:
            host, port = self.advertised or (self.public_host, self.ws_port)
            return {
                "CHAT_HOST": host,
                "CHAT_WSS_PORT": str(port),
                "CHAT_WS_PORT": str(port),
                "CHAT_USE_SSL": self.tls,
                "CLIENT_API_HOST": self._api_host(),
                "ADMIN_API_HOST": self._api_host(),
                "CHAT_API_VERSION": "v3.0",
                "WS_API_VERSION": "v1",
                "REGION": self.region,
                "MODE": self.mode,
                "APP_VERSION": 4,
                "ANALYTICS_PING_DISABLED": True,
                "POLLING_ENABLED": False,
                "extensions": [],
            }

    def uid_for_token(self, token: str) -> Optional[str]:
        with self.lock:
            rec = self.tokens.get(token)
            return rec.uid if rec is not None else None

    def create_auth_token(self, uid: str) -> JSON:
        with self.lock:
            user = self._user(uid)
            created = now_s()
            token = f"{user.uid}_{created:010d}{secrets.token_hex(15)}"
            self.tokens[token] = TokenRec(uid=user.uid, created_at=created)
            return {"uid": user.uid, "authToken": token, "createdAt": created}

    def latest_token(self, uid: str) -> Optional[str]:
        with self.lock:
            found = [t for t, rec in self.tokens.items() if rec.uid == uid.lower()]
            return found[-1] if found else None

    def _issue_jwt(self, token: str, uid: str) -> str:
        jwt, exp = make_jwt(uid, self.app_id, self.region, self._api_host(), now_s())
        self.jwts[jwt] = JwtRec(uid=uid, token=token, exp=exp)
        return jwt

    def me(self, token: str) -> JSON:
        """The login answer: user + authToken + a fresh jwt + settings."""
        with self.lock:
            rec = self.tokens[token]
            out = self.user_json(self.users[rec.uid])
            out["authToken"] = token
            out["jwt"] = self._issue_jwt(token, rec.uid)
            out["settings"] = self.settings()
            return out

    def new_jwt(self, token: str) -> JSON:
        with self.lock:
            return {"jwt": self._issue_jwt(token, self.tokens[token].uid)}

    def logout(self, token: str) -> None:
        """Revoke the token and every JWT issued for it (live sockets stay open)."""
        with self.lock:
            self.tokens.pop(token, None)
            for jwt in [j for j, rec in self.jwts.items() if rec.token == token]:
                del self.jwts[jwt]

    # ----------------------------------------------------------------- users

    def create_user(self, body: JSON, *, with_token: bool = False) -> JSON:
        errors: dict[str, list[str]] = {}
        uid = _opt_str(body, "uid", errors)
        name = _opt_str(body, "name", errors)
        avatar = _opt_str(body, "avatar", errors)
        link = _opt_str(body, "link", errors)
        role = _opt_str(body, "role", errors)
        metadata = _opt_obj(body, "metadata", errors)
        tags = _opt_str_list(body, "tags", errors)
        if not uid and "uid" not in errors:
            errors["uid"] = ["The uid field is required."]
        elif uid and not _ID_RE.match(uid):
            errors["uid"] = [
                "The uid may only contain letters, numbers, dashes and underscores "
                "(at most 100 characters)."
            ]
        if not name and "name" not in errors:
            errors["name"] = ["The name field is required."]
        if errors:
            raise bad_request(errors)
        assert uid is not None and name is not None
        with self.lock:
            key = uid.lower()
            if key in self.users:
                raise ApiError(400, "ERR_UID_ALREADY_EXISTS", f"The UID {key} already exists.")
            rec = UserRec(
                uid=key,
                name=name,
                avatar=avatar,
                link=link,
                role=role or "default",
                metadata=copy.deepcopy(metadata),
                tags=tags or [],
                created_at=now_s(),
            )
            self.users[key] = rec
            out = self.user_json(rec)
            if with_token or body.get("withAuthToken") is True:
                out["authToken"] = self.create_auth_token(key)["authToken"]
            return out

    def update_user(self, uid: str, body: JSON) -> JSON:
        errors: dict[str, list[str]] = {}
        name = _opt_str(body, "name", errors)
        avatar = _opt_str(body, "avatar", errors)
        link = _opt_str(body, "link", errors)
        role = _opt_str(body, "role", errors)
        status_message = _opt_str(body, "statusMessage", errors)
        metadata = _opt_obj(body, "metadata", errors)
        tags = _opt_str_list(body, "tags", errors)
        if errors:
            raise bad_request(errors)
        with self.lock:
            rec = self._user(uid)
            if name:
                rec.name = name
            if avatar is not None:
                rec.avatar = avatar
            if link is not None:
                rec.link = link
            if role:
                rec.role = role
            if status_message is not None:
                rec.status_message = status_message
            if metadata is not None:
                rec.metadata = copy.deepcopy(metadata)
            if tags is not None:
                rec.tags = tags
            return self.user_json(rec)

    def get_user(self, uid: str) -> JSON:
        with self.lock:
            return self.user_json(self._user(uid))

    def list_users(self, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        with self.lock:
            recs = list(self.users.values())
            status = query.get("status")
            search = (query.get("searchKey") or "").lower()
            items = [
                self.user_json(r)
                for r in recs
                if (not search or search in r.uid or search in r.name.lower())
            ]
            if status in ("online", "offline"):
                items = [u for u in items if u["status"] == status]
            return _paginate(items, query, 100)

    # ----------------------------------------------------------------- messages

    def _store(self, msg: JSON) -> None:
        self.messages.append(msg)
        self.msg_by_id[int(msg["id"])] = msg
        self._changed()

    def _new_message(
        self,
        sender: str,
        receiver: str,
        receiver_type: str,
        *,
        category: str,
        type_: str,
        data: JSON,
    ) -> JSON:
        mid = self._next_msg_id
        self._next_msg_id += 1
        t = now_s()
        return {
            "id": str(mid),
            "conversationId": conversation_id(receiver_type, sender, receiver),
            "sender": sender,
            "receiver": receiver,
            "receiverType": receiver_type,
            "category": category,
            "type": type_,
            "data": data,
            "sentAt": t,
            "updatedAt": t,
        }

    def _entity_of_receiver(self, receiver: str, receiver_type: str) -> JSON:
        if receiver_type == "group":
            return {"entity": self.group_json(self.groups[receiver]), "entityType": "group"}
        return {"entity": self.user_json(self.users[receiver]), "entityType": "user"}

    def _fanout_message(
        self, msg: JSON, device_id: Optional[str], extra_uids: tuple[str, ...] = ()
    ) -> Outbox:
        uids = [*self._participants(msg), *extra_uids]
        text = self._frame(
            "message",
            sender=msg["sender"],
            receiver=msg["receiver"],
            receiver_type=msg["receiverType"],
            device_id=device_id,
            body=msg,
        )
        return [(self._sessions_of(uids), text)]

    def _resolve_receiver(self, sender: str, body: JSON) -> tuple[str, str]:
        receiver = body.get("receiver")
        if receiver is None or (isinstance(receiver, str) and not receiver.strip()):
            raise ApiError(400, "ERR_EMPTY_RECEIVER", "The receiver field is empty.")
        if not isinstance(receiver, str):
            raise bad_request({"receiver": ["The receiver must be a string."]})
        receiver_type = body.get("receiverType", "user")
        if receiver_type not in ("user", "group"):
            raise ApiError(
                400,
                "ERR_INVALID_RECEIVER_TYPE",
                "The receiverType must be either user or group.",
            )
        if receiver_type == "user":
            return self._user(receiver).uid, "user"
        g = self._group(receiver)
        if sender not in g.members:
            raise ApiError(
                403,
                "ERR_NOT_A_MEMBER",
                f"The user with UID {sender} is not a member of the group with GUID {g.guid}.",
            )
        return g.guid, "group"

    def send_message(
        self,
        sender: str,
        device_id: Optional[str],
        body: JSON,
        parent_id: Optional[str] = None,
    ) -> tuple[JSON, Outbox]:
        """``POST messages`` (and ``POST messages/{id}/thread``)."""
        with self.lock:
            sender_rec = self._user(sender)
            receiver, receiver_type = self._resolve_receiver(sender_rec.uid, body)
            category = body.get("category", "message")
            type_ = body.get("type", "text")
            if category not in ("message", "custom"):
                raise ApiError(
                    400,
                    "ERR_INVALID_MESSAGE_CATEGORY",
                    "The category must be either message or custom.",
                )
            if not isinstance(type_, str) or not type_:
                raise ApiError(400, "ERR_INVALID_MESSAGE_TYPE", "The message type is invalid.")
            if category == "message" and type_ not in _MESSAGE_TYPES:
                raise ApiError(
                    400,
                    "ERR_INVALID_MESSAGE_TYPE",
                    f"The type must be one of {', '.join(_MESSAGE_TYPES)}.",
                )
            raw_data = body.get("data", {})
            if raw_data is None:
                raw_data = {}
            if not isinstance(raw_data, dict):
                raise bad_request({"data": ["The data must be an object."]})
            data: JSON = {k: copy.deepcopy(v) for k, v in raw_data.items() if k != "entities"}
            if category == "message" and type_ == "text":
                text = data.get("text", body.get("text"))
                if text is not None and not isinstance(text, str):
                    raise bad_request({"text": ["The text must be a string."]})
                if not text:
                    raise ApiError(400, "ERR_EMPTY_MESSAGE_TEXT", "The message text is empty.")
                data["text"] = text
            parent: Optional[JSON] = None
            if parent_id is not None:
                parent = self._message(parent_id)
                if not self._can_see(sender_rec.uid, parent):
                    raise ApiError(403, "ERR_MESSAGE_NO_ACCESS", "You cannot access this message.")
            data["entities"] = {
                "sender": {"entity": self.user_json(sender_rec), "entityType": "user"},
                "receiver": self._entity_of_receiver(receiver, receiver_type),
            }
            msg = self._new_message(
                sender_rec.uid, receiver, receiver_type, category=category, type_=type_, data=data
            )
            muid = body.get("muid")
            if isinstance(muid, str) and muid:
                msg["muid"] = muid
            tags = body.get("tags")
            if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
                msg["tags"] = list(tags)
            if parent is not None:
                msg["parentId"] = parent["id"]
                parent["replyCount"] = int(parent.get("replyCount", 0)) + 1
            self._store(msg)
            return copy.deepcopy(msg), self._fanout_message(msg, device_id)

    def _view(self, msg: JSON, viewer: str) -> JSON:
        out = copy.deepcopy(msg)
        recs = self.reactions.get(int(msg["id"]))
        if recs:
            counts: dict[str, list[int]] = {}
            for r in recs:
                entry = counts.setdefault(r.reaction, [0, 0])
                entry[0] += 1
                if r.uid == viewer:
                    entry[1] = 1
            out["reactions"] = [
                {"reaction": k, "count": v[0], "reactedByMe": bool(v[1])} for k, v in counts.items()
            ]
        return out

    def history(
        self, caller: str, kind: str, target: Optional[str], query: dict[str, str]
    ) -> tuple[list[JSON], JSON]:
        """``GET users/{uid}/messages``, ``GET groups/{guid}/messages``, ``GET messages``."""
        with self.lock:
            if kind == "user":
                assert target is not None
                other = self._user(target).uid
                conv = conversation_id("user", caller, other)

                def visible(m: JSON) -> bool:
                    return bool(m["receiverType"] == "user" and m["conversationId"] == conv)

            elif kind == "group":
                assert target is not None
                g = self._group(target)
                if caller not in g.members:
                    raise ApiError(
                        403,
                        "ERR_GROUP_NOT_JOINED",
                        f"The user with UID {caller} has not joined the group with GUID {g.guid}.",
                    )
                conv = conversation_id("group", caller, g.guid)

                def visible(m: JSON) -> bool:
                    return bool(m["conversationId"] == conv)

            else:

                def visible(m: JSON) -> bool:
                    return self._can_see(caller, m)

            per_page = _int_param(query, "per_page", 30, 1, 100)
            categories = _csv(query, "categories")
            types = _csv(query, "types")
            hide_deleted = _truthy(query.get("hideDeleted"))
            hide_replies = _truthy(query.get("hideReplies"))
            items = [
                m
                for m in self.messages
                if visible(m)
                and (categories is None or m["category"] in categories)
                and (types is None or m["type"] in types)
                and not (hide_deleted and "deletedAt" in m)
                and not (hide_replies and "parentId" in m)
            ]
            raw_id = query.get("id")
            affix = query.get("affix", "prepend")
            if raw_id:
                try:
                    pivot = int(raw_id)
                except ValueError:
                    raise bad_request({"id": ["The id must be an integer."]}) from None
                if affix == "append":
                    chunk = [m for m in items if int(m["id"]) > pivot][:per_page]
                else:
                    chunk = [m for m in items if int(m["id"]) < pivot][-per_page:]
            else:
                chunk = items[-per_page:]
            meta: JSON = {"current": {"limit": per_page, "count": len(chunk)}}
            if chunk:
                meta["previous"] = {"id": chunk[0]["id"], "affix": "prepend"}
                meta["next"] = {"id": chunk[-1]["id"], "affix": "append"}
            return [self._view(m, caller) for m in chunk], meta

    def get_message(self, caller: str, mid: str) -> JSON:
        with self.lock:
            msg = self._message(mid)
            if not self._can_see(caller, msg):
                raise ApiError(403, "ERR_MESSAGE_NO_ACCESS", "You cannot access this message.")
            return self._view(msg, caller)

    def _message_action(
        self, caller: str, device_id: Optional[str], msg: JSON, action: str
    ) -> Outbox:
        """Create, store and fan out the ``edited``/``deleted`` action for ``msg``."""
        data: JSON = {
            "action": action,
            "entities": {
                "by": {"entity": self.user_json(self.users[caller]), "entityType": "user"},
                "on": {"entity": copy.deepcopy(msg), "entityType": "message"},
                "for": self._entity_of_receiver(msg["receiver"], msg["receiverType"]),
            },
        }
        act = self._new_message(
            caller,
            msg["receiver"],
            msg["receiverType"],
            category="action",
            type_="message",
            data=data,
        )
        act["conversationId"] = msg["conversationId"]
        self._store(act)
        return self._fanout_message(act, device_id, extra_uids=(msg["sender"],))

    def edit_message(
        self, caller: str, device_id: Optional[str], mid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        with self.lock:
            msg = self._message(mid)
            if not self._can_see(caller, msg):
                raise ApiError(403, "ERR_MESSAGE_NO_ACCESS", "You cannot access this message.")
            if msg["sender"] != caller or msg["category"] not in ("message", "custom"):
                raise ApiError(
                    403,
                    "ERR_MESSAGE_NOT_A_SENDER",
                    f"The user with UID {caller} is not the sender of the message {mid}.",
                )
            if "deletedAt" in msg:
                raise bad_request({"id": [f"The message {mid} has been deleted."]})
            new_data = body.get("data")
            if new_data is not None and not isinstance(new_data, dict):
                raise bad_request({"data": ["The data must be an object."]})
            new_data = new_data or {}
            text = new_data.get("text", body.get("text"))
            metadata = new_data.get("metadata", body.get("metadata"))
            custom = new_data.get("customData", body.get("customData"))
            if text is not None:
                if not isinstance(text, str):
                    raise bad_request({"text": ["The text must be a string."]})
                if msg["type"] == "text" and not text:
                    raise ApiError(400, "ERR_EMPTY_MESSAGE_TEXT", "The message text is empty.")
                msg["data"]["text"] = text
            if metadata is not None:
                if not isinstance(metadata, dict):
                    raise bad_request({"metadata": ["The metadata must be an object."]})
                msg["data"]["metadata"] = copy.deepcopy(metadata)
            if custom is not None:
                msg["data"]["customData"] = copy.deepcopy(custom)
            tags = body.get("tags")
            if isinstance(tags, list) and all(isinstance(t, str) for t in tags):
                msg["tags"] = list(tags)
            t = now_s()
            msg["editedAt"] = t
            msg["editedBy"] = caller
            msg["updatedAt"] = t
            outbox = self._message_action(caller, device_id, msg, "edited")
            self._changed()
            return self._view(msg, caller), outbox

    def delete_message(
        self, caller: str, device_id: Optional[str], mid: str
    ) -> tuple[JSON, Outbox]:
        with self.lock:
            msg = self._message(mid)
            if not self._can_see(caller, msg):
                raise ApiError(403, "ERR_MESSAGE_NO_ACCESS", "You cannot access this message.")
            allowed = msg["sender"] == caller
            if not allowed and msg["receiverType"] == "group":
                g = self.groups[msg["receiver"]]
                m = g.members.get(caller)
                allowed = g.owner == caller or (m is not None and m.scope != "participant")
            if not allowed:
                raise ApiError(
                    403,
                    "ERR_MESSAGE_NOT_A_SENDER",
                    f"The user with UID {caller} is not the sender of the message {mid}.",
                )
            if "deletedAt" in msg:
                raise bad_request({"id": [f"The message {mid} has already been deleted."]})
            t = now_s()
            msg["deletedAt"] = t
            msg["deletedBy"] = caller
            msg["updatedAt"] = t
            outbox = self._message_action(caller, device_id, msg, "deleted")
            return self._view(msg, caller), outbox

    def react(
        self, caller: str, device_id: Optional[str], mid: str, reaction: str, add: bool
    ) -> tuple[JSON, Outbox]:
        if not reaction:
            raise bad_request({"reaction": ["The reaction is required."]})
        with self.lock:
            msg = self._message(mid)
            if not self._can_see(caller, msg):
                raise ApiError(403, "ERR_MESSAGE_NO_ACCESS", "You cannot access this message.")
            key = int(msg["id"])
            recs = self.reactions.setdefault(key, [])
            existing = next((r for r in recs if r.uid == caller and r.reaction == reaction), None)
            if add and existing is None:
                rec = ReactionRec(self._next_reaction_id, caller, reaction, now_s())
                self._next_reaction_id += 1
                recs.append(rec)
                event = "message_reaction_added"
            elif not add and existing is not None:
                recs.remove(existing)
                rec = ReactionRec(existing.rid, caller, reaction, now_s())
                event = "message_reaction_removed"
            else:
                return self._view(msg, caller), []  # nothing changed: no event
            body: JSON = {
                "action": event,
                "id": str(rec.rid),
                "messageId": msg["id"],
                "uid": caller,
                "reaction": reaction,
                "reactedBy": self.user_json(self.users[caller]),
                "reactedAt": rec.reacted_at,
                "conversationId": msg["conversationId"],
            }
            if "parentId" in msg:
                body["parentId"] = msg["parentId"]
            text = self._frame(
                "reaction",
                sender=caller,
                receiver=msg["receiver"],
                receiver_type=msg["receiverType"],
                device_id=device_id,
                body=body,
            )
            self._changed()
            return self._view(msg, caller), [(self._sessions_of(self._participants(msg)), text)]

    # ----------------------------------------------------------------- groups

    def _member_action(
        self,
        g: GroupRec,
        *,
        by: str,
        on: str,
        action: str,
        device_id: Optional[str],
        extras: Optional[JSON] = None,
        affected: tuple[str, ...] = (),
    ) -> Outbox:
        data: JSON = {
            "action": action,
            "entities": {
                "by": {"entity": self.user_json(self.users[by]), "entityType": "user"},
                "on": {"entity": self.user_json(self.users[on]), "entityType": "user"},
                "for": {"entity": self.group_json(g), "entityType": "group"},
            },
        }
        if extras is not None:
            data["extras"] = extras
        act = self._new_message(
            by, g.guid, "group", category="action", type_="groupMember", data=data
        )
        self._store(act)
        return self._fanout_message(act, device_id, extra_uids=affected)

    def _scope_of(self, g: GroupRec, uid: str) -> int:
        if g.owner == uid:
            return 3
        m = g.members.get(uid)
        return _SCOPE_RANK[m.scope] if m is not None else -1

    def _require_scope(self, g: GroupRec, caller: str, minimum: str, what: str) -> None:
        if self._scope_of(g, caller) < _SCOPE_RANK[minimum]:
            raise no_access(f"{what} in the group {g.guid}")

    def create_group(self, caller: str, body: JSON) -> JSON:
        errors: dict[str, list[str]] = {}
        guid = _opt_str(body, "guid", errors)
        name = _opt_str(body, "name", errors)
        type_ = _opt_str(body, "type", errors) or "public"
        password = _opt_str(body, "password", errors)
        description = _opt_str(body, "description", errors)
        icon = _opt_str(body, "icon", errors)
        metadata = _opt_obj(body, "metadata", errors)
        tags = _opt_str_list(body, "tags", errors)
        if not guid and "guid" not in errors:
            errors["guid"] = ["The guid field is required."]
        elif guid and not _ID_RE.match(guid):
            errors["guid"] = [
                "The guid may only contain letters, numbers, dashes and underscores "
                "(at most 100 characters)."
            ]
        if not name and "name" not in errors:
            errors["name"] = ["The name field is required."]
        if type_ not in _GROUP_TYPES:
            errors["type"] = ["The type must be one of public, private, password."]
        elif type_ == "password" and not password:
            errors["password"] = ["The password field is required when type is password."]
        if errors:
            raise bad_request(errors)
        assert guid is not None and name is not None
        with self.lock:
            key = guid.lower()
            if key in self.groups:
                raise ApiError(400, "ERR_GUID_ALREADY_EXISTS", f"The GUID {key} already exists.")
            t = now_s()
            g = GroupRec(
                guid=key,
                name=name,
                type=type_,
                owner=caller,
                created_at=t,
                password=password if type_ == "password" else None,
                description=description,
                icon=icon,
                metadata=copy.deepcopy(metadata),
                tags=tags or [],
            )
            g.members[caller] = MemberRec("admin", t)
            self.groups[key] = g
            return self.group_json(g, caller)

    def list_groups(self, caller: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        with self.lock:
            joined_only = _truthy(query.get("hasJoined"))
            items = [
                self.group_json(g, caller)
                for g in self.groups.values()
                if (g.type != "private" or caller in g.members)
                and (not joined_only or caller in g.members)
            ]
            return _paginate(items, query, 100)

    def get_group(self, caller: str, guid: str) -> JSON:
        with self.lock:
            return self.group_json(self._group(guid), caller)

    def join_group(
        self, caller: str, device_id: Optional[str], guid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        with self.lock:
            g = self._group(guid)
            if caller in g.members:
                raise ApiError(
                    400,
                    "ERR_ALREADY_JOINED",
                    f"The user with UID {caller} has already joined the group with GUID {g.guid}.",
                )
            if caller in g.banned:
                raise ApiError(
                    403,
                    "ERR_BANNED_GROUPMEMBER",
                    f"The user with UID {caller} is banned from the group with GUID {g.guid}.",
                )
            if g.type == "private":
                raise ApiError(
                    403,
                    "ERR_GROUP_JOIN_NOT_ALLOWED",
                    f"The group with GUID {g.guid} is private; members must be added.",
                )
            if g.type == "password":
                password = body.get("password")
                if not password:
                    raise ApiError(
                        400,
                        "ERR_EMPTY_GROUP_PASS",
                        f"The password is required to join the group with GUID {g.guid}.",
                    )
                if password != g.password:
                    raise ApiError(
                        403,
                        "ERR_WRONG_GROUP_PASS",
                        f"The password for the group with GUID {g.guid} is incorrect.",
                    )
            g.members[caller] = MemberRec("participant", now_s())
            outbox = self._member_action(
                g,
                by=caller,
                on=caller,
                action="joined",
                device_id=device_id,
            )
            return self.group_json(g, caller), outbox

    def _require_member(self, g: GroupRec, uid: str) -> MemberRec:
        m = g.members.get(uid)
        if m is None:
            raise ApiError(
                400,
                "ERR_GROUP_NOT_JOINED",
                f"The user with UID {uid} has not joined the group with GUID {g.guid}.",
            )
        return m

    def leave_group(self, caller: str, device_id: Optional[str], guid: str) -> tuple[JSON, Outbox]:
        with self.lock:
            g = self._group(guid)
            self._require_member(g, caller)
            del g.members[caller]
            outbox = self._member_action(
                g, by=caller, on=caller, action="left", device_id=device_id, affected=(caller,)
            )
            return {"success": True, "message": f"{caller} left the group {g.guid}."}, outbox

    def list_members(self, guid: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        with self.lock:
            g = self._group(guid)
            scopes = _csv(query, "scopes")
            items = [
                self.member_json(g, uid)
                for uid in g.members
                if scopes is None or g.members[uid].scope in scopes
            ]
            return _paginate(items, query, 100)

    def list_banned(self, guid: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        with self.lock:
            g = self._group(guid)
            items = [self.user_json(self.users[uid]) for uid in g.banned]
            return _paginate(items, query, 100)

    def add_members(
        self, caller: str, device_id: Optional[str], guid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        errors: dict[str, list[str]] = {}
        lists = {
            "admins": _opt_str_list(body, "admins", errors) or [],
            "moderators": _opt_str_list(body, "moderators", errors) or [],
            "participants": _opt_str_list(body, "participants", errors) or [],
        }
        if errors:
            raise bad_request(errors)
        if not any(lists.values()):
            raise bad_request({"participants": ["At least one member is required."]})
        with self.lock:
            g = self._group(guid)
            self._require_scope(g, caller, "moderator", "add members")
            result: JSON = {}
            outbox: Outbox = []
            done: set[str] = set()
            for key, scope in (
                ("admins", "admin"),
                ("moderators", "moderator"),
                ("participants", "participant"),
            ):
                for raw in lists[key]:
                    uid = raw.lower()
                    if uid in done:
                        continue
                    done.add(uid)
                    entry: JSON
                    if uid not in self.users:
                        entry = {"success": False, "error": uid_not_found(raw).to_json()["error"]}
                    elif uid in g.members:
                        entry = {
                            "success": False,
                            "error": ApiError(
                                400,
                                "ERR_ALREADY_JOINED",
                                f"The user with UID {uid} has already joined the group with "
                                f"GUID {g.guid}.",
                            ).to_json()["error"],
                        }
                    elif (
                        scope != "participant" and self._scope_of(g, caller) < _SCOPE_RANK["admin"]
                    ):
                        entry = {
                            "success": False,
                            "error": no_access(f"add {scope}s to the group {g.guid}").to_json()[
                                "error"
                            ],
                        }
                    else:
                        g.banned.pop(uid, None)
                        g.members[uid] = MemberRec(scope, now_s())
                        outbox += self._member_action(
                            g,
                            by=caller,
                            on=uid,
                            action="added",
                            device_id=device_id,
                        )
                        entry = {"success": True, "message": f"{uid} added as {scope}."}
                    result.setdefault(key, {})[uid] = entry
            return result, outbox

    def kick(
        self, caller: str, device_id: Optional[str], guid: str, uid: str
    ) -> tuple[JSON, Outbox]:
        with self.lock:
            g = self._group(guid)
            target = self._user(uid).uid
            self._require_member(g, target)
            if self._scope_of(g, caller) < 1 or self._scope_of(g, caller) <= self._scope_of(
                g, target
            ):
                raise no_access(f"kick {target} from the group {g.guid}")
            del g.members[target]
            outbox = self._member_action(
                g, by=caller, on=target, action="kicked", device_id=device_id, affected=(target,)
            )
            return {"success": True, "message": f"{target} kicked from {g.guid}."}, outbox

    def ban(
        self, caller: str, device_id: Optional[str], guid: str, uid: str
    ) -> tuple[JSON, Outbox]:
        with self.lock:
            g = self._group(guid)
            target = self._user(uid).uid
            if target in g.banned:
                raise bad_request({"uid": [f"The user {target} is already banned."]})
            if self._scope_of(g, caller) < 1 or self._scope_of(g, caller) <= self._scope_of(
                g, target
            ):
                raise no_access(f"ban {target} from the group {g.guid}")
            g.members.pop(target, None)
            g.banned[target] = now_s()
            outbox = self._member_action(
                g, by=caller, on=target, action="banned", device_id=device_id, affected=(target,)
            )
            return {"success": True, "message": f"{target} banned from {g.guid}."}, outbox

    def unban(
        self, caller: str, device_id: Optional[str], guid: str, uid: str
    ) -> tuple[JSON, Outbox]:
        with self.lock:
            g = self._group(guid)
            target = self._user(uid).uid
            if target not in g.banned:
                raise ApiError(
                    400,
                    "ERR_NOT_A_BANNED_USER",
                    f"The user with UID {target} is not banned from the group {g.guid}.",
                )
            self._require_scope(g, caller, "moderator", "unban members")
            del g.banned[target]
            outbox = self._member_action(
                g, by=caller, on=target, action="unbanned", device_id=device_id, affected=(target,)
            )
            return {"success": True, "message": f"{target} unbanned from {g.guid}."}, outbox

    def change_scope(
        self, caller: str, device_id: Optional[str], guid: str, uid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        scope = body.get("scope")
        if scope not in _SCOPES:
            raise bad_request(
                {"scope": ["The scope must be one of admin, moderator, participant."]}
            )
        assert isinstance(scope, str)
        with self.lock:
            g = self._group(guid)
            target = self._user(uid).uid
            member = self._require_member(g, target)
            self._require_scope(g, caller, "admin", "change scopes")
            if target == g.owner:
                raise no_access(f"change the scope of the owner of the group {g.guid}")
            if member.scope == scope:
                raise ApiError(
                    400, "ERR_SAME_SCOPE", f"The user {target} already has the scope {scope}."
                )
            old = member.scope
            member.scope = scope
            outbox = self._member_action(
                g,
                by=caller,
                on=target,
                action="scopeChanged",
                device_id=device_id,
                extras={"scope": {"new": scope, "old": old}},
            )
            return {"success": True, "message": f"{target} is now {scope}."}, outbox

    # ----------------------------------------------------------------- calls

    def _call_message(self, call: CallRec, actor: str, action: str) -> JSON:
        if call.receiver_type == "group":
            other = call.receiver
        else:
            other = call.receiver if actor == call.initiator else call.initiator
        on_entity: JSON = {
            "sessionid": call.sessionid,
            "status": call.status,
            "type": call.type,
            "initiator": call.initiator,
            "receiver": call.receiver,
            "receiverType": call.receiver_type,
            "initiatedAt": call.initiated_at,
            "data": {},
        }
        if call.joined_at is not None:
            on_entity["joinedAt"] = call.joined_at
        data: JSON = {
            "action": action,
            "entities": {
                "sender": {"entity": self.user_json(self.users[actor]), "entityType": "user"},
                "receiver": self._entity_of_receiver(other, call.receiver_type),
                "by": {"entity": self.user_json(self.users[actor]), "entityType": "user"},
                "for": self._entity_of_receiver(other, call.receiver_type),
                "on": {"entity": on_entity, "entityType": "call"},
            },
        }
        msg = self._new_message(
            actor, other, call.receiver_type, category="call", type_=call.type, data=data
        )
        if call.receiver_type == "user":
            msg["conversationId"] = conversation_id("user", call.initiator, call.receiver)
        self._store(msg)
        return msg

    def initiate_call(
        self, caller: str, device_id: Optional[str], body: JSON
    ) -> tuple[JSON, Outbox]:
        type_ = body.get("type")
        if type_ not in _CALL_TYPES:
            raise bad_request({"type": ["The type must be either audio or video."]})
        assert isinstance(type_, str)
        with self.lock:
            receiver, receiver_type = self._resolve_receiver(caller, body)
            sessionid = f"v1.{self.region}.{self.app_id}.{now_s()}{secrets.token_hex(16)}"
            call = CallRec(sessionid, caller, receiver, receiver_type, type_, "initiated", now_s())
            self.calls[sessionid] = call
            msg = self._call_message(call, caller, "initiated")
            outbox = self._fanout_message(msg, device_id, extra_uids=(call.initiator,))
            return copy.deepcopy(msg), outbox

    def update_call(
        self, caller: str, device_id: Optional[str], sessionid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        status = body.get("status")
        if status not in _CALL_STATUSES:
            raise bad_request(
                {"status": [f"The status must be one of {', '.join(_CALL_STATUSES)}."]}
            )
        assert isinstance(status, str)
        with self.lock:
            call = self.calls.get(sessionid)
            if call is None:
                raise ApiError(
                    404, "ERR_CALL_SESSION_NOT_FOUND", f"The call {sessionid} does not exist."
                )
            party = caller in (call.initiator, call.receiver) or (
                call.receiver_type == "group" and caller in self.groups[call.receiver].members
            )
            if not party:
                raise no_access(f"update the call {sessionid}")
            if call.status in _CALL_FINAL:
                raise ApiError(
                    400,
                    "ERR_CALL_TERMINATED",
                    "The call has ended. Cannot update the status of a terminated call.",
                )
            call.status = status
            if status == "ongoing" and call.joined_at is None:
                call.joined_at = now_s()
            msg = self._call_message(call, caller, status)
            outbox = self._fanout_message(msg, device_id, extra_uids=(call.initiator,))
            return copy.deepcopy(msg), outbox

    # ----------------------------------------------------------------- WebSocket

    def check_auth(self, frame: Any) -> Optional[AuthInfo]:
        """Validate an ``auth`` frame; ``None`` means reject (close 4001)."""
        if not isinstance(frame, dict) or frame.get("type") != "auth":
            return None
        body = frame.get("body")
        if not isinstance(body, dict):
            return None
        jwt = body.get("auth")
        if not isinstance(jwt, str):
            return None
        app_id = frame.get("appId")
        if app_id is not None and app_id != self.app_id:
            return None
        with self.lock:
            if self.reject_auth:
                return None
            rec = self.jwts.get(jwt)
            if rec is None or rec.exp < now_s() or rec.token not in self.tokens:
                return None
            sender = frame.get("sender")
            if isinstance(sender, str) and sender.lower() != rec.uid:
                return None
            uid = rec.uid
        resource = frame.get("deviceId")
        if not isinstance(resource, str) or not resource:
            resource = body.get("deviceId")
            if not isinstance(resource, str) or not resource:
                resource = None
        subscription = body.get("presenceSubscription")
        if not isinstance(subscription, str):
            subscription = None
        roles = body.get("roles")
        role_list = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
        return AuthInfo(uid, resource, subscription, role_list)

    def new_session(self, info: AuthInfo, conn: Conn) -> Session:
        with self.lock:
            sid = self._next_sid
            self._next_sid += 1
        return Session(
            sid,
            info.uid,
            resource=info.resource,
            subscription=info.subscription,
            roles=info.roles,
            conn=conn,
        )

    def _covers(self, watcher: Session, rec: UserRec) -> bool:
        if watcher.uid == rec.uid:
            return False
        if watcher.subscription == "ALL_USERS":
            return True
        if watcher.subscription == "ROLES":
            return rec.role in watcher.roles
        return False  # FRIENDS (no friends here) or no subscription

    def _presence(self, session: Session, action: str) -> Outbox:
        rec = self.users[session.uid]
        watchers = [
            s
            for uid, sessions in self.sockets.items()
            if uid != rec.uid
            for s in sessions
            if self._covers(s, rec)
        ]
        if not watchers:
            return []
        body = {
            "action": action,
            "user": self.user_json(rec, status=action),
            "timestamp": now_s(),
        }
        text = self._frame(
            "presence",
            sender=rec.uid,
            receiver=None,
            receiver_type=None,
            device_id=session.resource,
            body=body,
        )
        return [(watchers, text)]

    def register(self, session: Session, auth_frame: JSON) -> Optional[Outbox]:
        """Register an authenticated socket; ``None`` if the emulator is stopping."""
        with self.lock:
            if not self.accepting:
                return None
            sessions = self.sockets.setdefault(session.uid, [])
            first = not sessions
            sessions.append(session)
            self.auth_counts[session.uid] = self.auth_counts.get(session.uid, 0) + 1
            self._record(session.uid, auth_frame)
            self.users[session.uid].last_active_at = now_s()
            outbox = self._presence(session, "online") if first else []
            self._changed()
            return outbox

    def unregister(self, session: Session) -> Outbox:
        """Forget a socket (idempotent); ``offline`` presence when it was the user's last."""
        with self.lock:
            session.closed = True
            sessions = self.sockets.get(session.uid)
            if not sessions or session not in sessions:
                return []
            sessions.remove(session)
            self.users[session.uid].last_active_at = now_s()
            outbox: Outbox = []
            if not sessions:
                del self.sockets[session.uid]
                outbox = self._presence(session, "offline")
            self._changed()
            return outbox

    def sessions_of(self, uid: str) -> list[Session]:
        """The open authenticated sockets of ``uid``."""
        with self.lock:
            return list(self.sockets.get(uid.lower(), ()))

    def _record(self, uid: str, frame: JSON) -> None:
        kept = self.frames.setdefault(uid, [])
        kept.append(frame)
        if len(kept) > _FRAMES_KEPT:
            del kept[: len(kept) - _FRAMES_KEPT]

    def on_frame(self, session: Session, frame: JSON) -> Outbox:
        """Handle one parsed frame from an authenticated socket."""
        with self.lock:
            self._record(session.uid, frame)
            self._changed()
            if frame.get("action") == "ping":
                return [] if self.drop_pongs else [([session], PONG_FRAME)]
            kind = frame.get("type")
            if kind not in _RELAYED_TYPES:
                return []
            return self._relay(session, frame, str(kind))

    def _relay(self, session: Session, frame: JSON, kind: str) -> Outbox:
        body = frame.get("body")
        receiver = frame.get("receiver")
        receiver_type = frame.get("receiverType", "user")
        if not isinstance(body, dict) or not isinstance(receiver, str) or not receiver:
            return []
        if receiver_type == "chat":
            receiver_type = "user"
        elif receiver_type == "groupchat":
            receiver_type = "group"
        receiver = receiver.lower()
        body = copy.deepcopy(body)
        targets: list[str]
        message_sender = frame.get("messageSender")
        if kind == "receipts":
            body["timestamp"] = now_s()
        if kind == "receipts" and isinstance(message_sender, str) and message_sender:
            targets = [message_sender.lower()]
        elif receiver_type == "group":
            g = self.groups.get(receiver)
            if g is None or session.uid not in g.members:
                return []
            targets = list(g.members)
        elif receiver_type == "user":
            targets = [receiver]
        else:
            return []
        out: JSON = {
            "appId": self.app_id,
            "receiver": receiver,
            "receiverType": receiver_type,
        }
        if session.resource is not None:
            out["deviceId"] = session.resource
        out["type"] = kind
        out["sender"] = session.uid
        if kind == "receipts" and isinstance(message_sender, str) and message_sender:
            out["messageSender"] = message_sender
        out["body"] = body
        return [(self._sessions_of([*targets, session.uid], exclude=session), json.dumps(out))]

    def drop_all_sessions(self) -> None:
        """On stop: forget every socket without presence; users go offline."""
        with self.lock:
            t = now_s()
            for sessions in self.sockets.values():
                for s in sessions:
                    s.closed = True
                    self.users[s.uid].last_active_at = t
            self.sockets.clear()
            self._changed()
