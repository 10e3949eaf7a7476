"""``{% load switchboard %}``: the tags that connect a page to Switchboard.

- ``{% switchboard_script %}``: ``<script src="URL/static/switchboard.js" defer></script>``,
  the ``DFSignals`` client that Switchboard serves itself (PROTOCOL.md §6.8). ``URL`` is
  ``SWITCHBOARD_PUBLIC_URL``, else the origin of ``SWITCHBOARD_PUBLIC_WS_URL`` (``wss://`` to
  ``https://``); without either the path is relative to the site (``/static/switchboard.js``,
  which the reverse proxy must then send to Switchboard).
- ``{% switchboard_meta %}``: the ``df-window-key`` and ``df-ws-url`` meta tags of the page's
  window, when its view called ``set_websocket_topics`` (nothing otherwise; needs
  ``request`` in the context). The client prefers them to the ``dfwskey``/``dfwsurl``
  cookies, which two tabs share.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from switchboard_django import conf

register = template.Library()

SCRIPT_PATH = "/static/switchboard.js"


def script_url() -> str:
    """Return the URL of Switchboard's ``switchboard.js``."""
    return conf.public_url() + SCRIPT_PATH


@register.simple_tag
def switchboard_script() -> str:
    """Render the ``<script>`` element of Switchboard's bundled client."""
    return format_html('<script src="{}" defer></script>', script_url())


@register.simple_tag(takes_context=True)
def switchboard_meta(context: Any) -> str:
    """Render the meta tags of the page's window ("" when it was not registered)."""
    from switchboard_django.middleware import ws_url

    request = context.get("request")
    if request is None or not getattr(request, "has_websocket_topics", False):
        return ""
    return format_html(
        '<meta name="df-window-key" content="{}">\n<meta name="df-ws-url" content="{}">',
        request.window_key,
        ws_url(request),
    )
