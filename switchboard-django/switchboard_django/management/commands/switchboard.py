"""``manage.py switchboard``: print the ``switchboard serve`` command matching the settings."""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse

from switchboard_django import conf


def backend_url(site_url: str) -> str:
    """Return ``SWITCHBOARD_BACKEND_URL``, or ``site_url`` + the path of the included urls."""
    if conf.backend_url():
        return conf.backend_url()
    try:
        signals_path = reverse("switchboard_django:signals")
    except NoReverseMatch as err:
        raise CommandError(
            'include switchboard_django.urls: path("switchboard/", '
            'include("switchboard_django.urls")), or set SWITCHBOARD_BACKEND_URL'
        ) from err
    return site_url.rstrip("/") + signals_path[: -len("signals")]


def page_origins(site_url: str) -> list[str]:
    """Return the origins of the site's pages, which Switchboard must accept.

    Needed only when pages connect to Switchboard's own URL (``SWITCHBOARD_PUBLIC_WS_URL``):
    Switchboard then sees another origin than its own host and refuses it by default. They
    are ``CSRF_TRUSTED_ORIGINS`` when set (the origins Django itself trusts), else the origin
    of ``site_url``.
    """
    trusted = [str(o) for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", []) if "*" not in str(o)]
    if trusted:
        return trusted
    parts = urlsplit(site_url)
    return [f"{parts.scheme}://{parts.netloc}"]


def serve_command(
    site_url: str,
    binary: str = "switchboard",
    redact: bool = False,
    origins: list[str] | None = None,
) -> list[str]:
    """Return the arguments of the ``switchboard serve`` command for these settings.

    ``origins`` are the pages' origins (see :func:`page_origins`, the default).
    """
    url = conf.url()
    if not url:
        raise CommandError("SWITCHBOARD_URL is not set")
    api_key, backend_key = conf.api_key(), conf.backend_key()
    if not api_key:
        raise CommandError("SWITCHBOARD_API_KEY is not set")
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    args = [binary, "serve", "--bind", f"{parts.hostname}:{port}"]
    args += ["--api-key", "$SWITCHBOARD_API_KEY" if redact else api_key]
    args += ["--ws-path", str(getattr(settings, "WEBSOCKET_URL", "/ws/"))]
    if conf.public_ws_url():
        args += ["--public-ws-url", conf.public_ws_url()]
        for origin in origins or page_origins(site_url):
            args += ["--allowed-origin", origin]
    if backend_key:
        args += ["--backend-url", backend_url(site_url)]
        args += ["--backend-key", "$SWITCHBOARD_BACKEND_KEY" if redact else backend_key]
    return args


class Command(BaseCommand):
    """Print the command line that runs Switchboard for this site."""

    help = "Print the `switchboard serve` command line matching this site's settings."

    def add_arguments(self, parser: Any) -> None:
        """Declare ``--site-url``, ``--binary`` and ``--redact``."""
        parser.add_argument(
            "--site-url",
            default="http://127.0.0.1:8000",
            help="URL at which Switchboard reaches this Django site (for --backend-url).",
        )
        parser.add_argument("--binary", default="switchboard", help="Path of the binary.")
        parser.add_argument(
            "--origin",
            action="append",
            dest="origins",
            help="Origin of the site's pages (repeatable; default: CSRF_TRUSTED_ORIGINS, else "
            "the site URL's). Used with SWITCHBOARD_PUBLIC_WS_URL.",
        )
        parser.add_argument(
            "--redact",
            action="store_true",
            help="Print $SWITCHBOARD_API_KEY and $SWITCHBOARD_BACKEND_KEY instead of the keys.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Print the command."""
        argv = serve_command(
            options["site_url"], options["binary"], options["redact"], options["origins"]
        )
        if options["redact"]:
            line = " ".join(a if a.startswith("$") else shlex.quote(a) for a in argv)
        else:
            line = shlex.join(argv)
        self.stdout.write(line)
