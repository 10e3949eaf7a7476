"""Triggers carried by a backend call's answer instead of one API request each (§10.3).

While :func:`switchboard_django.backend.dispatch` runs a call's handlers, the triggers they
make (``trigger(window_info, ..., to=[WINDOW])``, df's or the package's) are held here and
put in the call's answer, which Switchboard sends as it would ``POST /api/v1/trigger``: the
handler's view saves an HTTP request per trigger. Only when Switchboard said
``accepts_triggers``.

A held trigger waits for the whole call, so nothing is held longer than
:data:`HOLD_SECONDS`: when a call is still running then, a daemon thread sends what was held
through the API, in order, and the call's later triggers go through the API as they are
made (after the held ones: order is kept). A fast handler's triggers ride in its answer, a
slow handler's progress signals are not held back.

The holder is found through a ``ContextVar``: asgiref's ``async_to_sync`` (which df's
``trigger`` uses) copies the context into its event loop's thread, so df's triggers see it;
threads a handler starts itself do not, and send through the API.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

# How long a call's triggers may be held for its answer.
HOLD_SECONDS = 0.02

_current: ContextVar[AnswerTriggers | None] = ContextVar(
    "switchboard_answer_triggers", default=None
)


class AnswerTriggers:
    """The triggers of one running call, held for its answer until :data:`HOLD_SECONDS`."""

    def __init__(self, send: Callable[[dict[str, Any]], None]):
        """Hold triggers; ``send`` posts one through the API (after the deadline)."""
        self._send = send
        self._lock = threading.Lock()  # guards _held and _holding
        self._sending = threading.Lock()  # held while held triggers go out: keeps order
        self._held: list[dict[str, Any]] = []
        self._holding = True
        _flusher.watch(self, time.monotonic() + HOLD_SECONDS)

    def add(self, body: dict[str, Any], encoder: Any = None) -> None:
        """Hold a trigger (the body of ``POST /api/v1/trigger``), or send it when too late."""
        plain = json.loads(json.dumps(body, cls=encoder))
        with self._lock:
            if self._holding:
                self._held.append(plain)
                return
        with self._sending:
            self._send(plain)

    def release(self) -> None:
        """Send what is held through the API; later triggers are sent as they come."""
        with self._lock:
            if not self._holding:
                return
            if not self._held:  # the usual case: nothing to send, nothing to order
                self._holding = False
                return
        with self._sending:
            with self._lock:
                if not self._holding:
                    return
                self._holding = False
                held, self._held = self._held, []
            for body in held:
                self._send(body)

    def close(self) -> list[dict[str, Any]]:
        """End the call: return the held triggers, for its answer."""
        with self._sending, self._lock:
            self._holding = False
            held, self._held = self._held, []
        return held


def current() -> AnswerTriggers | None:
    """Return the holder of the running call, if any."""
    return _current.get()


class holding:
    """``with holding(send) as triggers:`` holds the triggers made inside, for the answer."""

    def __init__(self, send: Callable[[dict[str, Any]], None]):
        """Prepare a holder; ``send`` posts one trigger through the API."""
        self.triggers = AnswerTriggers(send)

    def __enter__(self) -> AnswerTriggers:
        """Make the holder current."""
        self._token = _current.set(self.triggers)
        return self.triggers

    def __exit__(self, *exc: object) -> None:
        """Stop holding (the caller takes the held triggers with ``close()``)."""
        _current.reset(self._token)


class _Flusher:
    """One daemon thread that releases the holders whose deadline passed."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, AnswerTriggers]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, triggers: AnswerTriggers, deadline: float) -> None:
        with self._condition:
            heapq.heappush(self._heap, (deadline, next(self._order), triggers))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="switchboard-answer-triggers", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._heap:
                    self._condition.wait()
                deadline, _, triggers = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._condition.wait(delay)
                    continue
                heapq.heappop(self._heap)
            triggers.release()  # a no-op for a call that ended


_flusher = _Flusher()
