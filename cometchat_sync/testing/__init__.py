"""Test kit: a faithful local CometChat emulator and helpers (needs ``cometchat-sync[emulator]``)."""
