"""pytest fixtures running a real Switchboard for a site's tests.

Enable them in a ``conftest.py`` with ``pytest_plugins = ["switchboard_django.pytest_plugin"]``.

- ``switchboard_server`` (session): a :class:`~switchboard_django.testing.SwitchboardServer`.
- ``switchboard`` (function): the same server, with Django's ``SWITCHBOARD_URL`` and
  ``SWITCHBOARD_API_KEY`` pointing at it for the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from switchboard_django.testing import SwitchboardServer


@pytest.fixture(scope="session")
def switchboard_server() -> Iterator[SwitchboardServer]:
    """Start one Switchboard for the whole test session."""
    with SwitchboardServer() as server:
        yield server


@pytest.fixture
def switchboard(switchboard_server: SwitchboardServer) -> Iterator[SwitchboardServer]:
    """Point switchboard-django's settings at the session's Switchboard for one test."""
    with override_settings(**switchboard_server.settings()):
        yield switchboard_server
