"""``POST /send`` and ``GET /debug/process`` (see ``views.py``)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("send", views.send),
    path("debug/process", views.process),
]
