"""System checks (``manage.py check``) for switchboard-django's settings.

| id | level | when |
|---|---|---|
| ``switchboard_django.E001`` | Error | ``SWITCHBOARD_URL`` is not set or not an http(s) URL |
| ``switchboard_django.E002`` | Error | ``SWITCHBOARD_API_KEY`` is missing or shorter than 16 characters |
| ``switchboard_django.W001`` | Warning | ``SWITCHBOARD_BACKEND_KEY`` is missing or shorter than 16 characters |
| ``switchboard_django.W002`` | Warning | ``switchboard_django.urls`` is not included in the URLconf |
| ``switchboard_django.W003`` | Warning | Switchboard does not answer ``GET /healthz`` (1 s time limit) |
| ``switchboard_django.W004`` | Warning | ``SWITCHBOARD_PUBLIC_URL`` is set but not an http(s) URL |
| ``switchboard_django.W005`` | Warning | without df_websockets, ``switchboard_django.middleware.WebsocketMiddleware`` is not in ``MIDDLEWARE`` |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse

from switchboard_django import conf

MIN_KEY = 16
MIDDLEWARE = "switchboard_django.middleware.WebsocketMiddleware"


@register(Tags.compatibility, "switchboard")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list:
    """Report missing or weak settings, a missing URL include and an unreachable server."""
    messages: list = []
    url = conf.url()
    if not url.startswith(("http://", "https://")):
        messages.append(
            Error(
                "SWITCHBOARD_URL is not set to Switchboard's base URL.",
                hint="e.g. SWITCHBOARD_URL = 'http://127.0.0.1:8001' (its HTTP API, §6).",
                id="switchboard_django.E001",
            )
        )
    if len(conf.api_key()) < MIN_KEY:
        messages.append(
            Error(
                "SWITCHBOARD_API_KEY is missing or shorter than 16 characters.",
                hint="Use the key Switchboard runs with (switchboard serve --api-key ...).",
                id="switchboard_django.E002",
            )
        )
    if len(conf.backend_key()) < MIN_KEY:
        messages.append(
            Warning(
                "SWITCHBOARD_BACKEND_KEY is missing or shorter than 16 characters: "
                "browser calls to Python handlers will be refused.",
                hint="Set a random secret and pass it to switchboard serve --backend-key.",
                id="switchboard_django.W001",
            )
        )
    try:
        reverse("switchboard_django:signals")
    except NoReverseMatch:
        messages.append(
            Warning(
                "switchboard_django.urls is not included in the URLconf.",
                hint='Add path("switchboard/", include("switchboard_django.urls")).',
                id="switchboard_django.W002",
            )
        )
    public = str(getattr(settings, "SWITCHBOARD_PUBLIC_URL", "") or "")
    if public and not public.startswith(("http://", "https://")):
        messages.append(
            Warning(
                "SWITCHBOARD_PUBLIC_URL is not an http(s) URL.",
                hint="The URL browsers reach Switchboard at, e.g. 'https://ws.example.com'.",
                id="switchboard_django.W004",
            )
        )
    if not conf.df_mode() and MIDDLEWARE not in getattr(settings, "MIDDLEWARE", ()):
        messages.append(
            Warning(
                f"{MIDDLEWARE} is not in MIDDLEWARE: pages get no window key and "
                "set_websocket_topics fails.",
                hint="Add it after django.contrib.auth.middleware.AuthenticationMiddleware.",
                id="switchboard_django.W005",
            )
        )
    if url.startswith(("http://", "https://")) and conf.check_reachable():
        messages.extend(_reachability(url))
    return messages


def _reachability(url: str) -> list:
    from switchboard_django.client import SwitchboardClient, SwitchboardError

    client = SwitchboardClient(url, conf.api_key(), timeout=min(1.0, conf.timeout()), retries=0)
    try:
        client.request("GET", "/healthz")
    except SwitchboardError as err:
        return [
            Warning(
                f"Switchboard does not answer at {url}: {err}",
                hint="Start it (manage.py switchboard prints the command) or fix SWITCHBOARD_URL.",
                id="switchboard_django.W003",
            )
        ]
    finally:
        client.pool.clear()
    return []
