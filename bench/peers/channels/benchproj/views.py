"""HTTP side: POST /trigger fans the raw body out to the "bench" group."""

from channels.layers import get_channel_layer
from django.http import HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
async def trigger(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    body = request.body.decode("utf-8", errors="replace")
    await get_channel_layer().group_send("bench", {"type": "bench.message", "text": body})
    return JsonResponse({"ok": True}, status=202)


async def stats(request):
    return JsonResponse({})
