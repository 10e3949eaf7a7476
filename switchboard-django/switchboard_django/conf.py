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
| ``SWITCHBOARD_TIMEOUT`` | ``2.0`` | seconds for connecting, and again for the answer |
| ``SWITCHBOARD_RETRIES`` | ``1`` | extra attempts after a connection error (never after a timeout) |
| ``SWITCHBOARD_RAISE_ERRORS`` | ``False`` | raise ``SwitchboardError`` instead of logging |
| ``SWITCHBOARD_CHECK_REACHABLE`` | ``True`` | ``manage.py check`` asks ``/healthz`` |
"""

from __future__ import annotations

from django.conf import settings

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
