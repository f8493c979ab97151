"""One emulated app wired together: the store, the hooks and the domain services.

:class:`Backend` is what the REST app, the WebSocket handler and the ``Emulator`` share. It
owns nothing itself: the data is in :class:`~._records.Store`, the switches in
:class:`~._hooks.Hooks`, and the behaviour in the domain services that both of them are
handed to.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._calls import Calls
from ._conversation_list import ConversationList
from ._extensions import Extensions
from ._group_admin import GroupAdmin
from ._groups import Groups
from ._hooks import Hooks
from ._lists import Lists
from ._messages import Messages
from ._pins import Pins
from ._realtime import Realtime
from ._records import AppRec
from ._records import Store
from ._users import Users

__all__ = ["Backend"]


@dataclass(frozen=True)
class Backend:
    store: Store
    hooks: Hooks
    users: Users
    messages: Messages
    groups: Groups
    calls: Calls
    realtime: Realtime
    conversations: ConversationList
    lists: Lists
    group_admin: GroupAdmin
    extensions: Extensions
    pins: Pins

    @classmethod
    def create(cls, app: AppRec) -> Backend:
        """A new app with the default users and every hook off."""
        store = Store(app)
        hooks = Hooks()
        extensions = Extensions(store)
        users = Users(store, hooks, extensions)
        users.seed()
        groups = Groups(store)
        return cls(
            store=store,
            hooks=hooks,
            users=users,
            messages=Messages(store),
            groups=groups,
            calls=Calls(store),
            realtime=Realtime(store, hooks),
            conversations=ConversationList(store),
            lists=Lists(store),
            group_admin=GroupAdmin(store, groups),
            extensions=extensions,
            pins=Pins(store),
        )
