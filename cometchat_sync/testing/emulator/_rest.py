"""The REST side: routing, header checks, JSON envelopes, and the stdlib HTTP handler.

:class:`RestApp` turns one request into one ``(status, JSON body)`` answer: it counts the
request, applies the :class:`~._hooks.Hooks` request delay and injected failures, checks the
``appId``, ``apiKey``/``authToken``/``onBehalfOf`` headers, and calls the domain service of the
route. Paths, headers and envelopes follow https://www.cometchat.com/docs/rest-api/chat-apis
and the observed traffic of the official SDKs (which also use the client-only routes, such as
``me`` and ``settings``).
"""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from typing import Callable
from typing import Optional
from urllib.parse import parse_qsl
from urllib.parse import unquote

from ._backend import Backend
from ._extensions import ExtensionCall
from ._interactions import mark_interacted
from ._media import is_multipart
from ._media import media_of
from ._media import serve_media
from ._moderation import moderation_of
from ._params import truthy
from ._peer import Outbox
from ._peer import deliver
from ._receipts import receipts_json
from ._receipts import unread_counts
from ._records import JSON
from ._records import ApiError
from ._records import bad_request

__all__ = ["RestApp", "serve_http_connection"]

log = logging.getLogger(__name__)

_MAX_BODY = 8 * 1024 * 1024


@dataclass
class Ctx:
    """One authenticated request."""

    uid: str  # the caller ("" for admin calls that act on no user)
    token: Optional[str]
    resource: Optional[str]
    query: dict[str, str]
    body: JSON
    params: dict[str, str]


@dataclass
class Result:
    data: Any
    meta: Optional[JSON] = None
    outbox: Optional[Outbox] = None


Handler = Callable[[Ctx], Result]

# Auth kinds: "admin" (apiKey), "client" (authToken, or apiKey + onBehalfOf),
# "either" (authToken or apiKey), "app" (appId only).
_Route = tuple[str, tuple[str, ...], str, Handler]


