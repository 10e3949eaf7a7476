"""Running a site's ``@signal`` handlers for Switchboard's backend calls (PROTOCOL.md §10).

The handlers are df_websockets' when it is installed, else the package's own
(:mod:`switchboard_django.registry` hides the difference).
:func:`signal_list` answers ``GET {backend_url}signals`` and :func:`dispatch` answers
``POST {backend_url}call``, the way df's ``process_task`` runs a signal on one queue:
rebuild the ``WindowInfo`` with ``WindowInfo.from_dict``, run the ``before_process`` hooks
(df's ``WINDOW_INFO_MIDDLEWARES``), check permissions when the call comes from a browser, check
the arguments with the handler's own ``check``, call it, in the request (df's "thread"
mode, no Celery needed). When df's ``WEBSOCKET_WORKERS`` is ``"celery"`` (df's default when
Celery is installed), a call that passes the checks is sent to a Celery worker with df's own
``call_task``, as df would, and answered at once with a ``null`` result; the worker's
triggers reach the windows through the API. df's ``"process"`` and ``"channels"`` modes need
df's own workers and run in the request like ``"thread"``.

Queues: Switchboard sends one call per queue a signal lists. A handler is listed under its
``queue`` when that is a string, and under ``WEBSOCKET_DEFAULT_QUEUE`` when it is a callable
(``DynamicQueueName`` and friends only chose a Celery queue), so each handler runs once per
browser call.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from django.utils import translation

from switchboard_django import answer_triggers, api, registry
from switchboard_django.identity import window_info_values

logger = logging.getLogger("switchboard_django")

# Switchboard's signal names (PROTOCOL.md §1): ASCII identifiers, at most 128 bytes.
SIGNAL_NAME_RE = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*(\.[_A-Za-z][_A-Za-z0-9]*)*$")
MAX_SIGNAL_NAME = 128


def listed_queue(connection: Any, default_queue: str | None = None) -> str:
    """Return the queue a handler is listed under (see the module's docstring)."""
    queue = connection.queue
    if callable(queue) or not str(queue or ""):
        return default_queue or registry.current().default_queue()
    return str(queue)


def valid_signal_name(name: str) -> bool:
    """Return whether Switchboard accepts ``name`` as a signal name."""
    return len(name.encode()) <= MAX_SIGNAL_NAME and bool(SIGNAL_NAME_RE.match(name))


def signal_list() -> dict[str, dict[str, Any]]:
    """Return every ``@signal`` path with its queues and whether browsers may call it.

    A browser may call a path with a handler that is not ``server_side``; Switchboard
    answers browsers ``unknown_signal`` for the others without calling Django.
    """
    handlers = registry.current()
    handlers.import_handlers()
    server_side, default_queue = handlers.server_side, handlers.default_queue()
    result: dict[str, dict[str, Any]] = {}
    for path, connections in sorted(handlers.signals.items()):
        if not connections:
            continue
        if not valid_signal_name(path):
            logger.warning("switchboard: signal `%s` cannot be called through Switchboard", path)
            continue
        result[path] = {
            "queues": sorted({listed_queue(c, default_queue) for c in connections}),
            "browser": any(c.is_allowed_to is not server_side for c in connections),
        }
    return result


def queue_limits(signals: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Return the concurrency of every listed queue.

    It is df's ``WEBSOCKET_POOL_SIZES``: the threads df would give the queue (its ``None``
    entry for queues it does not name).
    """
    sizes = registry.current().pool_sizes()
    names = sorted({queue for entry in signals.values() for queue in entry["queues"]})
    return {name: {"concurrency": int(sizes.get(name, sizes.get(None, 5)))} for name in names}


def failure(code: str, message: str) -> dict[str, Any]:
    """Return a failed call's answer."""
    return {"ok": False, "error": {"code": code, "message": message}}


def argument_problem(connection: Any, kwargs: dict[str, Any]) -> str:
    """Name what df's ``Connection.check`` refused, in the words of PROTOCOL.md §5.3."""
    for name, converter in connection.argument_types.items():
        if name in kwargs and callable(converter) and converter.__module__ != "typing":
            try:
                converter(kwargs[name])
            except (ValueError, TypeError):
                return f"argument `{name}`: invalid value"
    for name in sorted(connection.required_arguments_names):
        if name not in kwargs:
            return f"missing argument `{name}`"
    if not connection.accept_kwargs:
        for name in sorted(kwargs):
            if name not in connection.accepted_argument_names:
                return f"unexpected argument `{name}`"
    return "invalid arguments"


def _json_result(value: Any, signal: str, encoder: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(json.dumps(value, cls=encoder))
    except (TypeError, ValueError):
        logger.warning("switchboard: the result of `%s` is not JSON; replying null", signal)
        return None


def dispatch(
    signal: str,
    opts: dict[str, Any],
    queue: str,
    from_browser: bool,
    window: dict[str, Any] | None,
    accepts_triggers: bool = False,
) -> dict[str, Any]:
    """Run the handlers of ``signal`` listed under ``queue``; return the call's answer.

    With several handlers, all that may run do; the answer is the first failure in
    registration order, else the first non-null result (PROTOCOL.md §5.2). When Switchboard
    ``accepts_triggers``, the triggers the handlers make ride in the answer (§10.3, see
    :mod:`switchboard_django.answer_triggers`).
    """
    if not accepts_triggers:
        return _run(signal, opts, queue, from_browser, window)
    with answer_triggers.holding(api.post_trigger) as held:
        try:
            answer = _run(signal, opts, queue, from_browser, window)
        except BaseException:  # no answer will carry them
            for body in held.close():
                api.post_trigger(body)
            raise
        triggers = held.close()
    if triggers:
        answer["triggers"] = triggers
    return answer


def _run(
    signal: str,
    opts: dict[str, Any],
    queue: str,
    from_browser: bool,
    window: dict[str, Any] | None,
) -> dict[str, Any]:
    handlers = registry.current()
    handlers.import_handlers()
    default_queue = handlers.default_queue()
    connections = [
        c for c in handlers.signals.get(signal, []) if listed_queue(c, default_queue) == queue
    ]
    if from_browser:
        connections = [c for c in connections if c.is_allowed_to is not handlers.server_side]
    if not connections:
        return failure("unknown_signal", f"unknown signal `{signal}`")
    try:
        window_info = handlers.window_info(window_info_values(window))
    except Exception:
        logger.exception("switchboard: cannot rebuild the WindowInfo of a call to `%s`", signal)
        return failure("handler_error", "internal error")

    language = translation.get_language()
    errors: list[dict[str, Any]] = []
    result: Any = None
    ran = 0
    try:
        try:
            handlers.before_process(window_info)
        except Exception:
            logger.exception("switchboard: before_process failed for a call to `%s`", signal)
            return failure("handler_error", "internal error")
        send_task = handlers.celery()
        celery_queues: list[str] = []
        for connection in connections:
            try:
                if from_browser and not connection.is_allowed_to(connection, window_info, opts):
                    continue
                ran += 1
                kwargs = connection.check(opts)
                if kwargs is None:
                    errors.append(failure("invalid_arguments", argument_problem(connection, opts)))
                    continue
                if send_task is not None:  # df's Celery mode: a worker runs it, as in df
                    celery_queue = connection.get_queue(window_info, opts)
                    if celery_queue not in celery_queues:
                        celery_queues.append(celery_queue)
                    continue
                value = connection(window_info, **kwargs)
            except Exception:
                logger.exception("switchboard: handler of `%s` failed", signal)
                errors.append(failure("handler_error", "internal error"))
                continue
            if result is None and value is not None:
                result = value
        for celery_queue in celery_queues:
            # df's own task arguments: its worker checks permissions and arguments again and
            # runs the handlers of this (dynamic) queue.
            task = [signal, window_info.to_dict(), opts, from_browser, None, True, celery_queue]
            try:
                send_task("celery", celery_queue, task, {})
            except Exception:
                logger.exception("switchboard: cannot send `%s` to Celery", signal)
                errors.append(failure("handler_error", "internal error"))
    finally:
        if language:
            translation.activate(language)
        else:
            translation.deactivate()
    if errors:
        return errors[0]
    if not ran:
        return failure("forbidden", f"this window may not call `{signal}`")
    return {"ok": True, "result": _json_result(result, signal, handlers.encoder())}
