"""The pooled API client against a real Switchboard, a closed port and a silent server."""

from __future__ import annotations

import socket
import time

import pytest

from switchboard_django.client import SwitchboardClient, SwitchboardError, stats


def closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


def test_requests_reuse_pooled_connections(switchboard_server):
    client = SwitchboardClient(switchboard_server.url, switchboard_server.api_key)
    for _ in range(5):
        assert client.request("GET", "/healthz") == {"status": "ok"}
    pool = client.pool.connection_from_url(switchboard_server.url)
    assert pool.num_connections == 1  # one keep-alive connection served all five
    assert stats()["ok"] == 5


def test_error_answers_carry_status_and_code(switchboard_server):
    client = SwitchboardClient(switchboard_server.url, "wrong-key-0123456789")
    with pytest.raises(SwitchboardError) as info:
        client.request("POST", "/api/v1/trigger", {"signal": "a", "to": ["broadcast"]})
    assert (info.value.kind, info.value.status, info.value.code) == ("http", 401, "unauthorized")
    assert stats()["errors.http"] == 1 and stats()["requests"] == 1  # never retried


def test_connection_errors_are_retried_a_bounded_number_of_times():
    client = SwitchboardClient(closed_port(), "k", timeout=1.0, retries=2)
    started = time.monotonic()
    with pytest.raises(SwitchboardError) as info:
        client.request("POST", "/api/v1/trigger", {"signal": "a"})
    assert info.value.kind == "connection"
    assert time.monotonic() - started < 1.0
    assert stats()["requests"] == 3 and stats()["retries"] == 2
    assert stats()["errors.connection"] == 1


def test_a_silent_server_costs_one_time_limit(silent_server):
    client = SwitchboardClient(silent_server, "k", timeout=0.5, retries=1)
    started = time.monotonic()
    with pytest.raises(SwitchboardError) as info:
        client.request("POST", "/api/v1/trigger", {"signal": "a"})
    elapsed = time.monotonic() - started
    assert info.value.kind == "timeout"
    assert 0.4 < elapsed < 1.5  # no retry after a timeout
    assert stats()["requests"] == 1 and stats()["errors.timeout"] == 1


def test_no_url_is_a_config_error():
    with pytest.raises(SwitchboardError) as info:
        SwitchboardClient("", "k").request("GET", "/healthz")
    assert info.value.kind == "config"
