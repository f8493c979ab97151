"""The live side: authenticating sockets, presence, ping/pong and relaying client frames.

A socket's first frame must be ``auth`` with a JWT the emulator issued and has not revoked;
:meth:`Realtime.check_auth` decides, :meth:`Realtime.register` adds the :class:`~._peer.Peer`
and, for the user's first socket, sends ``online`` presence to every socket whose subscription
covers the user (``offline`` when the last one goes), except those of a user who blocked
it or whom it blocked (:mod:`._blocking`; typing skips them too). After auth, pings get
pongs (unless :class:`~._hooks.Hooks` ``drop_pongs``) and ``typing_indicator``, ``receipts`` and
``transient_message`` frames are relayed to their target and to the sender's other sockets.
Receipts are stored (:mod:`._receipts`); once every member of a group but the sender of a
message has delivered (read) it, the receipt (or REST mark, :meth:`Realtime.group_marked`) that
completes it gives the sender's sockets one ``receipts`` frame with action ``deliveredToAll``
(``readByAll``), as the official SDKs' listeners expect
(https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts). Every frame received
is recorded per user for ``Emulator.frames_from``. The frame shapes follow
the observed traffic of the official SDKs.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any
from typing import Optional

from ._blocking import blocked_either
from ._hooks import Hooks
from ._peer import Conn
from ._peer import Outbox
from ._peer import Peer
from ._receipts import record_socket_receipt
from ._records import JSON
from ._records import GroupRec
from ._records import Store
from ._records import UserRec
from ._records import now_s
from ._views import envelope
from ._views import user_json

__all__ = ["AUTH_OK_FRAME", "AuthInfo", "Realtime"]

AUTH_OK_FRAME = json.dumps({"type": "auth", "body": {"code": "200", "status": "OK"}})
PONG_FRAME = json.dumps({"action": "pong"})

_RELAYED_TYPES = ("typing_indicator", "receipts", "transient_message")
_FRAMES_KEPT = 10_000  # per user, for frames_from()
# The group-wide receipt actions, by slot of a stored receipt ([deliveredAt, readAt]).
_TO_ALL = ("deliveredToAll", "readByAll")


@dataclass
class AuthInfo:
    """A validated ``auth`` frame."""

    uid: str
    resource: Optional[str]
    subscription: Optional[str]
    roles: list[str]


def _str_or_none(value: Any) -> Optional[str]:
    """``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value else None


