"""Views of the example site: a page with topics, and views that trigger signals."""

from df_websockets.tasks import BROADCAST, USER, WINDOW, set_websocket_topics, trigger
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from chat.models import Room


def index(request):
    """The chat page: its window joins the lobby and the `news` topic."""
    lobby = Room.objects.get(name="lobby")
    set_websocket_topics(request, lobby, "news")
    return render(request, "chat/index.html", {"room": lobby})


@login_required
@require_POST
def notify_user(request):
    """Send a notice to every window of the current user."""
    trigger(request, "chat.notice", to=[USER], text=request.POST.get("text", ""))
    return HttpResponse(status=204)


@require_POST
def notify_everyone(request):
    """Send a notice to every window."""
    trigger(request, "chat.notice", to=[BROADCAST], text=request.POST.get("text", ""))
    return HttpResponse(status=204)


@require_POST
def notify_news(request):
    """Send a notice to the windows of the `news` topic."""
    trigger(request, "chat.news", to=["news"], text=request.POST.get("text", ""))
    return HttpResponse(status=204)


@require_POST
def post_to_room(request, pk):
    """Post a message to a room's windows (a model instance as the topic)."""
    room = get_object_or_404(Room, pk=pk)
    text = request.POST.get("text", "")
    trigger(request, "chat.message", to=[room], room=room.name, text=text, by="a view")
    return HttpResponse(status=204)


@require_POST
def ping_window(request):
    """An AJAX view: df reuses the page's window key (DFWSKEY header or cookie)."""
    trigger(request, "chat.pong", to=[WINDOW], text=request.POST.get("text", ""))
    return JsonResponse({"window": request.window_key is not None})
