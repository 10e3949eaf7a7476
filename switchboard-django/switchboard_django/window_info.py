"""The ``WindowInfo`` of the mode without df_websockets: who a browser window is.

It carries the fields of df_websockets 1.2.6's ``WindowInfo`` with its default
``WINDOW_INFO_MIDDLEWARES`` (window key, Django auth, i18n, browser), with the same names,
the same ``to_dict`` keys and the same ``from_request``/``from_dict`` rules, so handlers
written for df read it unchanged:

| attribute | from a request |
|---|---|
| ``window_key`` | ``request.window_key`` (set by :mod:`switchboard_django.middleware`) |
| ``user_pk``, ``username``, ``is_staff``, ``is_superuser``, ``is_active`` | ``request.user`` when authenticated, else ``None``/``False`` |
| ``user_set`` | whether a user was known when it was built (``from_dict`` loads it otherwise) |
| ``csrf_cookie`` | the CSRF cookie |
| ``language_code`` | ``get_language_from_request`` (``LANGUAGE_CODE`` without a session) |
| ``user_agent`` | the ``User-Agent`` header |
| ``perms`` | the user's permissions, read from the database on first use |
| ``user`` | the user object, read from the database on first use |

Unlike df (which custom ``WINDOW_INFO_MIDDLEWARES`` can extend), the fields are fixed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


class Session:
    """A session as a topic (df's ``df_websockets.window_info.Session``): ``-session.<key>``."""

    def __init__(self, key: str | None = None):
        """Name the session by its key."""
        self.key = key


class WindowInfo:
    """What Python handlers know of the browser window that sent a signal.

    Built from a request (:meth:`from_request`) or from a dict (:meth:`from_dict`, the shape
    of :meth:`to_dict`); never modify one, the same object may serve several signals.
    """

    def __init__(self, init: bool = True):
        """Create an anonymous window without a key (``init`` is df's, and ignored)."""
        self.window_key: str | None = None
        self._user: Any = None
        self._perms: set[str] | None = None
        self.user_pk: Any = None
        self.username: str | None = None
        self.is_superuser = False
        self.is_staff = False
        self.is_active = False
        self.user_set = False
        self.csrf_cookie = ""
        self.user_agent = ""
        self.language_code: str | None = None

    def __repr__(self) -> str:
        """Show the user, never the window key (a secret)."""
        return f"<WindowInfo user_pk={self.user_pk!r} username={self.username!r}>"

    @property
    def is_authenticated(self) -> bool:
        """Return whether a user is set."""
        return bool(self.user_pk)

    @property
    def is_anonymous(self) -> bool:
        """Return whether no user is set."""
        return not self.user_pk

    @property
    def user(self) -> Any:
        """Return the user object (read from the database once), or ``None``."""
        if self._user is not None or self.user_pk is None:
            return self._user
        from django.contrib.auth import get_user_model

        self._user = get_user_model().objects.filter(pk=self.user_pk).first()
        return self._user

    @property
    def perms(self) -> set[str]:
        """Return the user's permissions as ``"app_label.codename"`` (read once)."""
        if not self.user_pk:
            return set()
        if self._perms is not None:
            return self._perms
        from django.contrib.auth.models import Permission
        from django.db.models import Q

        if self.is_superuser:
            query = Permission.objects.all()
        else:
            query = Permission.objects.filter(
                Q(user__pk=self.user_pk) | Q(group__user__pk=self.user_pk)
            )
        rows = query.select_related("content_type").values_list(
            "content_type__app_label", "codename"
        )
        self._perms = {f"{app}.{codename}" for app, codename in rows}
        return self._perms

    def has_perm(self, perm: str) -> bool:
        """Return whether the user has the permission ``"app_label.codename"``."""
        return perm in self.perms

    @classmethod
    def from_request(cls, request: Any) -> WindowInfo:
        """Return the ``WindowInfo`` of a request (a ``WindowInfo`` is returned as is).

        ``None`` gives an anonymous window without a key.
        """
        if isinstance(request, WindowInfo):
            return request
        window_info = cls()
        if request is None:
            return window_info
        window_info.window_key = getattr(request, "window_key", None)
        user = getattr(request, "user", None)
        window_info._user = user
        meta = getattr(request, "META", {})
        window_info.user_agent = meta.get("HTTP_USER_AGENT", "")
        window_info.csrf_cookie = getattr(request, "COOKIES", {}).get(settings.CSRF_COOKIE_NAME, "")
        if user is not None and user.is_authenticated:
            window_info.user_pk = user.pk
            window_info.username = user.get_username()
            window_info.is_superuser = user.is_superuser
            window_info.is_staff = user.is_staff
            window_info.is_active = user.is_active
            window_info.user_set = True
        else:
            window_info._user = None
        if getattr(request, "session", None):
            window_info.language_code = translation.get_language_from_request(request)
        else:
            window_info.language_code = settings.LANGUAGE_CODE
        return window_info

    def to_dict(self) -> dict[str, Any]:
        """Return the window as a JSON-ready dict (df's keys; ``perms`` only once read)."""
        return {
            "window_key": self.window_key,
            "user_pk": self.user_pk,
            "username": self.username,
            "is_superuser": self.is_superuser,
            "is_staff": self.is_staff,
            "is_active": self.is_active,
            "csrf_cookie": self.csrf_cookie,
            "perms": sorted(self._perms) if isinstance(self._perms, set) else None,
            "user_agent": self.user_agent,
            "user_set": self.user_set,
            "language_code": self.language_code,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> WindowInfo | None:
        """Rebuild a window from :meth:`to_dict`'s values (``None`` gives ``None``).

        As in df, a ``user_pk`` without ``user_set`` reads the user's name and flags from
        the database.
        """
        if values is None:
            return None
        window_info = cls()
        window_info.window_key = values.get("window_key")
        window_info.csrf_cookie = values.get("csrf_cookie")
        window_info.user_pk = values.get("user_pk")
        window_info.user_set = values.get("user_set")
        if window_info.user_pk and not window_info.user_set:
            user = window_info.user
            if user is not None:
                window_info.username = user.get_username()
                window_info.is_superuser = user.is_superuser
                window_info.is_staff = user.is_staff
                window_info.is_active = user.is_active
        else:
            window_info.username = values.get("username")
            window_info.is_superuser = values.get("is_superuser")
            window_info.is_staff = values.get("is_staff")
            window_info.is_active = values.get("is_active")
        perms = values.get("perms")
        window_info._perms = set(perms) if perms is not None else None
        window_info.user_agent = values.get("user_agent", "")
        window_info.language_code = values.get("language_code")
        return window_info

    def before_process(self) -> None:
        """Prepare the thread for a handler: activate the window's language (df's hook)."""
        if self.language_code:
            translation.activate(self.language_code)
