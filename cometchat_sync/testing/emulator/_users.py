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

from ._blocking import blocked_flags
from ._extensions import Extensions
from ._hooks import Hooks
from ._jwt import make_jwt
from ._moderation import moderation_of
from ._params import Errors
from ._params import read_fields
from ._records import JSON
from ._records import JwtRec
from ._records import Store
from ._records import TokenRec
from ._records import UserRec
from ._records import bad_request
from ._records import new_key
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

# The string fields of a user body besides ``uid`` (and ``statusMessage``, which only
# ``PUT users/{uid}`` reads); ``metadata`` and ``tags`` come with them (see read_fields).
_PROFILE = ("name", "avatar", "link", "role")
# For ``PUT users/{uid}``: the UserRec attribute of each body field named differently, and the
# fields an empty string leaves unchanged.
_ATTRIBUTES = {"statusMessage": "status_message"}
_KEPT_IF_EMPTY = ("name", "role")


class Users:
    """Users, auth tokens, JWTs, the login answer and the settings of one store."""

    def __init__(self, store: Store, hooks: Hooks, extensions: Extensions) -> None:
        self.store = store
        self.hooks = hooks
        self.extensions = extensions

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
                "flagReasons": moderation_of(self.store).flag_reasons(),
                **self.extensions.settings(),
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
        """The login answer: user + authToken + a fresh jwt + settings. The user is reported
        ``online``, socket or not: logging in is being online (as the official SDKs store it)."""
        with self.store.lock:
            rec = self.store.tokens[token]
            out = user_json(self.store, self.store.users[rec.uid], status="online")
            out["authToken"] = token
            out["jwt"] = self._issue_jwt(token, rec.uid)
            out["settings"] = self.settings()
            return out

    def update_me(self, token: str, body: JSON) -> JSON:
        """``PUT me``: the login answer, after applying the profile fields the body carries
        (name, avatar, link, role, metadata, statusMessage, tags: what
        ``updateCurrentUserDetails`` sends, https://www.cometchat.com/docs/sdk/javascript/user-management).
        A login's body (``platform``, ``deviceId``, ``appInfo``) carries none of them."""
        with self.store.lock:
            self.update_user(self.store.tokens[token].uid, body)
            return self.me(token)

    def new_jwt(self, token: str) -> JSON:
        with self.store.lock:
            return {"jwt": self._issue_jwt(token, self.store.tokens[token].uid)}

    def expire_jwts(self, uid: Optional[str]) -> int:
        """Make every JWT issued so far (of ``uid``, or of everyone) expired; returns how many."""
        with self.store.lock:
            expired = 0
            for rec in self.store.jwts.values():
                if uid is None or rec.uid == uid.lower():
                    rec.exp = min(rec.exp, now_s() - 1)
                    expired += 1
            return expired

    def revoke_tokens(self, uid: str) -> int:
        """Revoke every auth token of ``uid`` and their JWTs; returns how many tokens."""
        with self.store.lock:
            tokens = [t for t, rec in self.store.tokens.items() if rec.uid == uid.lower()]
            for token in tokens:
                self.logout(token)
            return len(tokens)

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
        fields = read_fields(body, errors, ("uid", *_PROFILE), new_id="uid")
        if errors:
            raise bad_request(errors)
        with self.store.lock:
            key = new_key(self.store.users, "UID", fields["uid"])
            rec = UserRec(
                uid=key,
                name=fields["name"],
                avatar=fields["avatar"],
                link=fields["link"],
                role=fields["role"] or "default",
                metadata=copy.deepcopy(fields["metadata"]),
                tags=fields["tags"] or [],
                created_at=now_s(),
            )
            self.store.users[key] = rec
            out = user_json(self.store, rec)
            if with_token or body.get("withAuthToken") is True:
                out["authToken"] = self.create_auth_token(key)["authToken"]
            return out

    def update_user(self, uid: str, body: JSON) -> JSON:
        """``PUT users/{uid}``: only the fields given change; an empty name or role is ignored."""
        errors: Errors = {}
        fields = read_fields(body, errors, (*_PROFILE, "statusMessage"))
        if errors:
            raise bad_request(errors)
        with self.store.lock:
            rec = self.store.user(uid)
            for key, value in fields.items():
                if value is None or (key in _KEPT_IF_EMPTY and not value):
                    continue
                setattr(rec, _ATTRIBUTES.get(key, key), copy.deepcopy(value))
            return user_json(self.store, rec)

    def get_user(self, uid: str, viewer: str = "") -> JSON:
        """``GET users/{uid}``; with a ``viewer``, its ``blockedByMe``/``hasBlockedMe``."""
        with self.store.lock:
            out = user_json(self.store, self.store.user(uid))
            return blocked_flags(self.store, viewer, out) if viewer else out
