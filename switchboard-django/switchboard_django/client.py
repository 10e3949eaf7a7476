"""A pooled HTTP client for Switchboard's HTTP API (PROTOCOL.md §6).

One ``urllib3.PoolManager`` per process keeps connections alive between requests. Each
request has a short time limit (``SWITCHBOARD_TIMEOUT`` to connect, and again for the
answer) and is sent again only after a *connection* error (refused, reset, a stale pooled
connection), at most ``SWITCHBOARD_RETRIES`` times: never after a timeout, so a Switchboard
that hangs costs a view one time limit, not several. Every outcome is counted in
:func:`stats`; failures raise :class:`SwitchboardError`, which the integration logs (or
re-raises when ``SWITCHBOARD_RAISE_ERRORS`` is set, see :func:`report`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from typing import Any

import urllib3
from django.core.signals import setting_changed
from django.dispatch import receiver
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from switchboard_django import conf

logger = logging.getLogger("switchboard_django")

_counters: Counter[str] = Counter()
_counters_lock = threading.Lock()


def _count(name: str) -> None:
    with _counters_lock:
        _counters[name] += 1


def stats() -> dict[str, int]:
    """Return this process's request counters.

    Keys: ``requests``, ``ok``, ``retries``, ``errors`` and ``errors.<kind>``
    (``connection``, ``timeout``, ``http``, ``config``).
    """
    with _counters_lock:
        return dict(_counters)


def reset_stats() -> None:
    """Set every counter back to zero (for tests)."""
    with _counters_lock:
        _counters.clear()


class SwitchboardError(Exception):
    """A request to Switchboard failed.

    ``kind`` is ``connection`` (nothing answered), ``timeout``, ``http`` (an error status:
    ``status`` and Switchboard's error ``code`` are set) or ``config`` (no URL or key).
    """

    def __init__(self, kind: str, message: str, status: int | None = None, code: str = ""):
        """Describe a failure of the given kind."""
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.code = code


class SwitchboardClient:
    """Send JSON requests to one Switchboard server, over pooled keep-alive connections."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 2.0, retries: int = 1):
        """Prepare a pool for ``base_url`` (e.g. ``http://127.0.0.1:8001``)."""
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retries = retries
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=16, block=False, retries=False)

    def request(self, method: str, path: str, body: Any = None, *, encoder=None) -> Any:
        """Send one request and return the decoded JSON answer (``None`` when empty).

        ``body`` is encoded with ``encoder`` (a ``json.JSONEncoder`` class). Raises
        :class:`SwitchboardError` for an error status, a timeout, or a connection error
        that persisted through the retries.
        """
        if not self.base_url:
            _count("errors")
            _count("errors.config")
            raise SwitchboardError("config", "SWITCHBOARD_URL is not set")
        headers = {"Authorization": f"Bearer {self.api_key}"}
        data = None
        if body is not None:
            data = json.dumps(body, cls=encoder).encode()
            headers["Content-Type"] = "application/json"
        url = self.base_url + path
        path = _WINDOW_KEY_IN_PATH.sub(lambda m: short_key(m.group(0)), path)  # for messages
        attempt = 0
        while True:
            _count("requests")
            try:
                response = self.pool.request(
                    method, url, body=data, headers=headers, timeout=self.timeout, retries=False
                )
            except NewConnectionError as err:
                failure = SwitchboardError("connection", f"{method} {path}: cannot connect: {err}")
            except ProtocolError as err:
                failure = SwitchboardError("connection", f"{method} {path}: connection lost: {err}")
            except (ConnectTimeoutError, ReadTimeoutError) as err:
                _count("errors")
                _count("errors.timeout")
                raise SwitchboardError("timeout", f"{method} {path}: timed out: {err}") from err
            except HTTPError as err:
                _count("errors")
                _count("errors.connection")
                raise SwitchboardError("connection", f"{method} {path}: {err}") from err
            else:
                return self._answer(method, path, response)
            if attempt >= self.retries:
                _count("errors")
                _count("errors.connection")
                raise failure
            attempt += 1
            _count("retries")

    @staticmethod
    def _answer(method: str, path: str, response: urllib3.BaseHTTPResponse) -> Any:
        text = response.data.decode("utf-8", "replace")
        payload: Any = None
        if text.strip():
            try:
                payload = json.loads(text)
            except ValueError:
                payload = None
        if 200 <= response.status < 300:
            _count("ok")
            return payload
        _count("errors")
        _count("errors.http")
        error = payload.get("error", {}) if isinstance(payload, dict) else {}
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        message = str(error.get("message", text[:200])) if isinstance(error, dict) else text[:200]
        raise SwitchboardError(
            "http", f"{method} {path}: {response.status} {code}: {message}", response.status, code
        )


_WINDOW_KEY_IN_PATH = re.compile(r"(?<=/windows/)[a-z0-9]{32}")

_client: SwitchboardClient | None = None
_client_lock = threading.Lock()


def get_client() -> SwitchboardClient:
    """Return the process's client for the configured Switchboard (rebuilt when settings change)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = SwitchboardClient(conf.url(), conf.api_key(), conf.timeout(), conf.retries())
        return _client


@receiver(setting_changed)
def _settings_changed(setting: str, **kwargs: Any) -> None:
    global _client
    if setting.startswith("SWITCHBOARD_"):
        with _client_lock:
            _client = None


def report(error: SwitchboardError, what: str) -> None:
    """Log a failed request, and re-raise it when ``SWITCHBOARD_RAISE_ERRORS`` is set."""
    logger.error("switchboard: %s failed (%s): %s", what, error.kind, error)
    if conf.raise_errors():
        raise error


def short_key(key: str | None) -> str:
    """Return a window key as logs show it: its first 6 characters and an ellipsis."""
    return f"{key[:6]}…" if key else "-"
