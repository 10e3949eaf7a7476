"""ASGI entry point: Django for HTTP, BenchConsumer for /ws/."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchproj.settings")

from django.core.asgi import get_asgi_application

# Initialise Django before importing anything that touches models/settings.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from benchproj.consumers import BenchConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/", BenchConsumer.as_asgi())]),
    }
)
