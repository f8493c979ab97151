"""Integrations with application frameworks, one module each, imported only by the apps that
use them: ``cometchat_sync.integrations.tk`` (Tkinter desktop apps),
``cometchat_sync.integrations.flask`` (a Flask extension) and
``cometchat_sync.integrations.django`` (a Django app with ``get_client()`` and the
``cometchat_listen`` command). The web ones make one client per process, lazily, and keep web
workers to REST (see ``docs/integrations.md``).
"""
