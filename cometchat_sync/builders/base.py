"""What every request builder shares: the client it works for, the page size, the checks
made at ``build()``, and the paged request it builds.

A builder collects filters with chainable setters named as in the official SDKs
(``set_limit(30)``, ``set_search_keyword("abc")``) and checks them all in ``build()``, so a bad
filter raises ``ERR_INVALID_PARAMETER`` (or ``MISSING_PARAMETERS``) before any request. The
request ``build()`` returns fetches one page per ``fetch_next()`` call and iterates lazily
over every item (``for user in request:``), one REST call per page. List endpoints page by
number (``per_page``, ``page`` and the answer's ``meta.pagination``), as in
https://www.cometchat.com/docs/rest-api/users/list.

A request remembers where it is: call it from one thread at a time (two threads paging one
request may fetch the same page twice). Each REST call has the client's request timeout and
raises the errors of every REST call (:class:`~cometchat_sync.rest.base.ResourceAPI`).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Generic
from typing import Optional
from typing import Protocol
from typing import TypeVar

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..facade import CometChat
from ..rest.base import ResourceAPI
from ..rest.transport import RestResponse

__all__ = [
    "CursorRequest",
    "PagedRequest",
    "RequestBuilder",
    "bool_flag",
    "choice",
    "id_list",
    "resolve_client",
    "string_list",
    "text",
]

T = TypeVar("T")
B = TypeVar("B", bound="RequestBuilder")


def resolve_client(client: Optional[ResourceAPI]) -> ResourceAPI:
    """``client``, or the :class:`~cometchat_sync.facade.CometChat` facade's default client."""
    if client is None:
        return CometChat.client()
    if not isinstance(client, ResourceAPI):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"A request builder needs a CometChatClient, not {type(client).__name__}.",
        )
    return client


def bool_flag(value: object, name: str) -> bool:
    """``value`` if it is a bool (a filter switched on or off)."""
    if not isinstance(value, bool):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, f"{name} must be True or False.")
    return value


def text(value: object, name: str) -> str:
    """``value`` if it is a string (a search keyword may be empty: then it is not sent)."""
    if not isinstance(value, str):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, f"{name} must be a string.")
    return value


def string_list(value: object, name: str, allowed: Optional[tuple[str, ...]] = None) -> list[str]:
    """``value`` if it is a list or tuple of non-empty strings (each in ``allowed``, if given)."""
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"{name} must be a list of non-empty strings."
        )
    if allowed is not None:
        wrong = [v for v in value if v not in allowed]
        if wrong:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"{name} may hold only {', '.join(allowed)}, not {str(wrong[0])[:40]!r}.",
            )
    return list(value)


def id_list(value: object, name: str) -> list[str]:
    """``value`` if it is a list of uids or guids (each checked as an id)."""
    if not isinstance(value, (list, tuple)):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, f"{name} must be a list of ids.")
    return [check.identifier(v, name) for v in value]


def choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"{name} must be one of {', '.join(allowed)}, not {str(value)[:40]!r}.",
        )
    return str(value)


def csv(values: list[str]) -> str:
    """The comma-separated form list filters take in the query string."""
    return ",".join(values)


class RequestBuilder:
    """The part every builder shares: the client, the page size and the filters.

    Setters only record their value (the shape each takes is in its docstring) and return
    the builder: they do no I/O and never raise, so a builder may be made on any thread,
    listeners included. ``build()`` checks every value. The request it returns makes one REST
    call per page; from a listener that call holds the dispatcher thread meanwhile.

    Args:
        client: the :class:`~cometchat_sync.client.CometChatClient` the request works for;
            ``None`` for the default client of the :class:`~cometchat_sync.facade.CometChat`
            facade.

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` when ``client`` is ``None`` and the
            facade has no default client; ``ERR_INVALID_PARAMETER`` when ``client`` is not a
            client.
    """

    #: The page size when ``set_limit`` is not called, and the largest one allowed.
    DEFAULT_LIMIT = 30
    MAX_LIMIT = 100

    def __init__(self, client: Optional[ResourceAPI] = None) -> None:
        self._client = resolve_client(client)
        self._limit: object = self.DEFAULT_LIMIT
        self._filters: dict[str, object] = {}

    def set_limit(self: B, limit: int) -> B:
        """The page size: how many items each ``fetch_next()`` returns at most, an int from
        1 to :attr:`MAX_LIMIT` (checked by ``build()``). Returns the builder."""
        self._limit = limit
        return self

    def _set(self: B, key: str, value: object) -> B:
        """Record the filter ``key`` (``build()`` checks it); returns the builder."""
        self._filters[key] = value
        return self

    def _put_search(self, params: dict[str, Any]) -> None:
        """``searchKey``: the ``search`` filter (a string), unless it is empty."""
        if "search" in self._filters and text(self._filters["search"], "search keyword"):
            params["searchKey"] = self._filters["search"]

    def _put_lists(self, params: dict[str, Any], keys: Iterable[tuple[str, str]]) -> None:
        """Each list filter of ``keys`` (filter, wire name) that is set, comma-separated."""
        for key, wire in keys:
            if key in self._filters:
                params[wire] = csv(string_list(self._filters[key], key))

    def _put_flags(
        self, params: dict[str, Any], keys: Iterable[tuple[str, str]], on: object
    ) -> None:
        """Each flag of ``keys`` (filter, wire name) that is switched on, as ``on``."""
        for key, wire in keys:
            if key in self._filters and bool_flag(self._filters[key], key):
                params[wire] = on

    def _checked_limit(self) -> int:
        value = self._limit
        top = self.MAX_LIMIT
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, f"limit must be an int from 1 to {self.MAX_LIMIT}."
            )
        return value


