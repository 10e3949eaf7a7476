"""df_websockets' serialized topics mapped onto Switchboard's destinations and topic names.

df_websockets names topics with strings that start with ``-`` (``WEBSOCKET_TOPIC_SERIALIZER``,
``df_websockets.topics.serialize_topic``). Switchboard reserves names starting with ``-`` for
its implicit topics (PROTOCOL.md §2.2, §2.3), so each df topic is mapped twice, once for
window registrations and once for triggers, and the two mappings agree: a trigger reaches a
window exactly when df_websockets would have delivered it.

| df topic | registration | trigger destinations |
|---|---|---|
| ``-broadcast`` | implicit (every registered window) | ``"broadcast"`` |
| ``-window.<key>`` (the window's own key) | implicit | ``{"window": key}`` |
| ``-<user app>.<user model>.<pk>``, the window's own user | implicit (``user.id = str(pk)``) | ``{"user": pk}`` and ``{"topic": "df:<app>.<model>.<pk>"}`` |
| the same for another user (a user instance as a topic) | ``df:<app>.<model>.<pk>`` | (same row) |
| anything else: ``-app.model.pk``, ``-str.<sha224>``, ``-int.1``, ``-<ClassName>``, ``-session.<key>``, ``-auth.user.None`` | ``df:`` + the name without its ``-`` | ``{"topic": "df:..."}`` |

Application topic names are ``df:`` followed by the df name without its leading ``-``
(a name without a leading ``-``, from a custom serializer, keeps all its characters). A
name that would break Switchboard's rules (more than 200 bytes, control characters) becomes
``df:sha256:`` + the SHA-256 hex digest of the df name.

Only a window's own ``-window.`` topic is implicit: another window's (which df's serializer
never produces) would become the application topic ``df:window.<key>``, which triggers do
not target.

Without df_websockets, :func:`serialize_topic` (df's ``serialize_topic`` rules) makes the same
serialized names from the same objects, so both modes reach the same Switchboard topics.

Sessions: df_websockets puts a window in ``-session.<key>`` only when the view asked for it,
while every Switchboard window with a session is in its implicit ``-session`` topic; so df
session topics are application topics here, and only subscribed windows receive them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

WINDOW_KEY_RE = re.compile(r"^[a-z0-9]{32}$")
APP_PREFIX = "df:"
MAX_TOPIC_BYTES = 200

BROADCAST_TOPIC = "-broadcast"
WINDOW_PREFIX = "-window."


def user_topic_prefix() -> str:
    """Return df's topic prefix for the configured user model, e.g. ``-auth.user.``."""
    from django.contrib.auth import get_user_model

    meta = get_user_model()._meta
    return f"-{meta.app_label}.{meta.model_name}."


def app_topic(serialized: str) -> str:
    """Return the Switchboard application topic of a df topic that has no implicit equivalent."""
    name = APP_PREFIX + (serialized[1:] if serialized.startswith("-") else serialized)
    if len(name.encode()) > MAX_TOPIC_BYTES or any(unicodedata.category(c) == "Cc" for c in name):
        return APP_PREFIX + "sha256:" + hashlib.sha256(serialized.encode()).hexdigest()
    return name


def _user_pk(serialized: str, prefix: str) -> str | None:
    if serialized.startswith(prefix):
        pk = serialized[len(prefix) :]
        if pk and pk != "None":
            return pk
    return None


def trigger_destinations(serialized_topics: Iterable[str]) -> list[Any]:
    """Map df's serialized topics to the ``to`` list of ``POST /api/v1/trigger`` (§6.5).

    Duplicates are removed (Switchboard delivers a trigger once per window anyway). A
    ``-window.`` topic whose key is not well formed (``-window.None``) reaches nobody in
    df_websockets either, and is left out.
    """
    prefix = user_topic_prefix()
    destinations: list[Any] = []
    seen: set[str] = set()

    def add(destination: Any) -> None:
        marker = repr(destination)
        if marker not in seen:
            seen.add(marker)
            destinations.append(destination)

    for serialized in serialized_topics:
        if serialized is None:
            continue
        if serialized == BROADCAST_TOPIC:
            add("broadcast")
        elif serialized.startswith(WINDOW_PREFIX):
            key = serialized[len(WINDOW_PREFIX) :]
            if WINDOW_KEY_RE.match(key):
                add({"window": key})
        elif (pk := _user_pk(serialized, prefix)) is not None:
            add({"user": pk})
            add({"topic": app_topic(serialized)})
        else:
            add({"topic": app_topic(serialized)})
    return destinations


def registration_topics(
    serialized_topics: Iterable[str], window_key: str, user_id: str | None
) -> list[str]:
    """Map the df topics of a window to the application topics of its registration (§6.2).

    ``window_key`` is the window's own key and ``user_id`` its user's id (``str(pk)``) or
    ``None``: their df topics are implicit in Switchboard and are left out, like
    ``-broadcast``. The result is sorted and has no duplicates.
    """
    prefix = user_topic_prefix()
    topics: set[str] = set()
    for serialized in serialized_topics:
        if serialized is None or serialized == BROADCAST_TOPIC:
            continue
        if serialized == WINDOW_PREFIX + window_key:
            continue
        if user_id is not None and _user_pk(serialized, prefix) == user_id:
            continue
        topics.add(app_topic(serialized))
    return sorted(topics)


def serialize_topic(window_info: Any, obj: Any) -> str | None:
    """Serialize a topic object as df_websockets 1.2.6 does (the df-less mode's serializer).

    ``BROADCAST`` is ``-broadcast``; ``WINDOW`` ``-window.<key>`` and ``USER``
    ``-<app>.<user model>.<pk>`` (``None`` without a window); a model instance
    ``-<app_label>.<model_name>.<pk>``; a string ``-str.<sha224 hex>``; a class
    ``-<ClassName>``; a ``Session`` ``-session.<key>``; anything else
    ``-<type name>.<hash(obj)>`` (``-int.1`` for 1).
    """
    from django.contrib.auth import get_user_model
    from django.db.models import Model

    from switchboard_django.tasks import BROADCAST, USER, WINDOW
    from switchboard_django.window_info import Session

    if obj is BROADCAST:
        return BROADCAST_TOPIC
    if obj is WINDOW:
        if window_info is None:
            return None
        return f"{WINDOW_PREFIX}{window_info.window_key}"
    if isinstance(obj, type):
        return f"-<{obj.__name__}>"
    if isinstance(obj, str):
        return "-str." + hashlib.sha224(obj.encode()).hexdigest()
    if isinstance(obj, Model):
        meta = obj._meta
        return f"-{meta.app_label}.{meta.model_name}.{obj.pk or 0}"
    if obj is USER:
        if window_info is None:
            return None
        meta = get_user_model()._meta
        return f"-{meta.app_label}.{meta.model_name}.{window_info.user_pk}"
    if isinstance(obj, Session):
        return f"-session.{obj.key}"
    return f"-{type(obj).__name__}.{hash(obj)}"
