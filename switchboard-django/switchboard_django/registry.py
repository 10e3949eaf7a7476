"""Where a site's Python handlers live: df_websockets' registry, or the package's own.

:func:`current` returns :class:`DfRegistry` when ``df_websockets`` is in ``INSTALLED_APPS``
and :class:`OwnRegistry` otherwise. Both offer what :mod:`switchboard_django.backend` needs
to answer Switchboard's backend calls: the registered connections (df's ``Connection``
objects or :class:`switchboard_django.decorators.Connection`, which have the same
attributes), the default permission ``server_side``, the queue settings, the JSON encoder of
results, and a ``WindowInfo`` rebuilt from ``to_dict()``-shaped values and prepared for its
handlers.
"""

from __future__ import annotations

from typing import Any

from switchboard_django import conf


class DfRegistry:
    """df_websockets 1.2.6's ``REGISTERED_SIGNALS`` and settings."""

    @property
    def signals(self) -> dict[str, list[Any]]:
        """Return the connections of every signal path."""
        from df_websockets.decorators import REGISTERED_SIGNALS

        return REGISTERED_SIGNALS

    @property
    def server_side(self) -> Any:
        """Return df's ``server_side`` (handlers browsers may not call)."""
        from df_websockets.decorators import server_side

        return server_side

    def import_handlers(self) -> None:
        """Import the apps' ``signals`` modules (df's ``import_signals_and_functions``)."""
        from df_websockets.tasks import import_signals_and_functions

        import_signals_and_functions()

    def default_queue(self) -> str:
        """Return ``WEBSOCKET_DEFAULT_QUEUE`` as df read it."""
        from df_websockets import ws_settings

        return str(ws_settings.WEBSOCKET_DEFAULT_QUEUE)

    def pool_sizes(self) -> dict[Any, int]:
        """Return ``WEBSOCKET_POOL_SIZES`` as df read it."""
        from df_websockets import ws_settings

        return dict(ws_settings.WEBSOCKET_POOL_SIZES)

    def encoder(self) -> Any:
        """Return df's ``WEBSOCKET_SIGNAL_ENCODER`` class."""
        from df_websockets import tasks

        return tasks._signal_encoder

    def window_info(self, values: dict[str, Any]) -> Any:
        """Return df's ``WindowInfo.from_dict(values)``."""
        from df_websockets.window_info import WindowInfo

        return WindowInfo.from_dict(values)

    def before_process(self, window_info: Any) -> None:
        """Run the ``before_process`` hooks of df's ``WINDOW_INFO_MIDDLEWARES``."""
        from df_websockets.window_info import middlewares

        for middleware in middlewares:
            middleware.before_process(window_info)

    def celery(self) -> Any:
        """Return df's task sender when df sends browser calls to Celery, else ``None``.

        df's ``WEBSOCKET_WORKERS`` is ``"celery"`` by default when Celery is installed: the
        call then goes to a Celery worker as df would send it (``call_task``). ``"thread"``
        and the modes that need df's own worker processes (``"process"``, ``"channels"``)
        run the handlers in the backend call itself.
        """
        from df_websockets import tasks, ws_settings

        if ws_settings.WEBSOCKET_WORKERS != "celery" or tasks.celery_shared_task is None:
            return None
        return tasks.call_task


class OwnRegistry:
    """The registry of :mod:`switchboard_django.decorators` (sites without df_websockets)."""

    @property
    def signals(self) -> dict[str, list[Any]]:
        """Return the connections of every signal path."""
        from switchboard_django.decorators import REGISTERED_SIGNALS

        return REGISTERED_SIGNALS

    @property
    def server_side(self) -> Any:
        """Return the package's ``server_side``."""
        from switchboard_django.decorators import server_side

        return server_side

    def import_handlers(self) -> None:
        """Import the apps' ``signals`` modules."""
        from switchboard_django.tasks import import_signals_and_functions

        import_signals_and_functions()

    def default_queue(self) -> str:
        """Return ``WEBSOCKET_DEFAULT_QUEUE``."""
        return conf.default_queue()

    def pool_sizes(self) -> dict[Any, int]:
        """Return ``WEBSOCKET_POOL_SIZES``."""
        return conf.pool_sizes()

    def encoder(self) -> Any:
        """Return the ``WEBSOCKET_SIGNAL_ENCODER`` class."""
        return conf.signal_encoder()

    def window_info(self, values: dict[str, Any]) -> Any:
        """Return the package's ``WindowInfo.from_dict(values)``."""
        from switchboard_django.window_info import WindowInfo

        return WindowInfo.from_dict(values)

    def before_process(self, window_info: Any) -> None:
        """Activate the window's language."""
        window_info.before_process()

    def celery(self) -> Any:
        """Return ``None``: without df_websockets, handlers run in the backend call."""
        return None


def current() -> DfRegistry | OwnRegistry:
    """Return the registry of this site (df's when ``df_websockets`` is installed)."""
    return DfRegistry() if conf.df_mode() else OwnRegistry()
