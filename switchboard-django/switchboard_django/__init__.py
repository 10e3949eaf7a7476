"""switchboard-django: a df_websockets Django site served by Switchboard.

``from switchboard_django import signal, trigger, set_websocket_topics, WINDOW, USER,
BROADCAST, SERVER`` gives df_websockets' own objects (they are loaded on first use, after
Django's setup). Installing ``switchboard_django`` in ``INSTALLED_APPS`` makes them talk to
Switchboard (see :mod:`switchboard_django.integration`). The mode without df_websockets is
not implemented yet: these names then raise ``ImportError``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_DF_NAMES = {
    "signal": "df_websockets.decorators",
    "trigger": "df_websockets.tasks",
    "set_websocket_topics": "df_websockets.tasks",
    "WINDOW": "df_websockets.tasks",
    "USER": "df_websockets.tasks",
    "BROADCAST": "df_websockets.tasks",
    "SERVER": "df_websockets.tasks",
}

__all__ = ["signal", "trigger", "set_websocket_topics", "WINDOW", "USER", "BROADCAST", "SERVER"]


def __getattr__(name: str) -> Any:
    """Load df_websockets' object ``name`` on first use."""
    module = _DF_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'switchboard_django' has no attribute {name!r}")
    try:
        return getattr(import_module(module), name)
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("df_websockets"):
            raise ImportError(
                f"switchboard_django.{name} needs df_websockets 1.2.6 for now "
                "(pip install 'switchboard-django[df]'); the df-less mode is not implemented yet"
            ) from err
        raise