class RestApp:
    """Turns one HTTP request into one ``(status, JSON body)`` answer."""

    def __init__(self, backend: Backend, stop_event: threading.Event) -> None:
        self.backend = backend
        self.stop_event = stop_event
        self.routes: list[_Route] = self._build_routes()

    # ------------------------------------------------------------ routes

    def _build_routes(self) -> list[_Route]:
        b = self.backend
        users, messages, groups, calls = b.users, b.messages, b.groups, b.calls
        convs, lists, admin = b.conversations, b.lists, b.group_admin

        def one(data: Any, outbox: Optional[Outbox] = None) -> Result:
            return Result(data, outbox=outbox)

        def pair(res: tuple[JSON, Outbox]) -> Result:
            return Result(res[0], outbox=res[1])

        def page(res: tuple[list[JSON], JSON]) -> Result:
            return Result(res[0], meta=res[1])

        def token(c: Ctx) -> str:
            if c.token is None:  # admin acting on behalf of a user: no session token
                raise ApiError(400, "ERR_BAD_REQUEST", "This call needs an authToken.")
            return c.token

        r: list[_Route] = [
            # admin API
            ("POST", ("users", "{uid}", "auth_tokens"), "admin",
             lambda c: one(users.create_auth_token(c.params["uid"]))),
            ("POST", ("users",), "admin", lambda c: one(users.create_user(c.body))),
            ("PUT", ("users", "{uid}"), "admin",
             lambda c: one(users.update_user(c.params["uid"], c.body))),
            ("GET", ("users",), "either", lambda c: page(lists.users(c.uid, c.query))),
            ("GET", ("users", "{uid}"), "either",
             lambda c: one(users.get_user(c.params["uid"], c.uid))),
            # session
            ("GET", ("settings",), "app", lambda c: one(users.settings())),
            ("PUT", ("me",), "client", lambda c: one(users.update_me(token(c), c.body))),
            ("GET", ("me",), "client", lambda c: one(users.me(token(c)))),
            ("DELETE", ("me",), "client", self._logout),
            ("POST", ("me", "jwt"), "client", lambda c: one(users.new_jwt(token(c)))),
            ("POST", ("user_sessions",), "client", lambda c: one({})),
            # messages
            ("POST", ("messages",), "client",
             lambda c: pair(messages.send(c.uid, c.resource, c.body))),
            ("GET", ("messages",), "client", lambda c: self._history(c, "all", None)),
            ("GET", ("users", "{uid}", "messages"), "client",
             lambda c: self._history(c, "user", c.params["uid"])),
            ("GET", ("groups", "{guid}", "messages"), "client",
             lambda c: self._history(c, "group", c.params["guid"])),
            ("GET", ("messages", "{id}", "thread"), "client",
             lambda c: page(messages.history(c.uid, "thread", c.params["id"], c.query))),
            ("GET", ("messages", "{id}"), "client", self._message_with_receipts),
            ("GET", ("messages", "{id}", "reactions"), "client",
             lambda c: page(lists.reactions(c.uid, c.params["id"], "", c.query))),
            ("GET", ("messages", "{id}", "reactions", "{reaction}"), "client",
             lambda c: page(lists.reactions(c.uid, c.params["id"], c.params["reaction"], c.query))),
            ("PUT", ("messages", "{id}"), "client",
             lambda c: pair(messages.edit(c.uid, c.resource, c.params["id"], c.body))),
            ("DELETE", ("messages", "{id}"), "client",
             lambda c: pair(messages.delete(c.uid, c.resource, c.params["id"]))),
            ("POST", ("messages", "{id}", "thread"), "client",
             lambda c: pair(messages.send(c.uid, c.resource, c.body, parent_id=c.params["id"]))),
            ("POST", ("messages", "{id}", "reactions", "{reaction}"), "client",
             lambda c: pair(
                 messages.react(c.uid, c.resource, c.params["id"], c.params["reaction"], True))),
            *(
                (method, ("messages", "{id}", word), "client", self._pin_or_save(word, method))
                for word in ("pin", "save")
                for method in ("POST", "DELETE")
            ),
            ("DELETE", ("messages", "{id}", "reactions", "{reaction}"), "client",
             lambda c: pair(
                 messages.react(c.uid, c.resource, c.params["id"], c.params["reaction"], False))),
            # moderation and interactive messages
            ("POST", ("messages", "{id}", "flagged"), "client",
             lambda c: one(moderation_of(b.store).flag(c.uid, c.params["id"], c.body))),
            ("PATCH", ("messages", "{id}", "interacted"), "client",
             lambda c: pair(
                 mark_interacted(b.store, c.uid, c.resource, c.params["id"], c.body))),
            # groups
            ("POST", ("groups",), "client",
             lambda c: pair(admin.create(c.uid, c.resource, c.body))),
            ("PUT", ("groups", "{guid}"), "client",
             lambda c: one(admin.update(c.uid, c.params["guid"], c.body))),
            ("DELETE", ("groups", "{guid}"), "client",
             lambda c: one(admin.delete(c.uid, c.params["guid"]))),
            ("PATCH", ("groups", "{guid}", "owner"), "client",
             lambda c: one(admin.transfer_owner(c.uid, c.params["guid"], c.body))),
            ("GET", ("groups",), "client", lambda c: page(lists.groups(c.uid, c.query))),
            ("GET", ("groups", "{guid}"), "client",
             lambda c: one(groups.get(c.uid, c.params["guid"]))),
            ("POST", ("groups", "{guid}", "members"), "client",
             lambda c: pair(groups.join(c.uid, c.resource, c.params["guid"], c.body))),
            ("DELETE", ("groups", "{guid}", "members"), "client",
             lambda c: pair(groups.leave(c.uid, c.resource, c.params["guid"]))),
            ("GET", ("groups", "{guid}", "members"), "client",
             lambda c: page(lists.members(c.uid, c.params["guid"], c.query))),
            ("PUT", ("groups", "{guid}", "members"), "client",
             lambda c: pair(groups.add_members(c.uid, c.resource, c.params["guid"], c.body))),
            ("DELETE", ("groups", "{guid}", "members", "{uid}"), "client",
             lambda c: pair(groups.kick(c.uid, c.resource, c.params["guid"], c.params["uid"]))),
            ("PUT", ("groups", "{guid}", "members", "{uid}"), "client",
             lambda c: pair(groups.change_scope(
                 c.uid, c.resource, c.params["guid"], c.params["uid"], c.body))),
            ("GET", ("groups", "{guid}", "bannedusers"), "client",
             lambda c: page(lists.banned(c.uid, c.params["guid"], c.query))),
            ("POST", ("groups", "{guid}", "bannedusers", "{uid}"), "client",
             lambda c: pair(groups.ban(c.uid, c.resource, c.params["guid"], c.params["uid"]))),
            ("DELETE", ("groups", "{guid}", "bannedusers", "{uid}"), "client",
             lambda c: pair(groups.unban(c.uid, c.resource, c.params["guid"], c.params["uid"]))),
            # conversations, receipts, blocking
            ("GET", ("conversations",), "client", lambda c: page(convs.list(c.uid, c.query))),
            *(
                route
                for kind, key in (("user", "uid"), ("group", "guid"))
                for route in self._conversation_routes(kind, key)
            ),
            ("GET", ("blockedusers",), "client", lambda c: page(lists.blocked(c.uid, c.query))),
            ("POST", ("blockedusers",), "client", lambda c: one(lists.block(c.uid, c.body, True))),
            ("DELETE", ("blockedusers",), "client",
             lambda c: one(lists.block(c.uid, c.body, False))),
            # calls
            ("POST", ("calls",), "client",
             lambda c: pair(calls.initiate(c.uid, c.resource, c.body))),
            ("PUT", ("calls", "{sessionid}"), "client",
             lambda c: pair(calls.update(c.uid, c.resource, c.params["sessionid"], c.body))),
        ]  # fmt: skip
        return r

    def _conversation_routes(self, kind: str, key: str) -> list[_Route]:
        """The calls on one conversation, under ``users/{uid}`` or ``groups/{guid}``."""
        convs = self.backend.conversations
        base = ("users" if kind == "user" else "groups", "{" + key + "}", "conversation")

        def target(c: Ctx) -> str:
            return c.params[key]

        def marked(c: Ctx, read: bool) -> Result:
            data = convs.mark(c.uid, kind, target(c), read)
            # a group's marks may complete deliveredToAll/readByAll for the senders
            outbox = self.backend.realtime.group_marked(c.uid, target(c)) if kind == "group" else []
            return Result(data, outbox=outbox)

        return [
            ("GET", base, "client", lambda c: Result(convs.get(c.uid, kind, target(c)))),
            ("PUT", base, "client", lambda c: Result(convs.tag(c.uid, kind, target(c), c.body))),
            ("DELETE", base, "client", lambda c: Result(convs.delete(c.uid, kind, target(c)))),
            ("POST", (*base, "read"), "client", lambda c: marked(c, True)),
            ("POST", (*base, "delivered"), "client", lambda c: marked(c, False)),
            ("DELETE", (*base, "read"), "client",
             lambda c: Result(convs.mark_unread(c.uid, kind, target(c), c.body))),
        ]  # fmt: skip

    def _history(self, c: Ctx, kind: str, target: Optional[str]) -> Result:
        """A page of history, or (``unread=1&count=1``) the unread counts of the caller."""
        if truthy(c.query.get("count")) and truthy(c.query.get("unread")):
            store = self.backend.store
            with store.lock:
                return Result(unread_counts(store, c.uid, kind, target, c.query))
        data, meta = self.backend.messages.history(c.uid, kind, target, c.query)
        return Result(data, meta=meta)

    def _message_with_receipts(self, c: Ctx) -> Result:
        """``GET messages/{id}``: the message, with its ``receipts`` (what
        ``getMessageReceipts`` of the official SDKs reads)."""
        store = self.backend.store
        with store.lock:
            data = self.backend.messages.get(c.uid, c.params["id"])
            data["receipts"] = receipts_json(store, store.message(c.params["id"]), c.uid)
            return Result(data)

    def _logout(self, c: Ctx) -> Result:
        if c.token is not None:
            self.backend.users.logout(c.token)
        return Result({"success": True, "message": "Logged out successfully."})

    def _pin_or_save(self, word: str, method: str) -> Handler:
        """``POST``/``DELETE messages/{id}/pin`` and ``.../save`` (:mod:`._pins`)."""
        act = self.backend.pins.pin if word == "pin" else self.backend.pins.save

        def handle(c: Ctx) -> Result:
            data, outbox = act(c.uid, c.resource, c.params["id"], method == "POST")
            return Result(data, outbox=outbox)

        return handle

    def _extension(self, c: Ctx) -> Result:
        """``extensions/{slug}/{endpoint...}``: the emulator's stand-in for the extension hosts
        (:mod:`._extensions`)."""
        call = ExtensionCall(c.uid, c.params["method"], c.params["endpoint"], c.body, c.query)
        return Result(self.backend.extensions.call(c.params["slug"], call))

    def _match(self, method: str, segments: list[str]) -> tuple[Optional[_Route], dict[str, str]]:
        if len(segments) >= 3 and segments[0] == "extensions" and segments[1]:
            found = {"slug": segments[1], "endpoint": "/".join(segments[2:]), "method": method}
            return (method, (), "client", self._extension), found
        for route in self.routes:
            r_method, pattern, _, _ = route
            if r_method != method or len(pattern) != len(segments):
                continue
            params: dict[str, str] = {}
            for pat, seg in zip(pattern, segments):
                if pat.startswith("{"):
                    if not seg:
                        break
                    params[pat[1:-1]] = seg
                elif pat != seg:
                    break
            else:
                return route, params
        return None, {}

    # ------------------------------------------------------------ request handling

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, JSON]:
        """Answer one request: ``(status, body)``."""
        store = self.backend.store
        with store.lock:
            store.rest_requests += 1
            store.changed()
        delay = self.backend.hooks.request_delay
        if delay > 0:
            self.stop_event.wait(delay)
        try:
            result = self._handle(method, target, headers, raw_body)
        except ApiError as exc:
            return exc.status, exc.to_json()
        if result.outbox:
            deliver(result.outbox)
        out: JSON = {"data": result.data}
        if result.meta is not None:
            out["meta"] = result.meta
        return 200, out

    def _handle(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Result:
        failure = self.backend.hooks.take_failure()
        if failure is not None:
            raise failure
        path, _, query_string = target.partition("?")
        segments = [unquote(seg) for seg in path.split("/") if seg]
        if segments and segments[0] in ("v3", "v3.0"):
            segments = segments[1:]
        route, params = self._match(method, segments)
        if route is None:
            raise ApiError(
                404, "ERR_API_NOT_FOUND", f"The API {method} /{'/'.join(segments)} does not exist."
            )
        _, _, auth, handler = route

        app_id = headers.get("appid", "")
        if not app_id:
            raise ApiError(401, "AUTH_ERR_EMPTY_APPID", "The appId header is missing or empty.")
        if app_id != self.backend.store.app.app_id:
            raise ApiError(
                401, "AUTH_ERR_INVALID_APPID", "The appId does not exist in this region."
            )

        uid, token = self._authenticate(auth, headers)
        body = self._parse_body(raw_body)
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        ctx = Ctx(uid, token, headers.get("resource") or None, query, body, params)
        return handler(ctx)

    def _authenticate(self, auth: str, headers: dict[str, str]) -> tuple[str, Optional[str]]:
        if auth == "app":
            return "", None
        token = headers.get("authtoken", "")
        api_key = headers.get("apikey", "")
        if auth == "client" or (auth == "either" and (token or not api_key)):
            if token:
                uid = self.backend.users.uid_for_token(token)
                if uid is None:
                    raise ApiError(
                        401,
                        "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
                        "The auth token does not exist. Please make sure you are logged in and "
                        "have a valid auth token or try login again.",
                    )
                return uid, token
            if auth == "client" and api_key:
                self._check_api_key(api_key)
                behalf = headers.get("onbehalfof", "").lower()
                if not behalf:
                    raise ApiError(
                        401,
                        "AUTH_ERR_EMPTY_AUTH_TOKEN",
                        "The authToken header is missing or empty.",
                    )
                return self.backend.users.require(behalf), None
            raise ApiError(
                401, "AUTH_ERR_EMPTY_AUTH_TOKEN", "The authToken header is missing or empty."
            )
        # admin, or "either" with only an apiKey
        self._check_api_key(api_key)
        return "", None

    def _check_api_key(self, api_key: str) -> None:
        if not api_key:
            raise ApiError(401, "AUTH_ERR_EMPTY_APIKEY", "The apiKey header is missing or empty.")
        if api_key != self.backend.store.app.auth_key:
            raise ApiError(401, "AUTH_ERR_APIKEY_NOT_FOUND", "The apiKey does not exist.")

    @staticmethod
    def _parse_body(raw: bytes) -> JSON:
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise bad_request({"body": ["The request body is not valid JSON."]}) from None
        if not isinstance(body, dict):
            raise bad_request({"body": ["The request body must be a JSON object."]})
        return body


class _ServerShim(socketserver.BaseServer):
    """What ``BaseHTTPRequestHandler`` expects as its server; it only carries the app."""

    def __init__(self, app: RestApp) -> None:
        super().__init__(("", 0), _Handler)
        self.app = app


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CometChatEmulator/1.0"
    sys_version = ""
    timeout = 300  # idle keep-alive connections end after this
    wbufsize = -1  # buffered: headers and body leave in one write (no Nagle/delayed-ACK stall)

    def _app(self) -> RestApp:
        server = self.server
        assert isinstance(server, _ServerShim)
        return server.app

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > _MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        raw_len = self.headers.get("Content-Length")
        if not raw_len:
            return b""
        try:
            length = int(raw_len)
        except ValueError:
            return None
        if length < 0 or length > _MAX_BODY:
            return None
        return self.rfile.read(length)

    def _dispatch(self, method: str) -> None:
        if is_multipart(self.headers.get("Content-Type") or ""):
            try:
                body = self._read_upload()  # a media message's files: streamed to disk
            except ApiError as exc:
                self._send_json(exc.status, exc.to_json())
                return
        else:
            body = self._read_body()
        if body is None:
            self.close_connection = True
            status, payload = 400, bad_request({"body": ["Unreadable request body."]}).to_json()
        else:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = self._app().handle(method, self.path, headers, body)
        self._send_json(status, payload)

    def _read_upload(self) -> Optional[bytes]:
        """A multipart body as the JSON body it stands for (:mod:`._media`), or ``None``
        without a ``Content-Length``."""
        length = self.headers.get("Content-Length") or ""
        if not length.isdigit():
            return None
        store = self._app().backend.store
        base = f"{'https' if store.app.tls else 'http'}://{store.app.api_host()}"
        form = media_of(store).receive(self.rfile, int(length), self.headers["Content-Type"], base)
        return json.dumps(form).encode("utf-8")

    def _send_json(self, status: int, payload: JSON) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.startswith("/media/"):  # an uploaded file (:mod:`._media`)
            serve_media(self, media_of(self._app().backend.store).path_of(self.path))
            return
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("rest %s " + format, self.address_string(), *args)


def serve_http_connection(app: RestApp) -> Callable[[socket.socket, Any], None]:
    """A per-connection function for the listener: serve HTTP/1.1 until the peer goes away."""
    shim = _ServerShim(app)

    def serve(sock: socket.socket, addr: Any) -> None:
        _Handler(sock, addr, shim)

    return serve
