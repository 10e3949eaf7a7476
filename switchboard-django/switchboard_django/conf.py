"""Settings of switchboard-django, read from Django's settings at each use.

Reading them lazily keeps ``override_settings`` working in tests and lets a site change them
without restarting anything but Django.

| setting | default | meaning |
|---|---|---|
| ``SWITCHBOARD_URL`` | ``""`` | base URL of Switchboard's HTTP API, e.g. ``http://127.0.0.1:8001`` |
| ``SWITCHBOARD_API_KEY`` | ``""`` | the API key Switchboard was started with (``--api-key``) |
| ``SWITCHBOARD_BACKEND_KEY`` | ``""`` | the secret Switchboard presents to the backend views |
| ``SWITCHBOARD_BACKEND_URL`` | ``""`` | the backend URL Switchboard calls (for ``manage.py switchboard``) |
| ``SWITCHBOARD_PUBLIC_WS_URL`` | ``""`` | websocket URL written into the ``dfwsurl`` cookie |
| ``SWITCHBOARD_PUBLIC_URL`` | ``""`` | Switchboard's HTTP URL as browsers reach it, for ``{% switchboard_script %}`` (else derived from ``SWITCHBOARD_PUBLIC_WS_URL``) |
| ``SWITCHBOARD_TIMEOUT`` | ``2.0`` | seconds for connecting, and again for the answer |
| ``SWITCHBOARD_RETRIES`` | ``1`` | extra attempts after a connection error (never after a timeout) |
| ``SWITCHBOARD_RAISE_ERRORS`` | ``False`` | raise ``SwitchboardError`` instead of logging |
| ``SWITCHBOARD_CHECK_REACHABLE`` | ``True`` | ``manage.py check`` asks ``/healthz`` |

Without df_websockets, the package reads df's own setting names for what they meant there:

| setting | default | meaning |
|---|---|---|
| ``WEBSOCKET_URL`` | ``"/ws/"`` | path of the websocket in the default ``dfwsurl`` cookie (``ws(s)://<host><path>``) |
| ``WEBSOCKET_DEFAULT_QUEUE`` | ``"celery"`` | queue of handlers declared without one |
| ``WEBSOCKET_POOL_SIZES`` | ``{None: 10}`` | threads per queue for ``SERVER`` triggers (and the queue sizes sent to Switchboard) |
| ``WEBSOCKET_CACHE_EXPIRE`` | ``36000`` | time-to-live of window registrations, in seconds |
| ``WEBSOCKET_SIGNAL_ENCODER`` | ``"django.core.serializers.json.DjangoJSONEncoder"`` | JSON encoder of signal arguments |
| ``WEBSOCKET_TOPIC_SERIALIZER`` | ``"switchboard_django.topics.serialize_topic"`` | df's topic serializer (objects to topic names) |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

MAX_RETRIES = 3


def url() -> str:
    """Return the API base URL without a trailing slash ("" when unset)."""
    return str(getattr(settings, "SWITCHBOARD_URL", "") or "").rstrip("/")


def api_key() -> str:
    """Return the bearer key of Switchboard's HTTP API."""
    return str(getattr(settings, "SWITCHBOARD_API_KEY", "") or "")


def backend_key() -> str:
    """Return the secret Switchboard must present when it calls the backend views."""
    return str(getattr(settings, "SWITCHBOARD_BACKEND_KEY", "") or "")


def backend_url() -> str:
    """Return the configured backend URL ("" when it must be derived)."""
    return str(getattr(settings, "SWITCHBOARD_BACKEND_URL", "") or "")


def public_ws_url() -> str:
    """Return the websocket URL pages must use ("" keeps df_websockets' own cookie)."""
    return str(getattr(settings, "SWITCHBOARD_PUBLIC_WS_URL", "") or "")


def timeout() -> float:
    """Return the time limit, in seconds, of each connect and of each answer."""
    return float(getattr(settings, "SWITCHBOARD_TIMEOUT", 2.0))


def retries() -> int:
    """Return how many times a request is sent again after a connection error (0 to 3)."""
    return max(0, min(MAX_RETRIES, int(getattr(settings, "SWITCHBOARD_RETRIES", 1))))


def raise_errors() -> bool:
    """Return whether API failures raise into the caller instead of being logged."""
    return bool(getattr(settings, "SWITCHBOARD_RAISE_ERRORS", False))


def check_reachable() -> bool:
    """Return whether the system check asks Switchboard's ``/healthz``."""
    return bool(getattr(settings, "SWITCHBOARD_CHECK_REACHABLE", True))


def public_url() -> str:
    """Return Switchboard's public HTTP base URL, without a trailing slash ("" when unknown).

    ``SWITCHBOARD_PUBLIC_URL`` when set, else the origin of ``SWITCHBOARD_PUBLIC_WS_URL``
    with ``ws``/``wss`` turned into ``http``/``https``.
    """
    explicit = str(getattr(settings, "SWITCHBOARD_PUBLIC_URL", "") or "")
    if explicit:
        return explicit.rstrip("/")
    ws_url = public_ws_url()
    for ws_scheme, http_scheme in (("wss://", "https://"), ("ws://", "http://")):
        if ws_url.startswith(ws_scheme):
            host = ws_url[len(ws_scheme) :].split("/", 1)[0].split("?", 1)[0]
            return http_scheme + host if host else ""
    return ""


def df_mode() -> bool:
    """Return whether the site uses df_websockets (``df_websockets`` in ``INSTALLED_APPS``).

    Before the app registry is ready, ``INSTALLED_APPS`` itself is read.
    """
    from django.apps import apps

    if apps.apps_ready:
        return apps.is_installed("df_websockets")
    return any(
        str(name) == "df_websockets" or str(name).startswith("df_websockets.")
        for name in getattr(settings, "INSTALLED_APPS", ())
    )


# df_websockets' settings, read by the df-less mode (see the second table above).


def ws_path() -> str:
    """Return the websocket path of the default ``dfwsurl`` cookie (``WEBSOCKET_URL``)."""
    return str(getattr(settings, "WEBSOCKET_URL", "/ws/") or "/ws/")


def default_queue() -> str:
    """Return the queue of handlers declared without one (``WEBSOCKET_DEFAULT_QUEUE``)."""
    return str(getattr(settings, "WEBSOCKET_DEFAULT_QUEUE", "celery") or "celery")


def pool_sizes() -> dict[Any, int]:
    """Return the threads of each queue (``WEBSOCKET_POOL_SIZES``, ``None`` for the others)."""
    return dict(getattr(settings, "WEBSOCKET_POOL_SIZES", {None: 10}))


def pool_size(queue: str) -> int:
    """Return the number of threads of one queue."""
    sizes = pool_sizes()
    return max(1, int(sizes.get(queue, sizes.get(None, 10))))


def window_ttl() -> int:
    """Return the time-to-live of a window registration (``WEBSOCKET_CACHE_EXPIRE``)."""
    return int(getattr(settings, "WEBSOCKET_CACHE_EXPIRE", 36000))


def signal_encoder() -> Any:
    """Return the JSON encoder class of signal arguments (``WEBSOCKET_SIGNAL_ENCODER``)."""
    return import_string(
        getattr(
            settings,
            "WEBSOCKET_SIGNAL_ENCODER",
            "django.core.serializers.json.DjangoJSONEncoder",
        )
    )


def topic_serializer() -> Any:
    """Return the function serializing topics (``WEBSOCKET_TOPIC_SERIALIZER``)."""
    return import_string(
        getattr(settings, "WEBSOCKET_TOPIC_SERIALIZER", "switchboard_django.topics.serialize_topic")
    )
