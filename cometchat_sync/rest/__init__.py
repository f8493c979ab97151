"""The REST layer (internal): one ``requests.Session`` transport, the endpoints, and one module
per resource family (:mod:`.messages`, :mod:`.users`, :mod:`.groups`, :mod:`.calls`), each a
mixin of :class:`~cometchat_sync.client.CometChatClient`.

Nothing here is public API: call the client's methods instead.
"""
