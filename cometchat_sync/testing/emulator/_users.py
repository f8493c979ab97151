"""Users and logging in: user records, auth tokens, JWTs, the login answer and the settings.

An auth token (``POST users/{uid}/auth_tokens``) identifies a user on REST calls; the login
answer (``PUT``/``GET me``) carries a fresh JWT, which is what a WebSocket ``auth`` frame must
present. ``DELETE me`` revokes a token and every JWT issued for it. The settings object tells
clients where the WebSocket is, honouring :class:`~._hooks.Hooks` ``advertised`` and ``mode``.
REST shapes follow https://www.cometchat.com/docs/rest-api/users and
https://www.cometchat.com/docs/rest-api/auth-tokens; the login answer and the settings follow
the observed traffic of the official SDKs.
"""

from __future__ import annotations

import copy
import secrets
from typing import Optional

from ._hooks import Hooks
from ._jwt import make_jwt
from ._params import Errors
from ._params import check_id
from ._params import check_required
from ._params import opt_obj
from ._params import opt_str
from ._params import opt_str_list
from ._params import paginate
from ._records import JSON
from ._records import ApiError
from ._records import JwtRec
from ._records import Store
from ._records import TokenRec
from ._records import UserRec
from ._records import bad_request
from ._records import now_s
from ._views import user_json

__all__ = ["DEFAULT_USERS", "Users"]

_AVATAR_BASE = "https://data-us.cometchat.io/assets/images/avatars/"
DEFAULT_USERS: tuple[tuple[str, str, str], ...] = (
    ("superhero1", "Iron Man", _AVATAR_BASE + "ironman.png"),
    ("superhero2", "Captain America", _AVATAR_BASE + "captainamerica.png"),
    ("superhero3", "Spiderman", _AVATAR_BASE + "spiderman.png"),
    ("superhero4", "Wolverine", _AVATAR_BASE + "wolverine.png"),
    ("superhero5", "Cyclops", _AVATAR_BASE + "cyclops.png"),
)


