"""Fixtures of the df-less mode's tests: a real Switchboard, websocket clients, users."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from switchboard_django.client import SwitchboardClient, reset_stats
from switchboard_django.testing import WindowSocket

pytest_plugins = ["switchboard_django.pytest_plugin"]

SECRET = "test-backend-key-0123456789"
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture(scope="session", autouse=True)
def _stop_handler_threads():
    """Stop the SERVER handlers' thread pools at the end."""
    yield
    from switchboard_django import tasks

    tasks.shutdown_pools()


@pytest.fixture(autouse=True)
def _fresh_state():
    """Zero the client's counters and the test handlers' records."""
    from nodfapp import signals as handlers

    reset_stats()
    handlers.SERVER_CALLS.clear()
    handlers.SERVER_CALLED.clear()


@pytest.fixture
def alice(django_user_model):
    """A normal user."""
    return django_user_model.objects.create_user("alice", password="pw")


@pytest.fixture
def bob(django_user_model):
    """Another normal user."""
    return django_user_model.objects.create_user("bob", password="pw")


def page(client: Client, *topics: str, **headers) -> str:
    """Load /page/ subscribed to ``topics``; return the window key of its dfwskey cookie."""
    response = client.get("/page/?" + urlencode([("topic", t) for t in topics]), **headers)
    assert response.status_code == 200
    return response.cookies["dfwskey"].value


def notify(client: Client, key: str | None, signal: str, *to: str, **opts) -> dict:
    """An XHR of the page with window ``key`` (DFWSKEY header) triggering ``signal``."""
    query = urlencode([("signal", signal), ("opts", json.dumps(opts))] + [("to", t) for t in to])
    headers = dict(XHR, HTTP_DFWSKEY=key) if key else dict(XHR)
    response = client.get("/notify/?" + query, **headers)
    assert response.status_code == 200
    return response.json()


def api(server) -> SwitchboardClient:
    """A client of the test server's API."""
    return SwitchboardClient(server.url, server.api_key)


# The tests' name for the package's window socket.
Socket = WindowSocket


@pytest.fixture
def sockets(switchboard):
    """Open websockets to the session's Switchboard; all closed at the end."""
    opened: list[Socket] = []

    def open_socket(key: str | None) -> Socket:
        socket = Socket(switchboard.ws_url, key)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        socket.close()
