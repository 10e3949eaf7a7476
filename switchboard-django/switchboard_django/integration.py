"""The df_websockets 1.2.6 hooks that send a site's windows and triggers to Switchboard.

:func:`install` runs from ``AppConfig.ready()`` and patches two attributes that df looks up
at call time, so views that imported df's functions earlier are covered too:

- ``df_websockets.middleware.WebsocketMiddleware.process_response`` (on the class): after
  df's own logic (its ``dfwskey``/``dfwsurl`` cookies), when the view called
  ``set_websocket_topics``, the window's topics are read back from df's cache and the window
  is registered with ``PUT /api/v1/windows/{request.window_key}``, with the identity of
  ``WindowInfo.from_request(request)``. ``SWITCHBOARD_PUBLIC_WS_URL`` replaces ``dfwsurl``.
- ``df_websockets.tasks._call_ws_signal``, df's single choke point for browser-bound
  signals (``trigger`` to anything but ``SERVER``): one ``POST /api/v1/trigger`` with the
  mapped destinations, df's ``signal_id`` and the kwargs encoded with
  ``WEBSOCKET_SIGNAL_ENCODER``. ``SERVER`` destinations still go through df's ``call_task``,
  so Python handlers run as before, and ``df_websockets.testing.SignalQueue``, which swaps
  ``_call_ws_signal`` for its own recorder and then restores ours, keeps working.

- ``df_websockets.tasks._trigger_signal`` (what ``trigger`` and ``trigger_signal`` call):
  the request is turned into a ``WindowInfo`` here, in the view's thread, before df enters
  its event loop. df 1.2.6 does it inside the loop, where reading a ``request.user`` that
  the view never touched queries the database from async code and fails with
  ``SynchronousOnlyOperation``.

A failed request is logged and counted and never reaches the view, unless
``SWITCHBOARD_RAISE_ERRORS`` is set.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

from switchboard_django import api, topics
from switchboard_django.client import short_key

logger = logging.getLogger("switchboard_django")

PATCH_MARK = "_switchboard_django"


class _Done:
    """An awaitable that is already finished.

    df 1.2.6 awaits ``_call_ws_signal`` in ``_trigger_signal_async`` but calls it without
    awaiting in ``process_task`` (delayed Celery deliveries): the request is sent when the
    function is called, so both ways deliver.
    """

    def __await__(self) -> Iterator[Any]:
        return iter(())


def send_trigger(
    signal_name: str, signal_id: str | None, serialized_topics: list[str], kwargs: dict
) -> None:
    """Send a df trigger to Switchboard: ``POST /api/v1/trigger`` with mapped destinations."""
    from df_websockets import tasks

    api.send_trigger(signal_name, signal_id, serialized_topics, kwargs, tasks._signal_encoder)


def call_ws_signal(
    signal_name: str, signal_id: str, serialized_topics: list[str] | str, kwargs: dict
) -> _Done:
    """Replace ``df_websockets.tasks._call_ws_signal``: deliver through Switchboard."""
    if isinstance(serialized_topics, str):
        serialized_topics = [serialized_topics]
    send_trigger(signal_name, signal_id, list(serialized_topics), kwargs)
    return _Done()


setattr(call_ws_signal, PATCH_MARK, True)


def window_topics(window_key: str) -> list[str]:
    """Return the serialized df topics stored for a window by ``set_websocket_topics``."""
    from df_websockets import ws_settings
    from django.core.cache import caches

    cache = caches[ws_settings.WEBSOCKET_CACHE_BACKEND]
    raw = cache.get(f"{ws_settings.WEBSOCKET_CACHE_PREFIX}{window_key}")
    if not raw:
        logger.warning(
            "switchboard: no topics in df's cache for window %s (WEBSOCKET_CACHE_BACKEND)",
            short_key(window_key),
        )
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [str(t) for t in value] if isinstance(value, list) else []


def register_window(request: Any) -> None:
    """Register the window of a request that called ``set_websocket_topics``."""
    from df_websockets import ws_settings
    from df_websockets.window_info import WindowInfo

    key = getattr(request, "window_key", None)
    if not isinstance(key, str) or not topics.WINDOW_KEY_RE.match(key):
        # df takes the key of an XHR from the DFWSKEY header as is; Switchboard would refuse it.
        logger.warning("switchboard: not registering a malformed window key")
        return
    api.register_window(
        request,
        WindowInfo.from_request(request),
        window_topics(key),
        ttl=ws_settings.WEBSOCKET_CACHE_EXPIRE,
    )


def _public_ws_url_cookie(request: Any, response: Any) -> None:
    from django.conf import settings

    from switchboard_django import conf

    url = conf.public_ws_url()
    if not url:
        return
    response.set_cookie(
        "dfwsurl",
        quote_plus(url),
        max_age=86400,
        domain=settings.CSRF_COOKIE_DOMAIN,
        path=settings.CSRF_COOKIE_PATH,
        secure=request.is_secure(),
        httponly=False,
        samesite=settings.CSRF_COOKIE_SAMESITE,
    )


def _patch_middleware() -> None:
    from df_websockets.middleware import WebsocketMiddleware

    original = WebsocketMiddleware.process_response
    if getattr(original, PATCH_MARK, False):
        return

    def process_response(self: Any, request: Any, response: Any) -> Any:
        response = original(self, request, response)
        if getattr(request, "has_websocket_topics", False):
            register_window(request)
            _public_ws_url_cookie(request, response)
        return response

    process_response.__wrapped__ = original  # type: ignore[attr-defined]
    process_response.__doc__ = original.__doc__
    setattr(process_response, PATCH_MARK, True)
    WebsocketMiddleware.process_response = process_response


def _patch_tasks() -> None:
    from df_websockets import tasks
    from df_websockets.window_info import WindowInfo

    if not getattr(tasks._call_ws_signal, PATCH_MARK, False):
        tasks._call_ws_signal = call_ws_signal
    original = tasks._trigger_signal
    if getattr(original, PATCH_MARK, False):
        return

    def trigger_signal(window_info: Any, *args: Any, **kwargs: Any) -> Any:
        """df's ``_trigger_signal``, with the request read in the caller's thread."""
        return original(WindowInfo.from_request(window_info), *args, **kwargs)

    trigger_signal.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(trigger_signal, PATCH_MARK, True)
    tasks._trigger_signal = trigger_signal


def install() -> None:
    """Install both hooks (idempotent)."""
    _patch_middleware()
    _patch_tasks()
