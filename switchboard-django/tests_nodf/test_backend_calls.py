"""Browser calls through a real Switchboard to the df-less site's handlers (PROTOCOL.md §10)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from conftest import SECRET, Socket, page
from switchboard_django.testing import SwitchboardServer

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"}


@pytest.fixture
def backend_switchboard(live_server):
    """A Switchboard that calls this test's live Django server."""
    server = SwitchboardServer(backend_url=live_server.url + "/switchboard/", backend_key=SECRET)
    with server, override_settings(**server.settings()):
        yield server


@pytest.mark.django_db(transaction=True)
def test_browser_calls_run_python_handlers(backend_switchboard):
    key = page(Client())
    ws = Socket(backend_switchboard.ws_url, key)
    try:
        reply = ws.call("nodfapp.echo", {"text": "hi", "n": "7"}, 1)
        assert reply == {"reply_to": 1, "ok": True, "result": {"text": "hi", "n": 7}}
        echoed = ws.pending or [ws.recv()]  # the handler's trigger to WINDOW reached the page
        assert (echoed[0]["signal"], echoed[0]["opts"]) == (
            "nodfapp.echoed",
            {"text": "hi", "n": 7},
        )

        assert ws.call("nodfapp.add", {"a": "2", "b": 3}, 2)["result"] == 5
        assert ws.call("nodfapp.anonymous_only", {}, 3)["result"] == "anonymous"
        expected = {
            "nodfapp.add": ({"a": "x"}, "invalid_arguments"),
            "nodfapp.whoami": ({}, "forbidden"),  # anonymous window
            "nodfapp.admin_only": ({}, "forbidden"),
            "nodfapp.moderate": ({}, "forbidden"),
            "nodfapp.boom": ({}, "handler_error"),
            "nodfapp.server_only": ({}, "unknown_signal"),
            "nodfapp.nope": ({}, "unknown_signal"),
        }
        for number, (signal, (opts, code)) in enumerate(expected.items(), start=4):
            reply = ws.call(signal, opts, number)
            assert reply["ok"] is False and reply["error"]["code"] == code, (signal, reply)
            assert "secret detail" not in reply["error"]["message"]
    finally:
        ws.close()


@pytest.mark.django_db(transaction=True)
def test_a_users_window_reaches_its_handlers(backend_switchboard, alice):
    alice.user_permissions.add(Permission.objects.get(codename="moderate_room"))
    client = Client()
    client.force_login(alice)
    key = page(client, HTTP_USER_AGENT="UA/2", HTTP_ACCEPT_LANGUAGE="fr")
    ws = Socket(backend_switchboard.ws_url, key)
    try:
        reply = ws.call("nodfapp.whoami", {}, 1)
        assert reply["ok"] is True, reply
        result = reply["result"]
        assert result["user_pk"] == alice.pk and result["username"] == "alice"
        assert (result["is_staff"], result["is_superuser"], result["is_active"]) == (
            False,
            False,
            True,
        )
        assert result["user_agent"] == "UA/2" and result["language"] == "fr"
        assert result["can_moderate"] is True
        assert ws.call("nodfapp.moderate", {}, 2)["result"] == "moderated"
        assert ws.call("nodfapp.anonymous_only", {}, 3)["error"]["code"] == "forbidden"
        assert ws.call("nodfapp.admin_only", {}, 4)["error"]["code"] == "forbidden"
    finally:
        ws.close()


def test_backend_views_answer_for_the_packages_registry():
    response = Client().get("/switchboard/signals", **AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["signals"]["nodfapp.echo"] == {"queues": ["celery"], "browser": True}
    assert body["signals"]["nodfapp.server_only"]["browser"] is False
    assert body["queues"] == {"celery": {"concurrency": 2}}  # WEBSOCKET_POOL_SIZES
    assert Client().get("/switchboard/signals").status_code == 401

    def call(signal, opts, from_browser=True):
        body = {"signal": signal, "opts": opts, "from_browser": from_browser, "window": None}
        return (
            Client()
            .post("/switchboard/call", json.dumps(body), content_type="application/json", **AUTH)
            .json()
        )

    assert call("nodfapp.add", {"a": 1, "b": 2}) == {"ok": True, "result": 3}  # default queue
    assert call("nodfapp.add", {"a": 1, "c": 2})["error"] == {
        "code": "invalid_arguments",
        "message": "unexpected argument `c`",
    }
    assert call("nodfapp.server_only", {})["error"]["code"] == "unknown_signal"
    assert call("nodfapp.server_only", {"value": 1}, from_browser=False) == {
        "ok": True,
        "result": None,
    }
