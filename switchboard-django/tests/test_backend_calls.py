"""Browser calls through a real Switchboard to the Python handlers of a live Django server.

They use backend calls (``serve --backend-url``, PROTOCOL.md §10) and PUT registrations.
"""

from __future__ import annotations

import json
import socket
import time

import pytest
from django.test import Client, override_settings

from switchboard_django import answer_triggers
from switchboard_django.client import SwitchboardClient, reset_stats, stats
from switchboard_django.testing import SwitchboardServer

from .conftest import Socket
from .test_integration import page

SECRET = "test-backend-key-0123456789"


@pytest.fixture
def backend_switchboard(contract, live_server):
    """A Switchboard that calls this test's live Django server."""
    server = SwitchboardServer(backend_url=live_server.url + "/switchboard/", backend_key=SECRET)
    with server, override_settings(**server.settings()):
        yield server


def test_browser_calls_run_python_handlers(backend_switchboard):
    key = page(Client())
    ws = Socket(backend_switchboard.ws_url, key)
    try:
        reply = ws.call("testapp.echo", {"text": "hi"}, 1)
        assert reply == {"reply_to": 1, "ok": True, "result": {"text": "hi", "n": 0}}
        echoed = ws.pending or [ws.recv()]  # the handler's trigger to WINDOW reached the page
        assert echoed[0]["signal"] == "testapp.echoed"
        assert echoed[0]["opts"] == {"text": "hi", "n": 0}

        expected = {
            "testapp.add": ({"a": "x"}, "invalid_arguments"),
            "testapp.whoami": ({}, "forbidden"),  # anonymous window
            "testapp.admin_only": ({}, "forbidden"),
            "testapp.boom": ({}, "handler_error"),
            "testapp.server_only": ({}, "unknown_signal"),
            "testapp.nope": ({}, "unknown_signal"),
        }
        for number, (signal, (opts, code)) in enumerate(expected.items(), start=2):
            reply = ws.call(signal, opts, number)
            assert reply["ok"] is False and reply["error"]["code"] == code, (signal, reply)
            assert "secret detail" not in reply["error"]["message"]
    finally:
        ws.close()


def test_django_down_gives_handler_error(contract):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    server = SwitchboardServer(
        backend_url=f"http://127.0.0.1:{port}/switchboard/", backend_key=SECRET
    )
    with server:
        ws = Socket(server.ws_url, None)
        try:
            reply = ws.call("testapp.echo", {"text": "hi"}, 1)
            assert reply["ok"] is False
            assert reply["error"] == {
                "code": "handler_error",
                "message": "the backend is unavailable",
            }
        finally:
            ws.close()
        health = SwitchboardClient(server.url, server.api_key)
        assert health.request("GET", "/readyz")["status"] == "ready"


def test_a_handlers_trigger_rides_in_its_answer(backend_switchboard):
    """No API request for a fast handler's trigger: Switchboard sends it from the answer."""
    key = page(Client())
    ws = Socket(backend_switchboard.ws_url, key)
    try:
        reset_stats()
        reply = ws.call("testapp.echo", {"text": "ride", "n": 7}, 1)
        assert reply["ok"] is True
        echoed = ws.pending or [ws.recv()]
        assert echoed[0]["signal"] == "testapp.echoed"
        assert echoed[0]["opts"] == {"text": "ride", "n": 7}
        assert stats().get("requests", 0) == 0, stats()
    finally:
        ws.close()


def test_a_slow_handlers_progress_is_not_held_back(backend_switchboard):
    """Triggers are held at most HOLD_SECONDS: a slow handler's first step comes at once."""
    key = page(Client())
    ws = Socket(backend_switchboard.ws_url, key)
    try:
        reset_stats()
        started = time.monotonic()
        ws.ws.send(json.dumps({"signal": "testapp.progress", "opts": {}, "id": 1}))
        arrived: dict[str, float] = {}
        while len(arrived) < 3:
            frame = ws.recv(10)
            name = "reply" if frame.get("reply_to") == 1 else f"step {frame['opts']['n']}"
            arrived[name] = time.monotonic() - started
        assert list(arrived) == ["step 1", "step 2", "reply"] or list(arrived) == [
            "step 1",
            "reply",
            "step 2",
        ], arrived
        assert arrived["reply"] - arrived["step 1"] > 0.3, arrived  # the handler sleeps 0.5 s
        assert stats().get("requests", 0) == 2, "both steps went through the API"
    finally:
        ws.close()


def test_held_triggers_keep_their_order():
    sent: list[dict] = []
    held = answer_triggers.AnswerTriggers(sent.append)
    held.add({"n": 1})
    held.add({"n": 2})
    assert sent == []
    held.release()  # the call outlived HOLD_SECONDS: what was held goes first
    held.add({"n": 3})
    assert sent == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert held.close() == []

    fast = answer_triggers.AnswerTriggers(sent.append)
    fast.add({"n": 4})
    assert fast.close() == [{"n": 4}], "a call that ended in time carries its triggers"
    fast.release()
    assert sent[-1] == {"n": 3}, "nothing is sent twice"
