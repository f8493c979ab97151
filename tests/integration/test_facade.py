"""The static ``CometChat`` facade offers every public method of ``CometChatClient``."""

from __future__ import annotations

import inspect

from cometchat_sync import CometChat, CometChatClient

# Client methods that make no sense on a process-wide facade.
NOT_ON_THE_FACADE = {"threads", "after_fork_in_child"}


def public_methods(cls: type) -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and callable(value) and not isinstance(value, property)
    }


def test_every_client_method_has_a_facade_delegate_with_the_same_parameters():
    missing = public_methods(CometChatClient) - public_methods(CometChat) - NOT_ON_THE_FACADE
    assert not missing, f"CometChat lacks: {sorted(missing)}"
    for name in public_methods(CometChatClient) - NOT_ON_THE_FACADE - {"close"}:
        client_params = list(inspect.signature(getattr(CometChatClient, name)).parameters)[1:]
        facade_params = list(inspect.signature(getattr(CometChat, name)).parameters)
        assert facade_params == client_params, name
