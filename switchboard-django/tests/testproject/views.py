"""Views of the test site, written against df_websockets' API only."""

import json

from df_websockets.tasks import BROADCAST, SERVER, USER, WINDOW, set_websocket_topics, trigger
from django.http import HttpResponse, JsonResponse

from testapp.models import Room

TARGETS = {"WINDOW": WINDOW, "USER": USER, "BROADCAST": BROADCAST, "SERVER": SERVER}


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
    return HttpResponse(f"window {request.window_key}")


def notify(request):
    """Trigger ``signal`` to the destinations named in ``?to=`` with the JSON ``?opts=``."""
    to = [_topic(t) for t in request.GET.getlist("to")]
    opts = json.loads(request.GET.get("opts", "{}"))
    trigger(request, request.GET.get("signal", "test.notified"), to=to, **opts)
    return JsonResponse({"window_key": request.window_key})
