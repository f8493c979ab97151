"""Request builders: chainable filters that build paged requests over the app's lists, as
in the official SDKs (https://www.cometchat.com/docs/sdk/javascript/retrieve-users and the
pages linked from each builder).

::

    request = UsersRequestBuilder(client).set_limit(30).set_status("online").build()
    first_page = request.fetch_next()
    for user in request:  # the rest, one REST call per page
        ...
"""

from .base import PagedRequest
from .base import RequestBuilder
from .blocked import BlockedUsersRequest
from .blocked import BlockedUsersRequestBuilder
from .conversations import ConversationsRequest
from .conversations import ConversationsRequestBuilder
from .groups import GroupsRequest
from .groups import GroupsRequestBuilder
from .members import BannedMembersRequest
from .members import BannedMembersRequestBuilder
from .members import GroupMembersRequest
from .members import GroupMembersRequestBuilder
from .messages import MessagesRequest
from .messages import MessagesRequestBuilder
from .reactions import ReactionsRequest
from .reactions import ReactionsRequestBuilder
from .users import UsersRequest
from .users import UsersRequestBuilder

__all__ = [
    "BannedMembersRequest",
    "BannedMembersRequestBuilder",
    "BlockedUsersRequest",
    "BlockedUsersRequestBuilder",
    "ConversationsRequest",
    "ConversationsRequestBuilder",
    "GroupMembersRequest",
    "GroupMembersRequestBuilder",
    "GroupsRequest",
    "GroupsRequestBuilder",
    "MessagesRequest",
    "MessagesRequestBuilder",
    "PagedRequest",
    "ReactionsRequest",
    "ReactionsRequestBuilder",
    "RequestBuilder",
    "UsersRequest",
    "UsersRequestBuilder",
]