class Realtime:
    """The authenticated sockets of one store and what travels over them."""

    def __init__(self, store: Store, hooks: Hooks) -> None:
        self.store = store
        self.hooks = hooks
        # (group message id, deliveredToAll/readByAll) sent so far: each goes out once
        # (under the store lock; kept across restarts, like the messages).
        self.announced: set[tuple[int, str]] = set()

    # ----------------------------------------------------------------- lifecycle

    def open(self) -> None:
        """Accept registrations (on ``start()``)."""
        with self.store.lock:
            self.store.accepting = True

    def close_all(self) -> None:
        """On ``stop()``: refuse registrations and forget every socket, with no presence;
        their users go offline."""
        store = self.store
        with store.lock:
            store.accepting = False
            t = now_s()
            for peers in store.sockets.values():
                for p in peers:
                    p.closed = True
                    store.users[p.uid].last_active_at = t
            store.sockets.clear()
            store.changed()

    # ----------------------------------------------------------------- auth, registration

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
        if app_id is not None and app_id != self.store.app.app_id:
            return None
        with self.store.lock:
            if self.hooks.reject_auth:
                return None
            rec = self.store.jwts.get(jwt)
            if rec is None or rec.exp < now_s() or rec.token not in self.store.tokens:
                return None
            sender = frame.get("sender")
            if isinstance(sender, str) and sender.lower() != rec.uid:
                return None
            uid = rec.uid
        resource = _str_or_none(frame.get("deviceId")) or _str_or_none(body.get("deviceId"))
        subscription = body.get("presenceSubscription")
        if not isinstance(subscription, str):
            subscription = None
        roles = body.get("roles")
        role_list = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
        return AuthInfo(uid, resource, subscription, role_list)

    def new_peer(self, info: AuthInfo, conn: Conn) -> Peer:
        with self.store.lock:
            pid = next(self.store.peer_ids)
        return Peer(
            pid,
            info.uid,
            resource=info.resource,
            subscription=info.subscription,
            roles=info.roles,
            conn=conn,
        )

    def register(self, peer: Peer, auth_frame: JSON) -> Optional[Outbox]:
        """Register an authenticated socket; ``None`` if the emulator is stopping."""
        store = self.store
        with store.lock:
            if not store.accepting:
                return None
            peers = store.sockets.setdefault(peer.uid, [])
            first = not peers
            peers.append(peer)
            store.auth_counts[peer.uid] = store.auth_counts.get(peer.uid, 0) + 1
            self._record(peer.uid, auth_frame)
            store.users[peer.uid].last_active_at = now_s()
            outbox = self._presence(peer, "online") if first else []
            store.changed()
            return outbox

    def unregister(self, peer: Peer) -> Outbox:
        """Forget a socket (idempotent); ``offline`` presence when it was the user's last."""
        store = self.store
        with store.lock:
            peer.closed = True
            peers = store.sockets.get(peer.uid)
            if not peers or peer not in peers:
                return []
            peers.remove(peer)
            store.users[peer.uid].last_active_at = now_s()
            outbox: Outbox = []
            if not peers:
                del store.sockets[peer.uid]
                outbox = self._presence(peer, "offline")
            store.changed()
            return outbox

    # ----------------------------------------------------------------- inspection

    def peers_of(self, uid: str) -> list[Peer]:
        """The open authenticated sockets of ``uid``."""
        with self.store.lock:
            return list(self.store.sockets.get(uid.lower(), ()))

    def auth_count(self, uid: str) -> int:
        """Successful socket auths of ``uid`` so far."""
        with self.store.lock:
            return self.store.auth_counts.get(uid.lower(), 0)

    def frames_of(self, uid: str) -> list[JSON]:
        """Every frame received from ``uid``'s sockets, oldest first (the last 10 000)."""
        with self.store.lock:
            return list(self.store.frames.get(uid.lower(), ()))

    # ----------------------------------------------------------------- presence

    @staticmethod
    def _covers(watcher: Peer, rec: UserRec) -> bool:
        if watcher.uid == rec.uid:
            return False
        if watcher.subscription == "ALL_USERS":
            return True
        if watcher.subscription == "ROLES":
            return rec.role in watcher.roles
        return False  # FRIENDS (no friends here) or no subscription

    def _presence(self, peer: Peer, action: str) -> Outbox:
        store = self.store
        rec = store.users[peer.uid]
        watchers = [
            p
            for uid, peers in store.sockets.items()
            if uid != rec.uid and not blocked_either(store, uid, rec.uid)
            for p in peers
            if self._covers(p, rec)
        ]
        if not watchers:
            return []
        body = {
            "action": action,
            "user": user_json(store, rec, status=action),
            "timestamp": now_s(),
        }
        text = envelope(
            store.app.app_id,
            "presence",
            sender=rec.uid,
            receiver=None,
            receiver_type=None,
            device_id=peer.resource,
            body=body,
        )
        return [(watchers, text)]

    # ----------------------------------------------------------------- frames from clients

    def _record(self, uid: str, frame: JSON) -> None:
        kept = self.store.frames.setdefault(uid, [])
        kept.append(frame)
        if len(kept) > _FRAMES_KEPT:
            del kept[: len(kept) - _FRAMES_KEPT]

    def on_frame(self, peer: Peer, frame: JSON) -> Outbox:
        """Handle one parsed frame from an authenticated socket."""
        with self.store.lock:
            self._record(peer.uid, frame)
            self.store.changed()
            if frame.get("action") == "ping":
                return [] if self.hooks.drop_pongs else [([peer], PONG_FRAME)]
            kind = frame.get("type")
            if kind not in _RELAYED_TYPES:
                return []
            return self._relay(peer, frame, str(kind))

    def _relay(self, peer: Peer, frame: JSON, kind: str) -> Outbox:
        """Relay a typing/receipt/transient frame to its target and the sender's other sockets.

        The target is the user receiver; for receipts the ``messageSender`` if given; for a
        group every member (a non-member's frame is dropped). ``chat``/``groupchat`` receiver
        types (sent by the JS SDK) are read as ``user``/``group``.
        """
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
        message_sender = _str_or_none(frame.get("messageSender"))
        if kind != "receipts":
            message_sender = None
        else:
            body["timestamp"] = now_s()
            record_socket_receipt(self.store, peer.uid, frame)  # kept for REST reads
        targets: list[str]
        if message_sender is not None:
            targets = [message_sender.lower()]
        elif receiver_type == "group":
            g = self.store.groups.get(receiver)
            if g is None or peer.uid not in g.members:
                return []
            targets = list(g.members)
        elif receiver_type == "user":
            targets = [receiver]
        else:
            return []
        if kind == "typing_indicator":  # typing never crosses a block (either way)
            targets = [t for t in targets if not blocked_either(self.store, peer.uid, t)]
        text = envelope(
            self.store.app.app_id,
            kind,
            sender=peer.uid,
            receiver=receiver,
            receiver_type=receiver_type,
            device_id=peer.resource,
            body=body,
            message_sender=message_sender,
        )
        outbox: Outbox = [(self.store.peers_of_users([*targets, peer.uid], exclude=peer), text)]
        if kind == "receipts" and receiver_type == "group":
            outbox += self._group_receipt(peer.uid, receiver, body)
        return outbox

    def _group_receipt(self, uid: str, guid: str, body: JSON) -> Outbox:
        """After ``uid``'s receipt of a message of the group ``guid`` (already stored in
        ``store.chat.receipts``): the ``deliveredToAll`` and ``readByAll`` frames it
        completes, once each, for the message's sender."""
        g = self.store.groups.get(guid)
        try:
            msg = self.store.msg_by_id.get(int(body.get("messageId", "")))
        except (TypeError, ValueError):
            return []
        if (
            body.get("action") not in ("delivered", "read")
            or g is None
            or msg is None
            or msg["receiverType"] != "group"
            or msg["receiver"] != guid
        ):
            return []
        return self._to_all(uid, g, msg)

    def group_marked(self, uid: str, guid: str) -> Outbox:
        """After ``uid`` marked the group ``guid`` delivered or read over REST (``POST
        groups/{guid}/conversation/delivered|read``): the ``deliveredToAll``/``readByAll``
        frames the stored marks complete, for each message's sender."""
        store = self.store
        with store.lock:
            g = store.groups.get(guid.lower())
            if g is None:
                return []
            outbox: Outbox = []
            for msg in store.messages:
                if msg["receiverType"] == "group" and msg["receiver"] == g.guid:
                    outbox += self._to_all(uid, g, msg)
            return outbox

    def _to_all(self, uid: str, g: GroupRec, msg: JSON) -> Outbox:
        """The ``deliveredToAll``/``readByAll`` frames (not sent before) that ``uid``'s stored
        receipt of the group message ``msg`` completes, for its sender."""
        store = self.store
        if uid == msg["sender"] or uid not in g.members:
            return []
        mid = int(msg["id"])
        times = store.chat.receipts.get(mid, {})
        others = [member for member in g.members if member != msg["sender"]]
        outbox: Outbox = []
        for slot, to_all in enumerate(_TO_ALL):
            if (mid, to_all) in self.announced or not all(
                times.get(member, [None, None])[slot] is not None for member in others
            ):
                continue
            self.announced.add((mid, to_all))
            text = envelope(
                store.app.app_id,
                "receipts",
                sender=uid,
                receiver=g.guid,
                receiver_type="group",
                device_id=None,
                body={
                    "action": to_all,
                    "messageId": msg["id"],
                    "user": user_json(store, store.users[uid]),  # whose receipt completed it
                    "timestamp": now_s(),
                },
                message_sender=msg["sender"],
            )
            outbox.append((store.peers_of_users([msg["sender"]]), text))
        return outbox
