"""``trigger``, ``set_websocket_topics`` and the destinations, for sites without df_websockets.

The same names, arguments and meaning as ``df_websockets.tasks`` (1.2.6) with
``WEBSOCKET_WORKERS = "thread"``:

- ``set_websocket_topics(request, *topics)`` subscribes the page's window to topics (model
  instances, strings, ``USER``, ...; its own ``WINDOW``, ``BROADCAST`` and, for a logged-in
  user, ``USER`` always). :class:`switchboard_django.middleware.WebsocketMiddleware`
  registers the window with Switchboard when the response leaves.
- ``trigger(window_info, signal_name, to=None, **kwargs)`` sends a signal: ``to`` is one
  destination or a list (default ``[USER]``). ``SERVER`` runs the Python handlers of the
  signal in this process, in a thread pool per queue (``WEBSOCKET_POOL_SIZES``), after
  ``trigger`` returned, as df's "thread" workers do; ``SYNC`` runs them at once, in the
  caller's thread. Everything else goes to browsers with one ``POST /api/v1/trigger``, with
  the topic names of :mod:`switchboard_django.topics` (those of the df mode).
- ``trigger_signal(window_info, signal_name, to=None, kwargs=None, countdown=None,
  expires=None, eta=None)``: the long form; as in df without Celery, ``countdown``,
  ``expires`` and ``eta`` raise ``ValueError``.

``window_info`` is a request, a :class:`~switchboard_django.window_info.WindowInfo` or
``None`` (server code: no ``WINDOW`` or ``USER``).
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib import import_module
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from switchboard_django import api, conf
from switchboard_django.decorators import REGISTERED_SIGNALS
from switchboard_django.window_info import WindowInfo

logger = logging.getLogger("switchboard_django")


class Constant:
    """A special destination, printed by its name."""

    def __init__(self, name: str):
        """Name the constant."""
        self.name = name

    def __str__(self) -> str:
        """Return the name."""
        return self.name

    def __repr__(self) -> str:
        """Return the name."""
        return self.name


SERVER = Constant("SERVER")
SESSION = Constant("SESSION")
WINDOW = Constant("WINDOW")
USER = Constant("USER")
BROADCAST = Constant("BROADCAST")
SYNC = Constant("SYNC")

_pools: dict[str, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def set_websocket_topics(request: Any, *topics: Any) -> None:
    """Subscribe the window of the page being rendered to ``topics`` (replacing earlier ones).

    Needs :class:`switchboard_django.middleware.WebsocketMiddleware`, which registers the
    window with Switchboard and sets the ``dfwskey`` and ``dfwsurl`` cookies.
    """
    if not hasattr(request, "window_key"):
        raise ImproperlyConfigured(
            "switchboard_django.middleware.WebsocketMiddleware middleware is required."
        )
    serializer = conf.topic_serializer()
    window_info = WindowInfo.from_request(request)
    names = {serializer(window_info, topic) for topic in topics if topic is not SERVER}
    if window_info.is_authenticated:
        names.add(serializer(window_info, USER))
    names.add(serializer(window_info, WINDOW))
    names.add(serializer(window_info, BROADCAST))
    names.discard(None)
    request.has_websocket_topics = True
    request.websocket_topics = sorted(names)


def trigger(window_info: Any, signal_name: str, to: Any = None, **kwargs: Any) -> None:
    """Send ``signal_name`` with ``kwargs`` to ``to`` (see the module's docstring).

    A signal cannot take arguments named ``window_info``, ``signal_name`` or ``to``.
    """
    _trigger_signal(window_info, signal_name, to=to, kwargs=kwargs)


def trigger_signal(
    window_info: Any,
    signal_name: str,
    to: Any = None,
    kwargs: dict[str, Any] | None = None,
    countdown: Any = None,
    expires: Any = None,
    eta: Any = None,
) -> None:
    """Send ``signal_name`` with the arguments ``kwargs`` to ``to``.

    ``countdown``, ``expires`` and ``eta`` need Celery in df: they raise ``ValueError``.
    """
    _trigger_signal(
        window_info,
        signal_name,
        to=to,
        kwargs=kwargs,
        countdown=countdown,
        expires=expires,
        eta=eta,
    )


def _destinations(to: Any) -> list[Any]:
    if to is None:
        return [USER]
    if isinstance(to, (list, tuple, set, frozenset)):
        return list(to)
    return [to]


def _trigger_signal(
    window_info: Any,
    signal_name: str,
    to: Any = None,
    kwargs: dict[str, Any] | None = None,
    countdown: Any = None,
    expires: Any = None,
    eta: Any = None,
) -> None:
    if countdown or expires or eta:
        raise ValueError(
            "Unable to use eta, countdown or expires in signals when not using Celery."
        )
    import_signals_and_functions()
    window_info = WindowInfo.from_request(window_info)
    kwargs = {} if kwargs is None else kwargs
    serializer = conf.topic_serializer()
    serialized: list[str] = []
    to_server = to_sync = False
    for destination in _destinations(to):
        if destination is SERVER:
            to_server = True
        elif destination is SYNC:
            to_sync = True
        elif (name := serializer(window_info, destination)) is not None:
            serialized.append(name)
    if to_server or to_sync:
        values = window_info.to_dict()  # read here, in the caller's thread
        queues = {c.get_queue(window_info, kwargs) for c in REGISTERED_SIGNALS.get(signal_name, [])}
        if to_sync:
            for queue in sorted(queues):
                run_handlers(signal_name, values, dict(kwargs), queue=queue)
        if to_server:
            for queue in sorted(queues):
                _pool(queue).submit(_run_in_pool, signal_name, values, dict(kwargs), queue)
    if serialized:
        api.send_trigger(
            signal_name, str(uuid.uuid4()), serialized, kwargs, encoder=conf.signal_encoder()
        )


def _pool(queue: str) -> ThreadPoolExecutor:
    with _pools_lock:
        if queue not in _pools:
            _pools[queue] = ThreadPoolExecutor(
                conf.pool_size(queue), thread_name_prefix=f"switchboard-{queue}"
            )
        return _pools[queue]


def _run_in_pool(signal_name: str, values: dict, kwargs: dict, queue: str) -> None:
    from django.db import connections

    try:
        run_handlers(signal_name, values, kwargs, queue=queue)
    finally:
        translation.deactivate()
        connections.close_all()


def run_handlers(
    signal_name: str,
    window_info_values: dict[str, Any] | None,
    kwargs: dict[str, Any],
    queue: str,
    from_client: bool = False,
) -> None:
    """Run the handlers of ``signal_name`` on ``queue`` (df's ``process_task``).

    ``from_client`` applies the handlers' ``is_allowed_to``. Handlers with invalid
    arguments are skipped; failures are logged, never raised. The language of the window is
    active while they run, and the caller's is restored afterwards.
    """
    language = translation.get_language()
    try:
        window_info = WindowInfo.from_dict(window_info_values) or WindowInfo()
        window_info.before_process()
        for connection in list(REGISTERED_SIGNALS.get(signal_name, [])):
            if connection.get_queue(window_info, kwargs) != queue:
                continue
            if from_client and not connection.is_allowed_to(connection, window_info, kwargs):
                continue
            checked = connection.check(dict(kwargs))
            if checked is None:
                continue
            connection(window_info, **checked)
    except Exception:
        logger.exception("switchboard: a handler of `%s` failed", signal_name)
    finally:
        if language:
            translation.activate(language)
        else:
            translation.deactivate()


def shutdown_pools(wait: bool = True) -> None:
    """Stop the handler threads (for tests and a clean exit)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=wait)


@lru_cache
def import_signals_and_functions() -> None:
    """Import the ``signals`` and ``forms`` modules (or packages) of every installed app.

    As df does, so that their ``@signal`` handlers are registered; an error in one is logged.
    """
    from django.apps import apps

    def try_import(module: str, path: str) -> None:
        try:
            import_module(module)
        except Exception:
            logger.exception("switchboard: cannot import %s (%s)", module, path)

    for app_config in apps.get_app_configs():
        for module_name in ("signals", "forms"):
            base = os.path.join(app_config.path, module_name)
            if os.path.isfile(base + ".py"):
                try_import(f"{app_config.name}.{module_name}", base + ".py")
            elif os.path.isdir(base):
                for filename in sorted(os.listdir(base)):
                    stem, ext = os.path.splitext(filename)
                    if ext == ".py" and stem != "__init__":
                        try_import(f"{app_config.name}.{module_name}.{stem}", base)
