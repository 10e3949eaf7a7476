"""switchboard-django: a df_websockets-style Django site served by Switchboard.

``from switchboard_django import signal, trigger, set_websocket_topics, WINDOW, USER,
BROADCAST, SERVER`` (and ``trigger_signal``, ``SYNC``, ``SESSION``, and the permission
helpers ``everyone``, ``is_authenticated``, ``is_anonymous``, ``is_staff``, ``is_superuser``,
``has_perm``, ``server_side``) gives, on first use:

- with ``df_websockets`` in ``INSTALLED_APPS``: df_websockets' own objects. Installing
  ``switchboard_django`` makes them talk to Switchboard (see
  :mod:`switchboard_django.integration`);
- without it: the package's implementation of the same API (df_websockets 1.2.6's names,
  arguments and rules), which needs neither df_websockets, Channels nor Celery:
  :mod:`switchboard_django.decorators`, :mod:`switchboard_django.tasks`,
  :mod:`switchboard_django.window_info` and :mod:`switchboard_django.middleware`.

Both modes map topics to the same Switchboard names, so a site can switch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# name: (module of df_websockets, module of this package)
_NAMES = {
    "signal": ("df_websockets.decorators", "switchboard_django.decorators"),
    "everyone": ("df_websockets.decorators", "switchboard_django.decorators"),
    "is_authenticated": ("df_websockets.decorators", "switchboard_django.decorators"),
    "is_anonymous": ("df_websockets.decorators", "switchboard_django.decorators"),
    "is_staff": ("df_websockets.decorators", "switchboard_django.decorators"),
    "is_superuser": ("df_websockets.decorators", "switchboard_django.decorators"),
    "has_perm": ("df_websockets.decorators", "switchboard_django.decorators"),
    "server_side": ("df_websockets.decorators", "switchboard_django.decorators"),
    "trigger": ("df_websockets.tasks", "switchboard_django.tasks"),
    "trigger_signal": ("df_websockets.tasks", "switchboard_django.tasks"),
    "set_websocket_topics": ("df_websockets.tasks", "switchboard_django.tasks"),
    "WINDOW": ("df_websockets.tasks", "switchboard_django.tasks"),
    "USER": ("df_websockets.tasks", "switchboard_django.tasks"),
    "BROADCAST": ("df_websockets.tasks", "switchboard_django.tasks"),
    "SERVER": ("df_websockets.tasks", "switchboard_django.tasks"),
    "SYNC": ("df_websockets.tasks", "switchboard_django.tasks"),
    "SESSION": ("df_websockets.tasks", "switchboard_django.tasks"),
}

__all__ = list(_NAMES)


def __getattr__(name: str) -> Any:
    """Return df_websockets' object ``name`` when the site uses df, else the package's own."""
    modules = _NAMES.get(name)
    if modules is None:
        raise AttributeError(f"module 'switchboard_django' has no attribute {name!r}")
    from switchboard_django import conf

    df_module, own_module = modules
    return getattr(import_module(df_module if conf.df_mode() else own_module), name)
