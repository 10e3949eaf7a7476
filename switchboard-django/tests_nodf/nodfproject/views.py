"""Views of the df-less test site, written against switchboard_django's df-style API."""

import json

from django.http import JsonResponse
from django.shortcuts import render

from nodfapp.models import Room
from switchboard_django import BROADCAST, SERVER, SYNC, USER, WINDOW, set_websocket_topics, trigger

TARGETS = {"WINDOW": WINDOW, "USER": USER, "BROADCAST": BROADCAST, "SERVER": SERVER, "SYNC": SYNC}


def _topic(name: str):
    """``room:NAME`` is a Room instance, ``int:N`` an int, anything else the string itself."""
    if name.startswith("room:"):
        return Room.objects.get_or_create(name=name[5:])[0]
    if name.startswith("int:"):
        return int(name[4:])
    return TARGETS.get(name, name)


def page(request):
    """A page whose window is subscribed to the topics named in ``?topic=`` parameters."""
    set_websocket_topics(request, *[_topic(t) for t in request.GET.getlist("topic")])
    return render(request, "nodfapp/page.html")


def plain(request):
    """A page that sets no topics (and renders the tags all the same)."""
    return render(request, "nodfapp/page.html")


def notify(request):
    """Trigger ``signal`` to the destinations named in ``?to=`` with the JSON ``?opts=``."""
    to = [_topic(t) for t in request.GET.getlist("to")]
    opts = json.loads(request.GET.get("opts", "{}"))
    trigger(request, request.GET.get("signal", "test.notified"), to=to, **opts)
    return JsonResponse({"window_key": request.window_key})
