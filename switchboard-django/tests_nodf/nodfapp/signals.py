"""Handlers of the df-less test site (imported by switchboard_django by itself)."""

import threading

from django.utils import translation

from switchboard_django import (
    WINDOW,
    everyone,
    has_perm,
    is_anonymous,
    is_authenticated,
    is_superuser,
    signal,
    trigger,
)

SERVER_CALLS: list = []
SERVER_CALLED = threading.Event()


@signal(path="nodfapp.echo", is_allowed_to=everyone)
def echo(window_info, text: str = "", n: int = 0):
    """Send the text back to the calling window, and answer it."""
    trigger(window_info, "nodfapp.echoed", to=[WINDOW], text=text, n=n)
    return {"text": text, "n": n}


@signal(path="nodfapp.whoami", is_allowed_to=is_authenticated)
def whoami(window_info):
    """Answer what the handler knows of the window."""
    return {
        "user_pk": window_info.user_pk,
        "username": window_info.username,
        "is_staff": window_info.is_staff,
        "is_superuser": window_info.is_superuser,
        "is_active": window_info.is_active,
        "csrf_cookie": window_info.csrf_cookie,
        "user_agent": window_info.user_agent,
        "language": translation.get_language(),
        "can_moderate": window_info.has_perm("nodfapp.moderate_room"),
    }


@signal(path="nodfapp.anonymous_only", is_allowed_to=is_anonymous)
def anonymous_only(window_info):
    """Only anonymous windows may call this."""
    return "anonymous"


@signal(path="nodfapp.admin_only", is_allowed_to=is_superuser)
def admin_only(window_info):
    """Only superusers may call this."""
    return "admin"


@signal(path="nodfapp.moderate", is_allowed_to=has_perm("nodfapp.moderate_room"))
def moderate(window_info):
    """Only users with the permission may call this."""
    return "moderated"


@signal(path="nodfapp.server_only")
def server_only(window_info, value: int = 0):
    """Never callable from a browser; records its calls and their thread."""
    SERVER_CALLS.append(
        (window_info.window_key, window_info.username, value, threading.current_thread().name)
    )
    SERVER_CALLED.set()


@signal(path="nodfapp.add", is_allowed_to=everyone)
def add(window_info, a: int, b: int = 0):
    """Add two integers (converted with the annotations)."""
    return a + b


@signal(path="nodfapp.boom", is_allowed_to=everyone)
def boom(window_info):
    """Fail with a message that must not reach the browser."""
    raise RuntimeError("secret detail of the failure")


@signal
def bare(window_info):
    """Registered with the bare decorator: path ``nodfapp.signals.bare``, server-side."""
