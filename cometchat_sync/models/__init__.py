"""Typed model objects parsed from CometChat's wire JSON."""

from .user import User

__all__ = ["User"]