class Users:
    """Users, auth tokens, JWTs, the login answer and the settings of one store."""

    def __init__(self, store: Store, hooks: Hooks) -> None:
        self.store = store
        self.hooks = hooks

    def seed(self) -> None:
        """Create the five users every new CometChat app starts with."""
        with self.store.lock:
            created = now_s()
            for uid, name, avatar in DEFAULT_USERS:
                self.store.users[uid] = UserRec(
                    uid=uid, name=name, avatar=avatar, created_at=created
                )

    # ----------------------------------------------------------------- settings, auth

    def settings(self) -> JSON:
        """The settings object ``GET settings`` and the login answer carry right now."""
        with self.store.lock:
            app = self.store.app
            host, port = self.hooks.advertised or (app.public_host, app.ws_port)
            return {
                "CHAT_HOST": host,
                "CHAT_WSS_PORT": str(port),
                "CHAT_WS_PORT": str(port),
                "CHAT_USE_SSL": app.tls,
                "CLIENT_API_HOST": app.api_host(),
                "ADMIN_API_HOST": app.api_host(),
                "CHAT_API_VERSION": "v3.0",
                "WS_API_VERSION": "v1",
                "REGION": app.region,
                "MODE": self.hooks.mode,
                "APP_VERSION": 4,
                "ANALYTICS_PING_DISABLED": True,
                "POLLING_ENABLED": False,
                "extensions": [],
            }

    def require(self, uid: str) -> str:
        """The stored uid of ``uid``; 404 ``ERR_UID_NOT_FOUND`` if there is none."""
        with self.store.lock:
            return self.store.user(uid).uid

    def uid_for_token(self, token: str) -> Optional[str]:
        with self.store.lock:
            rec = self.store.tokens.get(token)
            return rec.uid if rec is not None else None

    def create_auth_token(self, uid: str) -> JSON:
        """``POST users/{uid}/auth_tokens``: ``{uid}_{10-digit epoch}{30 hex}``."""
        with self.store.lock:
            user = self.store.user(uid)
            created = now_s()
            token = f"{user.uid}_{created:010d}{secrets.token_hex(15)}"
            self.store.tokens[token] = TokenRec(uid=user.uid, created_at=created)
            return {"uid": user.uid, "authToken": token, "createdAt": created}

    def latest_token(self, uid: str) -> Optional[str]:
        with self.store.lock:
            found = [t for t, rec in self.store.tokens.items() if rec.uid == uid.lower()]
            return found[-1] if found else None

    def _issue_jwt(self, token: str, uid: str) -> str:
        app = self.store.app
        jwt, exp = make_jwt(uid, app.app_id, app.region, app.api_host(), now_s())
        self.store.jwts[jwt] = JwtRec(uid=uid, token=token, exp=exp)
        return jwt

    def me(self, token: str) -> JSON:
        """The login answer: user + authToken + a fresh jwt + settings."""
        with self.store.lock:
            rec = self.store.tokens[token]
            out = user_json(self.store, self.store.users[rec.uid])
            out["authToken"] = token
            out["jwt"] = self._issue_jwt(token, rec.uid)
            out["settings"] = self.settings()
            return out

    def new_jwt(self, token: str) -> JSON:
        with self.store.lock:
            return {"jwt": self._issue_jwt(token, self.store.tokens[token].uid)}

    def logout(self, token: str) -> None:
        """Revoke the token and every JWT issued for it (live sockets stay open)."""
        with self.store.lock:
            self.store.tokens.pop(token, None)
            for jwt in [j for j, rec in self.store.jwts.items() if rec.token == token]:
                del self.store.jwts[jwt]

    # ----------------------------------------------------------------- users

    def create_user(self, body: JSON, *, with_token: bool = False) -> JSON:
        """``POST users``; ``withAuthToken: true`` (or ``with_token``) adds an ``authToken``."""
        errors: Errors = {}
        uid = opt_str(body, "uid", errors)
        name = opt_str(body, "name", errors)
        avatar = opt_str(body, "avatar", errors)
        link = opt_str(body, "link", errors)
        role = opt_str(body, "role", errors)
        metadata = opt_obj(body, "metadata", errors)
        tags = opt_str_list(body, "tags", errors)
        check_id("uid", uid, errors)
        check_required("name", name, errors)
        if errors:
            raise bad_request(errors)
        assert uid is not None and name is not None
        with self.store.lock:
            key = uid.lower()
            if key in self.store.users:
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
            self.store.users[key] = rec
            out = user_json(self.store, rec)
            if with_token or body.get("withAuthToken") is True:
                out["authToken"] = self.create_auth_token(key)["authToken"]
            return out

    def update_user(self, uid: str, body: JSON) -> JSON:
        """``PUT users/{uid}``: only the fields given change."""
        errors: Errors = {}
        name = opt_str(body, "name", errors)
        avatar = opt_str(body, "avatar", errors)
        link = opt_str(body, "link", errors)
        role = opt_str(body, "role", errors)
        status_message = opt_str(body, "statusMessage", errors)
        metadata = opt_obj(body, "metadata", errors)
        tags = opt_str_list(body, "tags", errors)
        if errors:
            raise bad_request(errors)
        with self.store.lock:
            rec = self.store.user(uid)
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
            return user_json(self.store, rec)

    def get_user(self, uid: str) -> JSON:
        with self.store.lock:
            return user_json(self.store, self.store.user(uid))

    def list_users(self, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        """``GET users``: ``searchKey`` (uid or name), ``status`` online|offline, pages."""
        with self.store.lock:
            search = (query.get("searchKey") or "").lower()
            items = [
                user_json(self.store, r)
                for r in self.store.users.values()
                if (not search or search in r.uid or search in r.name.lower())
            ]
            status = query.get("status")
            if status in ("online", "offline"):
                items = [u for u in items if u["status"] == status]
            return paginate(items, query, 100)
