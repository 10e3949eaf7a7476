"""The backend views Switchboard calls (PROTOCOL.md §10): ``signals`` and ``call``.

Both are authenticated by ``Authorization: Bearer SWITCHBOARD_BACKEND_KEY`` (compared in
constant time; without the key configured every request is refused) and are CSRF-exempt for
that reason: a browser cannot present the secret. Answers are JSON, errors in Switchboard's
shape ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from switchboard_django import backend, conf, registry

logger = logging.getLogger("switchboard_django")


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def authorized(request: HttpRequest) -> bool:
    """Return whether the request carries the backend key (constant-time comparison)."""
    secret = conf.backend_key()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not secret or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), secret.encode())


def _guard(request: HttpRequest, method: str) -> JsonResponse | None:
    if request.method != method:
        response = _error(405, "method_not_allowed", f"{request.method} is not allowed here")
        response["Allow"] = method
        return response
    if not authorized(request):
        return _error(
            401,
            "unauthorized",
            "missing or wrong backend key (Authorization: Bearer <SWITCHBOARD_BACKEND_KEY>)",
        )
    return None


@csrf_exempt
def signals(request: HttpRequest) -> JsonResponse:
    """``GET signals``: every ``@signal`` path and each queue's concurrency.

    Each path comes with its queues and whether browsers may call it.
    """
    refused = _guard(request, "GET")
    if refused is not None:
        return refused
    listed = backend.signal_list()
    return JsonResponse({"signals": listed, "queues": backend.queue_limits(listed)})


def _call_fields(body: Any) -> tuple[str, dict, str, bool, dict | None, bool]:
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    signal = body.get("signal")
    if not isinstance(signal, str) or not signal:
        raise ValueError("`signal` must be a non-empty string")
    opts = body.get("opts")
    opts = {} if opts is None else opts
    if not isinstance(opts, dict):
        raise ValueError("`opts` must be a JSON object")
    queue = body.get("queue") or registry.current().default_queue()
    if not isinstance(queue, str):
        raise ValueError("`queue` must be a string")
    from_browser = body.get("from_browser", True)
    if not isinstance(from_browser, bool):
        raise ValueError("`from_browser` must be a boolean")
    window = body.get("window")
    if window is not None and not isinstance(window, dict):
        raise ValueError("`window` must be a JSON object")
    accepts_triggers = body.get("accepts_triggers", False)
    if not isinstance(accepts_triggers, bool):
        raise ValueError("`accepts_triggers` must be a boolean")
    return signal, opts, queue, from_browser, window, accepts_triggers


@csrf_exempt
def call(request: HttpRequest) -> JsonResponse:
    """``POST call``: run a signal's handlers (df's or the package's) on one queue."""
    refused = _guard(request, "POST")
    if refused is not None:
        return refused
    try:
        fields = _call_fields(json.loads(request.body or b"null"))
    except ValueError as err:
        return _error(400, "bad_request", f"invalid body: {err}")
    return JsonResponse(backend.dispatch(*fields))