class _ListRequest(Generic[T]):
    """What every request over a list holds: the client, the path, the filters, the page
    size and how an item is read."""

    def __init__(
        self,
        client: ResourceAPI,
        path: str,
        params: dict[str, Any],
        limit: int,
        parse: Callable[[dict[str, Any]], T],
    ) -> None:
        self._client = client
        self._path = path
        self._params = params
        self._limit = limit
        self._parse = parse

    @property
    def limit(self) -> int:
        """The page size (int)."""
        return self._limit


class PagedRequest(_ListRequest[T]):
    """A request over a list the server pages by number (users, groups, members, blocked
    users, conversations): ``fetch_next()`` returns the next page, ``[]`` past the last one;
    iterating yields every item, fetching pages as it goes.

    Built by a builder's ``build()``; not meant to be created directly.
    """

    # Where paging stands; the first assignment makes them the instance's own.
    _page: int = 1
    _done: bool = False

    @property
    def page(self) -> int:
        """The number of the page the next ``fetch_next()`` asks for (from 1)."""
        return self._page

    def fetch_next(self) -> list[T]:
        """Fetch the next page.

        Returns:
            Up to ``limit`` items; ``[]`` once the list is exhausted (no request is then
            made).

        Raises:
            CometChatException: the server's code when it refuses the request, and the errors
                of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if self._done:
            return []
        params = {**self._params, "per_page": self._limit, "page": self._page}
        response = self._client._client_call("GET", self._path, params=params)
        items = self._items(response)
        self._page += 1
        pagination = response.meta.get("pagination") if isinstance(response.meta, dict) else None
        if not items or _last_page(pagination):
            self._done = True
        return items

    def _items(self, response: RestResponse) -> list[T]:
        data = response.data
        if not isinstance(data, list):
            raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no list.")
        return [self._parse(item) for item in data if isinstance(item, dict)]

    def __iter__(self) -> Iterator[T]:
        """Every remaining item, fetching one page at a time."""
        while True:
            page = self.fetch_next()
            if not page:
                return
            yield from page

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._path!r}, page={self._page}, limit={self._limit})"


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


M = TypeVar("M", bound=_Identified)


class CursorRequest(_ListRequest[M]):
    """A request over a list the server pages by id (messages, reactions): a page is asked
    for with ``affix`` ``prepend`` (before the oldest id fetched so far) or ``append`` (after
    the newest), each page oldest first; ``[]`` once that end is reached.

    Built by a builder's ``build()``; not meant to be created directly.
    """

    #: The query parameter that carries the page size.
    SIZE_PARAM = "per_page"

    def __init__(
        self,
        client: ResourceAPI,
        path: str,
        params: dict[str, Any],
        limit: int,
        parse: Callable[[dict[str, Any]], M],
        *,
        start: Optional[int] = None,
    ) -> None:
        super().__init__(client, path, params, limit, parse)
        self._oldest = start  # the cursor of prepend pages
        self._newest = start  # the cursor of append pages
        self._ends = {"prepend": False, "append": False}

    def _uncursored(self) -> dict[str, Any]:
        """The parameters that stand for the cursor while there is none."""
        return {}

    def _fetch(self, affix: str, cursor: Optional[int]) -> list[M]:
        if self._ends[affix]:
            return []
        params: dict[str, Any] = {**self._params, self.SIZE_PARAM: self._limit, "affix": affix}
        if cursor is not None:
            params["id"] = cursor
        else:
            params.update(self._uncursored())
        data = self._client._client_call("GET", self._path, params=params).data
        if not isinstance(data, list):
            raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no list.")
        page = [self._parse(item) for item in data if isinstance(item, dict)]
        ids = [item.id for item in page if item.id > 0]
        if ids:
            low, high = min(ids), max(ids)
            self._oldest = low if self._oldest is None else min(self._oldest, low)
            self._newest = high if self._newest is None else max(self._newest, high)
        if len(page) < self._limit or not ids:
            self._ends[affix] = True
        return page

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._path!r}, limit={self._limit})"


def _last_page(pagination: Any) -> bool:
    """Whether ``meta.pagination`` says the page just fetched was the last one."""
    if not isinstance(pagination, dict):
        return False
    current, total = pagination.get("current_page"), pagination.get("total_pages")
    return isinstance(current, int) and isinstance(total, int) and current >= total
