"""``manage.py check`` of a df-less site."""

from __future__ import annotations

from django.core.checks import run_checks
from django.test import override_settings


def ids(**settings) -> set[str]:
    """The switchboard check ids raised with these settings."""
    with override_settings(**settings):
        return {m.id for m in run_checks(tags=["switchboard"])}


def test_configured_site_passes():
    assert ids() == set()


def test_the_middleware_is_required():
    from django.conf import settings

    without = [m for m in settings.MIDDLEWARE if "switchboard" not in m]
    assert ids(MIDDLEWARE=without) == {"switchboard_django.W005"}


def test_public_url_must_be_http():
    assert ids(SWITCHBOARD_PUBLIC_URL="sb.example.com") == {"switchboard_django.W004"}
    assert ids(SWITCHBOARD_PUBLIC_URL="https://sb.example.com") == set()
