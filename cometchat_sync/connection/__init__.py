"""The real-time link: lifecycle state, reader and timer threads, transport seam."""

from .state import AppState, ConnectionStateChange, ConnectionStatus, DisconnectReason

__all__ = ["AppState", "ConnectionStateChange", "ConnectionStatus", "DisconnectReason"]
