"""Views that send over REST with the process's client (made on the first request)."""

from __future__ import annotations

import json
import os

from django.http import HttpRequest
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django.views.decorators.http import require_POST

import cometchat_sync
from cometchat_sync import TextMessage
from cometchat_sync.integrations.django import get_client
from cometchat_sync.integrations.django.apps import holder


def sdk_threads() -> list[str]:
    """The names of this process's SDK threads (none in a REST-only worker)."""
    return [t.name for t in cometchat_sync.sdk_threads()]


@csrf_exempt
@require_POST
def send(request: HttpRequest) -> JsonResponse:
    """Send ``text`` to ``to`` (JSON body or form); answer the message id and this process."""
    values = json.loads(request.body) if request.body.startswith(b"{") else request.POST
    sent = get_client().send_message(TextMessage(values["to"], values["text"]))
    return JsonResponse({"id": sent.id, "pid": os.getpid(), "sdk_threads": sdk_threads()})


@require_GET
def process(request: HttpRequest) -> JsonResponse:
    """This process's id, its SDK threads and whether it made its client yet."""
    made = holder().made
    return JsonResponse({"pid": os.getpid(), "sdk_threads": sdk_threads(), "client_made": made})
