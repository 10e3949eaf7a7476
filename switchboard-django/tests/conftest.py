"""Fixtures of switchboard-django's tests.

A real Switchboard binary (one that has the backend contract: PUT registrations,
``signal_id`` on triggers, ``--backend-url``), websocket clients and users.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack

import pytest
from websockets.sync.client import connect

from switchboard_django.client import reset_stats

pytest_plugins = ["switchboard_django.pytest_plugin"]


@pytest.fixture
def contract(switchboard):
    """The session's Switchboard, for tests of PUT registrations and ``signal_id``.

    Named after the contract of PROTOCOL.md §6.2.1 and §6.5 that they exercise.
    """
    return switchboard


@pytest.fixture
def silent_server():
    """A URL whose port accepts connections and never answers."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.fixture(scope="session", autouse=True)
def _close_df_thread_pools():
    """Close df's handler thread pools before the interpreter exits (quiet shutdown)."""
    yield
    from df_websockets import tasks

    for pool in tasks._PROCESS_POOLS.values():
        pool.close()
        pool.join()


@pytest.fixture(autouse=True)
def _fresh_state():
    """Zero the client's counters and the test handlers' records."""
    from testapp import signals as handlers

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


class Socket:
    """A websocket client of Switchboard, as df_websockets' page would be for one window."""

    def __init__(self, ws_url: str, key: str | None):
        query = f"?dfwskey={key}&since=" if key else "?since="
        self._closing = ExitStack()  # connect() is a context manager (websockets 14+)
        self.ws = self._closing.enter_context(connect(ws_url + query, open_timeout=5))
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

    def call(self, signal: str, opts: dict, call_id: int | str, timeout: float = 10.0) -> dict:
        """Call a signal with an id; return the reply frame (signal frames are kept aside)."""
        self.ws.send(json.dumps({"signal": signal, "opts": opts, "id": call_id}))
        self.pending: list[dict] = getattr(self, "pending", [])
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
def sockets(contract):
    """Open websockets to the session's Switchboard; all closed at the end."""
    opened: list[Socket] = []

    def open_socket(key: str | None) -> Socket:
        socket = Socket(contract.ws_url, key)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        socket.close()
