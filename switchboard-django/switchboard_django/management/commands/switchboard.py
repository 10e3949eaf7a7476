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


def serve_command(site_url: str, binary: str = "switchboard", redact: bool = False) -> list[str]:
    """Return the arguments of the ``switchboard serve`` command for these settings."""
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
            "--redact",
            action="store_true",
            help="Print $SWITCHBOARD_API_KEY and $SWITCHBOARD_BACKEND_KEY instead of the keys.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Print the command."""
        argv = serve_command(options["site_url"], options["binary"], options["redact"])
        if options["redact"]:
            line = " ".join(a if a.startswith("$") else shlex.quote(a) for a in argv)
        else:
            line = shlex.join(argv)
        self.stdout.write(line)
