"""``@signal`` and its permission helpers, for sites without df_websockets.

The same names, arguments and rules as ``df_websockets.decorators`` (1.2.6):
``signal(fn=None, path=None, is_allowed_to=server_side, queue=None, cls=SignalConnection)``
registers a handler in :data:`REGISTERED_SIGNALS` under ``path`` (default
``module.function``) and returns the function unchanged. A handler takes ``window_info``
first; its other parameters are the signal's arguments, converted by their annotations
(``a: int``) and checked by :meth:`Connection.check` when a browser calls it.

``is_allowed_to`` decides whether a *browser* may call the handler:
``is_allowed_to(connection, window_info, kwargs)``. The default, :func:`server_side`,
never allows it: such handlers only run for ``trigger(..., to=[SERVER])``.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from inspect import signature
from typing import Any

from switchboard_django import conf

logger = logging.getLogger("switchboard_django")

PATH_RE = re.compile(r"^([_a-zA-Z]\w*)(\.[_a-zA-Z]\w*)*$")


class DynamicQueueName:
    """A queue chosen at each call (df's class): ``__call__(connection, window_info, kwargs)``."""

    def __call__(self, connection: Any, window_info: Any, original_kwargs: Any) -> str:
        """Return the queue of one call."""
        raise NotImplementedError

    def get_available_queues(self) -> set[str]:
        """Return every queue ``__call__`` may return."""
        return {conf.default_queue()}


class RandomDynamicQueueName(DynamicQueueName):
    """One of ``size`` queues named ``prefix0`` to ``prefix<size-1>``, at random."""

    def __init__(self, prefix: str, size: int):
        """Name the queues."""
        self.prefix = prefix
        self.size = size

    def __call__(self, connection: Any, window_info: Any, original_kwargs: Any) -> str:
        """Return a random queue."""
        return f"{self.prefix}{random.randint(0, self.size - 1)}"  # noqa: S311

    def get_available_queues(self) -> set[str]:
        """Return every queue."""
        return {f"{self.prefix}{x}" for x in range(self.size)}


def server_side(connection: Any, window_info: Any, kwargs: Any) -> bool:
    """Never allow browsers (the default): the handler runs for server triggers only."""
    return False


def everyone(connection: Any, window_info: Any, kwargs: Any) -> bool:
    """Allow every window, anonymous ones included."""
    return True


def is_authenticated(connection: Any, window_info: Any, kwargs: Any) -> bool:
    """Allow windows of an authenticated user."""
    return bool(window_info and window_info.is_authenticated)


def is_anonymous(connection: Any, window_info: Any, kwargs: Any) -> bool:
    """Allow windows without a user."""
    return bool(window_info and window_info.is_anonymous)


def is_staff(connection: Any, window_info: Any, kwargs: Any) -> bool:
    """Allow windows of staff users."""
    return bool(window_info and window_info.is_staff)


def is_superuser(connection: Any, window_info: Any, kwargs: Any) -> bool:
    """Allow windows of superusers."""
    return bool(window_info and window_info.is_superuser)


class has_perm:  # noqa: N801  (df's name)
    """Allow windows whose user has the permission ``perm`` (``"app_label.codename"``)."""

    def __init__(self, perm: str):
        """Name the permission."""
        self.perm = perm

    def __call__(self, connection: Any, window_info: Any, kwargs: Any) -> bool:
        """Check the window's permissions."""
        return bool(window_info and window_info.has_perm(self.perm))


class Connection:
    """A registered handler: its path, permission check, queue and accepted arguments."""

    required_function_arg = "window_info"

    def __init__(
        self,
        fn: Callable[..., Any],
        path: str | None = None,
        is_allowed_to: Callable[..., Any] = server_side,
        queue: Any = None,
    ):
        """Describe ``fn``; raise ``ValueError`` for a bad path or signature."""
        self.function = fn
        if not path:
            if getattr(fn, "__module__", None) and getattr(fn, "__name__", None):
                path = f"{fn.__module__}.{fn.__name__}"
            elif getattr(fn, "__name__", None):
                path = fn.__name__
        self.path = str(path)
        if not PATH_RE.match(self.path):
            raise ValueError(f"Invalid identifier: {self.path}")
        self.is_allowed_to = is_allowed_to
        self.queue = queue or conf.default_queue()
        self.accept_kwargs = False
        self.argument_types: dict[str, Any] = {}
        self.required_arguments_names: set[str] = set()
        self.optional_arguments_names: set[str] = set()
        self.accepted_argument_names: set[str] = set()
        self.signature_check(fn)
        if hasattr(fn, "__name__"):
            self.__name__ = fn.__name__

    def signature_check(self, fn: Callable[..., Any]) -> None:
        """Read the arguments and annotations of ``fn``, which must take ``window_info``."""
        present = False
        for key, param in signature(fn).parameters.items():
            if key == self.required_function_arg:
                present = True
                continue
            if param.kind == param.VAR_KEYWORD:
                self.accept_kwargs = True
            elif param.kind == param.VAR_POSITIONAL:
                raise ValueError(f"Cannot connect a signal using the *{key} syntax")
            else:
                if param.default is param.empty:
                    self.required_arguments_names.add(key)
                else:
                    self.optional_arguments_names.add(key)
                self.accepted_argument_names.add(key)
                if param.annotation is not param.empty and callable(param.annotation):
                    self.argument_types[key] = param.annotation
        if self.required_function_arg and not present:
            raise ValueError(
                f'{type(self).__name__}({self.path}) must takes "{self.required_function_arg}" '
                "as first argument"
            )

    def check(self, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """Convert ``kwargs`` with the annotations (in place); ``None`` when they are invalid."""
        name = type(self).__name__
        for key, converter in self.argument_types.items():
            if key in kwargs and callable(converter) and converter.__module__ != "typing":
                try:
                    kwargs[key] = converter(kwargs[key])
                except (ValueError, TypeError):
                    logger.warning(
                        '%s("%s"): Invalid value %r for argument "%s".',
                        name,
                        self.path,
                        kwargs[key],
                        key,
                    )
                    return None
        for key in self.required_arguments_names:
            if key not in kwargs:
                logger.warning('%s("%s"): Missing required argument "%s".', name, self.path, key)
                return None
        if not self.accept_kwargs:
            for key in kwargs:
                if key not in self.accepted_argument_names:
                    logger.warning('%s("%s"): Invalid argument "%s".', name, self.path, key)
                    return None
        return kwargs

    def __call__(self, window_info: Any, **kwargs: Any) -> Any:
        """Run the handler."""
        return self.function(window_info, **kwargs)

    def register(self) -> None:
        """Add the connection to its registry."""
        raise NotImplementedError

    def get_queue(self, window_info: Any, original_kwargs: Any) -> str:
        """Return the queue of one call."""
        if callable(self.queue):
            return str(self.queue(self, window_info, original_kwargs))
        return str(self.queue) or conf.default_queue()


class SignalConnection(Connection):
    """A connected signal."""

    def register(self) -> None:
        """Add the connection to :data:`REGISTERED_SIGNALS`."""
        REGISTERED_SIGNALS.setdefault(self.path, []).append(self)

    def call(self, window_info: Any, **kwargs: Any) -> None:
        """Trigger the signal to ``SERVER`` (every handler of the path)."""
        from switchboard_django import tasks

        tasks.trigger_signal(window_info, self.path, to=tasks.SERVER, kwargs=kwargs)


def signal(
    fn: Callable[..., Any] | None = None,
    path: str | None = None,
    is_allowed_to: Callable[..., Any] = server_side,
    queue: Any = None,
    cls: type[Connection] = SignalConnection,
) -> Any:
    """Register a signal handler; return the function unchanged.

    Use it bare (``@signal``) or with arguments (``@signal(path="chat.send",
    is_allowed_to=is_authenticated)``).
    """

    def wrapped(fn_: Callable[..., Any]) -> Callable[..., Any]:
        cls(fn=fn_, path=path, is_allowed_to=is_allowed_to, queue=queue).register()
        return fn_

    if fn is not None:
        return wrapped(fn)
    return wrapped


REGISTERED_SIGNALS: dict[str, list[Connection]] = {}
