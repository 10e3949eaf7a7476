"""``WebsocketMiddleware`` for sites without df_websockets: a window per page, registered.

It does what ``df_websockets.middleware.WebsocketMiddleware`` (1.2.6) does, and registers
the window with Switchboard instead of storing its topics in a cache:

- every request gets ``request.window_key``: a new key (32 characters of ``[a-z0-9]``), or,
  for an XHR (``X-Requested-With: XMLHttpRequest``), the page's key from the ``DFWSKEY``
  header or else the ``dfwskey`` cookie, so triggers to ``WINDOW`` reach the page;
- when the view called ``set_websocket_topics``, the response registers the window
  (``PUT /api/v1/windows/{key}``: identity, topics, ``WEBSOCKET_CACHE_EXPIRE`` as its
  time-to-live) and sets df's cookies: ``dfwskey`` (the key) and ``dfwsurl`` (the websocket
  URL: ``SWITCHBOARD_PUBLIC_WS_URL``, else ``ws(s)://<host>`` + ``WEBSOCKET_URL``), with the
  attributes of the CSRF cookie, readable by scripts, for 24 hours.

Put it after ``AuthenticationMiddleware``::

    MIDDLEWARE = [..., "switchboard_django.middleware.WebsocketMiddleware"]
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import get_random_string
from django.utils.deprecation import MiddlewareMixin

from switchboard_django import api, conf
from switchboard_django.window_info import WindowInfo

KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
KEY_COOKIE = "dfwskey"
URL_COOKIE = "dfwsurl"


def new_window_key() -> str:
    """Return a fresh window key: 32 random characters of ``[a-z0-9]``."""
    return get_random_string(32, KEY_CHARS)


def ws_url(request: HttpRequest) -> str:
    """Return the websocket URL of a page (without the key)."""
    public = conf.public_ws_url()
    if public:
        return public
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}{conf.ws_path()}"


class WebsocketMiddleware(MiddlewareMixin):
    """Give each page a window key; register the windows of views that set topics."""

    ws_windowkey_get_parameter = "dfwskey"
    ws_windowkey_header_name = "DFWSKEY"

    def process_request(self, request: HttpRequest) -> None:
        """Set ``request.window_key`` (the page's own key for an XHR)."""
        key = None
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            key = request.META.get(f"HTTP_{self.ws_windowkey_header_name}")
            if not key:
                key = request.COOKIES.get(KEY_COOKIE)
        request.window_key = key or new_window_key()
        request.has_websocket_topics = False
        request.websocket_topics = []

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Register the window and set the cookies when the view called set_websocket_topics."""
        if not getattr(request, "has_websocket_topics", False):
            return response
        api.register_window(
            request,
            WindowInfo.from_request(request),
            getattr(request, "websocket_topics", []),
            ttl=conf.window_ttl(),
        )
        attributes: dict[str, Any] = {
            "max_age": 86400,
            "domain": settings.CSRF_COOKIE_DOMAIN,
            "path": settings.CSRF_COOKIE_PATH,
            "secure": request.is_secure(),
            "httponly": False,
            "samesite": settings.CSRF_COOKIE_SAMESITE,
        }
        response.set_cookie(URL_COOKIE, quote_plus(ws_url(request)), **attributes)
        response.set_cookie(KEY_COOKIE, request.window_key, **attributes)
        return response
