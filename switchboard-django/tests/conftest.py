"""Fixtures of switchboard-django's tests.

A real Switchboard binary (one that has the backend contract: PUT registrations,
``signal_id`` on triggers, ``--backend-url``), websocket clients and users.
"""

from __future__ import annotations

import pytest

from switchboard_django.client import reset_stats
from switchboard_django.testing import WindowSocket

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


# The tests' name for the package's window socket.
Socket = WindowSocket


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
