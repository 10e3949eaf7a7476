"""``manage.py check`` (switchboard_django.checks) and ``manage.py switchboard``."""

from __future__ import annotations

import shlex
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings


def ids(**settings) -> set[str]:
    """The switchboard check ids raised with these settings."""
    with override_settings(**settings):
        return {m.id for m in run_checks(tags=["switchboard"])}


def test_configured_site_passes():
    assert ids() == set()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"SWITCHBOARD_URL": ""}, {"switchboard_django.E001"}),
        ({"SWITCHBOARD_URL": "127.0.0.1:8001"}, {"switchboard_django.E001"}),
        ({"SWITCHBOARD_API_KEY": ""}, {"switchboard_django.E002"}),
        ({"SWITCHBOARD_API_KEY": "short"}, {"switchboard_django.E002"}),
        ({"SWITCHBOARD_BACKEND_KEY": ""}, {"switchboard_django.W001"}),
        ({"ROOT_URLCONF": "testproject.urls_bare"}, {"switchboard_django.W002"}),
    ],
)
def test_missing_or_weak_settings(settings, expected):
    assert ids(**settings) == expected


def test_levels():
    with override_settings(SWITCHBOARD_URL="", SWITCHBOARD_BACKEND_KEY=""):
        levels = {m.id: m.is_serious() for m in run_checks(tags=["switchboard"])}
    assert levels == {"switchboard_django.E001": True, "switchboard_django.W001": False}


def test_unreachable_switchboard_is_a_warning(silent_server):
    assert ids(SWITCHBOARD_CHECK_REACHABLE=True) == {"switchboard_django.W003"}  # port 9
    assert ids(SWITCHBOARD_CHECK_REACHABLE=True, SWITCHBOARD_URL=silent_server) == {
        "switchboard_django.W003"
    }


def test_reachable_switchboard(switchboard):
    assert ids(SWITCHBOARD_CHECK_REACHABLE=True) == set()


def test_manage_py_check_reports_them():
    out = StringIO()
    with override_settings(SWITCHBOARD_URL=""), pytest.raises(Exception) as info:
        call_command("check", stdout=out, stderr=out)
    assert "switchboard_django.E001" in str(info.value)


def run_command(*args, **settings) -> str:
    out = StringIO()
    with override_settings(**settings):
        call_command("switchboard", *args, stdout=out)
    return out.getvalue().strip()


def test_serve_command_line():
    line = run_command("--site-url", "http://django.internal:8000/")
    assert shlex.split(line) == [
        "switchboard", "serve",
        "--bind", "127.0.0.1:9",
        "--api-key", "test-api-key-0123456789",
        "--ws-path", "/ws/",
        "--backend-url", "http://django.internal:8000/switchboard/",
        "--backend-key", "test-backend-key-0123456789",
    ]  # fmt: skip


def test_serve_command_line_with_every_setting():
    line = run_command(
        "--redact",
        "--binary",
        "/opt/switchboard",
        SWITCHBOARD_URL="https://sb.example:8443",
        SWITCHBOARD_BACKEND_URL="http://10.0.0.2/sb/",
        SWITCHBOARD_PUBLIC_WS_URL="wss://example.com/live/",
        WEBSOCKET_URL="/live/",
        CSRF_TRUSTED_ORIGINS=["https://example.com", "https://*.example.com"],
    )
    assert line == (
        "/opt/switchboard serve --bind sb.example:8443 --api-key $SWITCHBOARD_API_KEY"
        " --ws-path /live/ --public-ws-url wss://example.com/live/"
        " --allowed-origin https://example.com"
        " --backend-url http://10.0.0.2/sb/ --backend-key $SWITCHBOARD_BACKEND_KEY"
    )


def test_serve_command_allows_the_pages_origin():
    """Pages served by Django connect to Switchboard's own URL: their origin must be allowed."""
    public = {"SWITCHBOARD_PUBLIC_WS_URL": "ws://127.0.0.1:8001/ws/"}
    line = run_command("--site-url", "http://127.0.0.1:8000", **public)
    assert " --allowed-origin http://127.0.0.1:8000 " in line
    line = run_command("--origin", "https://a.example", "--origin", "https://b.example", **public)
    assert " --allowed-origin https://a.example --allowed-origin https://b.example " in line
    # behind a reverse proxy the pages' origin is Switchboard's host: nothing to allow
    assert "--allowed-origin" not in run_command("--site-url", "http://127.0.0.1:8000")


def test_serve_command_needs_the_settings():
    with pytest.raises(CommandError, match="SWITCHBOARD_URL"):
        run_command(SWITCHBOARD_URL="")
    with pytest.raises(CommandError, match="include switchboard_django.urls"):
        run_command(ROOT_URLCONF="testproject.urls_bare")
    # without a backend key, no backend options
    assert "--backend-url" not in run_command(SWITCHBOARD_BACKEND_KEY="")
