"""The SDK's version, and the CometChat API version it speaks."""

__version__ = "0.1.0"

API_VERSION = "v3.0"
"""The REST and socket API version (the ``v3.0`` path segment of
https://www.cometchat.com/docs/rest-api/ and the ``apiVersion`` the official SDKs send)."""
