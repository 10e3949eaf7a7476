"""df_websockets handlers of the test site (df imports ``<app>.signals`` by itself)."""

import threading
import time

from df_websockets.decorators import everyone, has_perm, is_authenticated, is_superuser, signal
from df_websockets.tasks import WINDOW, trigger
from django.utils import translation

SERVER_CALLS: list = []
SERVER_CALLED = threading.Event()


@signal(path="testapp.echo", is_allowed_to=everyone)
def echo(window_info, text: str = "", n: int = 0):
    """Send the text back to the calling window, and answer it."""
    trigger(window_info, "testapp.echoed", to=[WINDOW], text=text, n=n)
    return {"text": text, "n": n}


@signal(path="testapp.whoami", is_allowed_to=is_authenticated)
def whoami(window_info):
    """Answer what the handler knows of the window."""
    return {
        "window_key": window_info.window_key,
        "user_pk": window_info.user_pk,
        "username": window_info.username,
        "is_staff": window_info.is_staff,
        "is_superuser": window_info.is_superuser,
        "is_active": window_info.is_active,
        "csrf_cookie": window_info.csrf_cookie,
        "user_agent": window_info.user_agent,
        "language": translation.get_language(),
        "can_moderate": window_info.has_perm("testapp.moderate_room"),
    }


@signal(path="testapp.admin_only", is_allowed_to=is_superuser)
def admin_only(window_info):
    """Only superusers may call this."""
    return "admin"


@signal(path="testapp.moderate", is_allowed_to=has_perm("testapp.moderate_room"))
def moderate(window_info):
    """Only users with the permission may call this."""
    return "moderated"


@signal(path="testapp.server_only")
def server_only(window_info, value=None):
    """Never callable from a browser; records its calls."""
    SERVER_CALLS.append((window_info.window_key if window_info else None, value))
    SERVER_CALLED.set()


@signal(path="testapp.add", is_allowed_to=everyone)
def add(window_info, a: int, b: int = 0):
    """Add two integers (df converts them with the annotations)."""
    return a + b


@signal(path="testapp.boom", is_allowed_to=everyone)
def boom(window_info):
    """Fail with a message that must not reach the browser."""
    raise RuntimeError("secret detail of the failure")


@signal(path="testapp.two", is_allowed_to=everyone)
def two_first(window_info):
    """The first of two handlers of one signal: answers nothing."""


@signal(path="testapp.two", is_allowed_to=everyone)
def two_second(window_info):
    """The second handler: its result is the call's."""
    return 2


@signal(path="testapp.slow", is_allowed_to=everyone, queue="slow")
def on_slow_queue(window_info):
    """A handler on its own queue."""
    return "slow"


@signal(path="testapp.progress", is_allowed_to=everyone)
def progress(window_info):
    """A slow handler that reports its progress to the calling window."""
    trigger(window_info, "testapp.step", to=[WINDOW], n=1)
    time.sleep(0.5)
    trigger(window_info, "testapp.step", to=[WINDOW], n=2)
    return "done"


CELERY_RUNS: list[tuple[int, bool]] = []


@signal(path="testapp.in_celery", is_allowed_to=everyone)
def in_celery(window_info, n: int = 0):
    """Record whether a Celery task ran it (df sets ``celery_request`` in its task)."""
    CELERY_RUNS.append((n, getattr(window_info, "celery_request", None) is not None))
    return "a browser never sees a Celery task's result"
