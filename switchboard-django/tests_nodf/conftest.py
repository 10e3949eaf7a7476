"""Fixtures of the df-less mode's tests: a real Switchboard, websocket clients, users."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from urllib.parse import urlencode

import pytest
from django.test import Client
from websockets.sync.client import connect

from switchboard_django.client import SwitchboardClient, reset_stats

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


class Socket:
    """A websocket client of Switchboard, as the page of one window would be."""

    def __init__(self, ws_url: str, key: str | None):
        query = f"?dfwskey={key}&since=" if key else "?since="
        self._closing = ExitStack()  # connect() is a context manager (websockets 14+)
        self.ws = self._closing.enter_context(connect(ws_url + query, open_timeout=5))
        self.pending: list[dict] = []
        self.position = self.recv(5)  # `since=` asks for the position frame first

    def recv(self, timeout: float = 5.0) -> dict:
        """Return the next JSON frame."""
        while True:
            frame = self.ws.recv(timeout=timeout)
            if frame != "--heartbeat--":
                return json.loads(frame)

    def signals_until(self, sentinel: str, timeout: float = 5.0) -> list[dict]:
        """Return the signal frames received before the ``sentinel`` signal."""
        frames, deadline = [], time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.05, deadline - time.monotonic()))
            if frame.get("signal") == sentinel:
                return frames
            if "signal" in frame:
                frames.append(frame)

    def call(self, signal: str, opts: dict, call_id: int, timeout: float = 10.0) -> dict:
        """Call a signal with an id; return the reply frame (other frames are kept aside)."""
        self.ws.send(json.dumps({"signal": signal, "opts": opts, "id": call_id}))
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.05, deadline - time.monotonic()))
            if frame.get("reply_to") == call_id:
                return frame
            self.pending.append(frame)

    def close(self) -> None:
        """Close the connection."""
        self._closing.close()


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
