"""The two requests both modes send to Switchboard: a window's registration and a trigger.

:func:`register_window` is ``PUT /api/v1/windows/{key}`` (PROTOCOL.md §6.2.1) with the
identity of a ``WindowInfo`` (df's or the package's own) and its df topics mapped by
:mod:`switchboard_django.topics`; :func:`send_trigger` is ``POST /api/v1/trigger`` (§6.5)
with the mapped destinations. A failure is logged and counted, and reaches the caller only
with ``SWITCHBOARD_RAISE_ERRORS`` (:func:`switchboard_django.client.report`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from switchboard_django import answer_triggers, identity, topics
from switchboard_django.client import SwitchboardError, get_client, report, short_key

logger = logging.getLogger("switchboard_django")


def send_trigger(
    signal_name: str,
    signal_id: str | None,
    serialized_topics: Iterable[str],
    kwargs: dict | None,
    encoder: Any = None,
) -> None:
    """Send a trigger to the windows of df's serialized topics (nothing when none maps).

    ``encoder`` is the JSON encoder class of the arguments (df's ``WEBSOCKET_SIGNAL_ENCODER``).
    """
    destinations = topics.trigger_destinations(serialized_topics)
    if not destinations:
        return
    body: dict[str, Any] = {"signal": signal_name, "opts": kwargs or {}, "to": destinations}
    if signal_id:
        body["signal_id"] = str(signal_id)
    held = answer_triggers.current()
    if held is not None:  # made by a handler of a backend call: it rides in the answer
        held.add(body, encoder)
        return
    post_trigger(body, encoder)


def post_trigger(body: dict[str, Any], encoder: Any = None) -> None:
    """``POST /api/v1/trigger`` with ``body``; a failure is reported, never raised by default."""
    try:
        get_client().request("POST", "/api/v1/trigger", body, encoder=encoder)
    except SwitchboardError as err:
        report(err, f"trigger of {body.get('signal')}")


def register_window(
    request: Any, window_info: Any, serialized_topics: Iterable[str], ttl: int | None
) -> None:
    """Register the window of ``request`` with its identity and df's serialized topics.

    A malformed key (df takes the key of an XHR from the ``DFWSKEY`` header as is) is not
    sent: Switchboard would refuse it.
    """
    key = getattr(request, "window_key", None)
    if not isinstance(key, str) or not topics.WINDOW_KEY_RE.match(key):
        logger.warning("switchboard: not registering a malformed window key")
        return
    user = identity.user_of(window_info)
    app_topics = topics.registration_topics(serialized_topics, key, user["id"] if user else None)
    body = identity.registration_body(request, window_info, app_topics, ttl=ttl)
    try:
        get_client().request("PUT", f"/api/v1/windows/{key}", body)
    except SwitchboardError as err:
        report(err, f"registration of window {short_key(key)}")
