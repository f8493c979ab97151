"""Integrations with application frameworks, one module each, imported only by the apps that
use them: ``cometchat_sync.integrations.tk`` (Tkinter desktop apps).
"""
