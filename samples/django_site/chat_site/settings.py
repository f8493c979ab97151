"""Settings of the sample site. ``COMETCHAT`` is empty here: every value comes from the
``COMETCHAT_*`` environment variables (APP_ID, REGION, UID, AUTH_KEY or AUTH_TOKEN,
CLIENT_HOST, ADMIN_HOST, SESSION_DIR); ``LISTENERS`` names the bot that
``manage.py cometchat_listen`` runs.

    gunicorn --preload -w 4 --chdir samples/django_site chat_site.wsgi
    python samples/django_site/manage.py cometchat_listen --print
"""

from __future__ import annotations

import os

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sample-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["cometchat_sync.integrations.django"]
ROOT_URLCONF = "chat_site.urls"
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
LOGGING = {"version": 1, "disable_existing_loggers": False}

COMETCHAT = {"LISTENERS": "chat_site.bot.setup"}
