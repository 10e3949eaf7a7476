"""A ``WindowInfo`` (df_websockets' or the package's own) to a window registration, and back.

A registration (PROTOCOL.md §2.1, ``PUT /api/v1/windows/{key}``) holds the user (``id`` is
``str(pk)``, username, staff and superuser flags, permissions), the session key and the
language. Every other field of ``WindowInfo.to_dict()`` (``csrf_cookie``, ``user_agent``,
``is_active``, ``user_set``, and whatever custom ``WINDOW_INFO_MIDDLEWARES`` add) travels in
``extra``, which Switchboard hands back verbatim when it calls the backend, so
:func:`window_info_from_call` rebuilds the same ``WindowInfo`` with ``WindowInfo.from_dict``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

logger = logging.getLogger("switchboard_django")

# WindowInfo.to_dict() keys carried by the registration itself rather than by `extra`.
MAPPED_KEYS = frozenset(
    {"window_key", "user_pk", "username", "is_staff", "is_superuser", "perms", "language_code"}
)
MAX_USER_AGENT = 512
MAX_TTL = 2_592_000
MAX_EXTRA_BYTES = 4096  # Switchboard refuses a larger `extra` (PROTOCOL.md §6.2)


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Return ``values`` as plain JSON, without its largest fields if it exceeds the bound."""
    safe = json.loads(json.dumps(values, cls=DjangoJSONEncoder))
    while safe and len(json.dumps(safe, separators=(",", ":")).encode()) > MAX_EXTRA_BYTES:
        largest = max(safe, key=lambda k: len(json.dumps(safe[k])))
        logger.warning("switchboard: `%s` left out of the window's extra (too large)", largest)
        del safe[largest]
    return safe


def user_of(window_info: Any) -> dict[str, Any] | None:
    """Return the ``user`` object of a registration, or ``None`` for an anonymous window."""
    pk = getattr(window_info, "user_pk", None)
    if pk is None:
        return None
    perms = getattr(window_info, "perms", None)  # a set, computed from the database
    return {
        "id": str(pk),
        "username": getattr(window_info, "username", None) or "",
        "is_staff": bool(getattr(window_info, "is_staff", False)),
        "is_superuser": bool(getattr(window_info, "is_superuser", False)),
        "perms": sorted(perms) if isinstance(perms, (set, frozenset, list)) else [],
    }


def registration_body(
    request: Any, window_info: Any, topics: list[str], ttl: int | None = None
) -> dict[str, Any]:
    """Build the body of ``PUT /api/v1/windows/{key}`` for a page's window.

    ``topics`` are Switchboard application topics (see :mod:`switchboard_django.topics`).
    """
    extra = {k: v for k, v in window_info.to_dict().items() if k not in MAPPED_KEYS}
    if isinstance(extra.get("user_agent"), str):
        extra["user_agent"] = extra["user_agent"][:MAX_USER_AGENT]
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None) if session is not None else None
    body: dict[str, Any] = {
        "user": user_of(window_info),
        "session": session_key or None,
        "language": getattr(window_info, "language_code", None),
        "topics": topics,
        "extra": _json_safe(extra),
    }
    if ttl is not None:
        body["ttl"] = max(1, min(MAX_TTL, int(ttl)))
    return body


def _user_pk(user_id: str) -> Any:
    from django.contrib.auth import get_user_model

    try:
        return get_user_model()._meta.pk.to_python(user_id)
    except ValidationError:
        return user_id


def window_info_values(window: dict[str, Any] | None) -> dict[str, Any]:
    """Return the ``WindowInfo.to_dict()``-shaped values of a backend call's ``window``.

    The user's flags come from the registration; its permissions are left unset, so
    ``WindowInfo.perms`` (df's or the package's) reads them from the database when a handler asks, as in a df worker.
    """
    window = window or {}
    extra = window.get("extra")
    values: dict[str, Any] = dict(extra) if isinstance(extra, dict) else {}
    values["window_key"] = window.get("window_key")
    values["language_code"] = window.get("language")
    values["perms"] = None
    user = window.get("user")
    if isinstance(user, dict) and user.get("id") not in (None, ""):
        values.update(
            user_pk=_user_pk(str(user["id"])),
            username=user.get("username"),
            is_staff=bool(user.get("is_staff")),
            is_superuser=bool(user.get("is_superuser")),
            user_set=True,
        )
        values.setdefault("is_active", True)
    else:
        values.update(
            user_pk=None,
            username=None,
            is_staff=False,
            is_superuser=False,
            is_active=False,
            user_set=False,
        )
    return values


def window_info_from_call(window: dict[str, Any] | None) -> Any:
    """Rebuild the ``WindowInfo`` of a backend call's ``window`` object.

    df_websockets' when it is installed, else :class:`switchboard_django.window_info.WindowInfo`.
    """
    from switchboard_django import registry

    return registry.current().window_info(window_info_values(window))
