"""The static ``CometChat`` facade offers every public method of ``CometChatClient``, with
the very same signature and the client method's docstring."""

from __future__ import annotations

import inspect

import pytest

from cometchat_sync import CometChat
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ErrorCode
from cometchat_sync import User
from cometchat_sync.facade import _delegates_to

# Client methods that make no sense on a process-wide facade.
NOT_ON_THE_FACADE = {"threads", "after_fork_in_child"}
# Facade methods with their own signature and docstring (``close`` takes no timeout).
FACADE_OWN = {"init", "client", "close"}


def public_methods(cls: type) -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and callable(value) and not isinstance(value, property)
    }


DELEGATES = sorted(public_methods(CometChatClient) - NOT_ON_THE_FACADE - FACADE_OWN)


def without_self(signature: inspect.Signature) -> inspect.Signature:
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def test_every_client_method_has_a_facade_delegate():
    missing = public_methods(CometChatClient) - public_methods(CometChat) - NOT_ON_THE_FACADE
    assert not missing, f"CometChat lacks: {sorted(missing)}"
    extra = public_methods(CometChat) - public_methods(CometChatClient) - FACADE_OWN
    assert not extra, f"CometChat has methods the client lacks: {sorted(extra)}"
    assert len(DELEGATES) > 40  # the comparison below is not vacuous


@pytest.mark.parametrize("name", DELEGATES)
def test_delegate_has_the_client_signature(name: str):
    client = without_self(inspect.signature(getattr(CometChatClient, name)))
    facade = inspect.signature(getattr(CometChat, name))
    client_params = list(client.parameters.values())
    facade_params = list(facade.parameters.values())
    assert [p.name for p in facade_params] == [p.name for p in client_params], name
    for cp, fp in zip(client_params, facade_params):
        assert fp.kind == cp.kind, f"{name}({fp.name}): kind {fp.kind} != {cp.kind}"
        assert fp.default == cp.default, f"{name}({fp.name}): default {fp.default!r}"
        # Both modules use ``from __future__ import annotations``: annotations are the
        # source strings, which must be spelled identically.
        assert isinstance(fp.annotation, str), f"{name}({fp.name}) is not annotated"
        assert fp.annotation == cp.annotation, f"{name}({fp.name}): {fp.annotation!r}"
    assert isinstance(facade.return_annotation, str), f"{name} has no return annotation"
    assert facade.return_annotation == client.return_annotation, name
    assert facade == client, name


@pytest.mark.parametrize("name", DELEGATES)
def test_delegate_carries_the_client_docstring(name: str):
    client_doc = getattr(CometChatClient, name).__doc__
    assert client_doc and client_doc.strip(), f"CometChatClient.{name} has no docstring"
    assert getattr(CometChat, name).__doc__ == client_doc, name


@pytest.mark.parametrize("name", sorted(FACADE_OWN))
def test_facade_own_methods_are_documented(name: str):
    doc = getattr(CometChat, name).__doc__
    assert doc and doc.strip(), f"CometChat.{name} has no docstring"
    if hasattr(CometChatClient, name):
        assert doc != getattr(CometChatClient, name).__doc__, "close has its own signature"


def test_delegates_raise_init_not_called_before_init():
    CometChat.close()
    with pytest.raises(CometChatException) as caught:
        CometChat.get_logged_in_user()
    assert caught.value.code == ErrorCode.INIT_NOT_CALLED


def test_the_decorator_rejects_a_delegate_with_another_name():
    def get_users(uid: str) -> User:
        raise AssertionError

    with pytest.raises(TypeError, match="delegates to"):
        _delegates_to(CometChatClient.get_user)(get_users)
