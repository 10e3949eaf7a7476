"""df_websockets views and handlers, unchanged, served by a real Switchboard.

Tests using the ``contract`` or ``sockets`` fixtures exercise PUT registrations and
``signal_id`` on triggers (PROTOCOL.md §6.2.1, §6.5).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import time
import uuid
from urllib.parse import quote_plus, urlencode

import pytest
from df_websockets import tasks
from df_websockets.middleware import WebsocketMiddleware
from df_websockets.testing import SignalQueue
from df_websockets.window_info import WindowInfo
from django.test import Client, override_settings

from switchboard_django import integration
from switchboard_django.client import SwitchboardClient, SwitchboardError, stats
from testapp import signals as handlers

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def page(client: Client, *topics: str) -> str:
    """Load /page/ subscribed to ``topics``; return the window key of its dfwskey cookie."""
    response = client.get("/page/?" + urlencode([("topic", t) for t in topics]))
    assert response.status_code == 200
    return response.cookies["dfwskey"].value


def notify(client: Client, key: str, signal: str, *to: str, **opts) -> None:
    """An XHR of the page with window ``key`` triggering ``signal`` to ``to``."""
    query = urlencode([("signal", signal), ("opts", json.dumps(opts))] + [("to", t) for t in to])
    response = client.get("/notify/?" + query, HTTP_DFWSKEY=key, **XHR)
    assert response.status_code == 200
    assert response.json() == {"window_key": key}


def api(server) -> SwitchboardClient:
    """A client of the test server's API."""
    return SwitchboardClient(server.url, server.api_key)


def test_hooks_are_installed():
    assert getattr(WebsocketMiddleware.process_response, integration.PATCH_MARK)
    assert tasks._call_ws_signal is integration.call_ws_signal
    integration.install()  # idempotent
    assert WebsocketMiddleware.process_response.__wrapped__.__module__ == "df_websockets.middleware"


@pytest.mark.django_db
def test_server_targets_still_run_python_handlers(caplog):
    handlers.SERVER_CALLS.clear()
    handlers.SERVER_CALLED.clear()
    client = Client()
    key = page(client)
    notify(client, key, "testapp.server_only", "SERVER", value=3)
    assert handlers.SERVER_CALLED.wait(5)  # df's thread pool (WEBSOCKET_WORKERS = "thread")
    assert handlers.SERVER_CALLS == [(key, 3)]
    # nothing browser-bound: only the page's registration was tried (port 9 is closed)
    assert "registration of window" in caplog.text and "trigger of" not in caplog.text


@pytest.mark.django_db
def test_signal_queue_still_works(switchboard):
    client = Client()
    key = page(client)
    before = stats().get("requests", 0)
    with SignalQueue() as queue:
        notify(client, key, "testapp.server_only", "WINDOW", "SERVER", "hello", "int:1", value=4)
    assert queue.ws_signals == {
        f"-window.{key}": [("testapp.server_only", {"value": 4})],
        "-str." + hashlib.sha224(b"hello").hexdigest(): [("testapp.server_only", {"value": 4})],
        "-int.1": [("testapp.server_only", {"value": 4})],
    }
    assert list(queue.python_signals) == ["celery"]
    (args,) = queue.python_signals["celery"]
    assert args[:4] == ["testapp.server_only", args[1], {"value": 4}, False]
    # (queue.execute_delayed_signals() needs Celery in df 1.2.6: it calls
    # tasks._server_signal_call, which only exists when celery is importable)
    handlers.SERVER_CALLS.clear()
    tasks.process_task(*args)
    assert handlers.SERVER_CALLS == [(key, 4)]
    assert stats().get("requests", 0) == before  # nothing reached Switchboard
    assert tasks._call_ws_signal is integration.call_ws_signal  # restored

    handlers.SERVER_CALLS.clear()
    with SignalQueue(immediate_execution=True):
        notify(client, key, "testapp.server_only", "SERVER", value=5)
    assert handlers.SERVER_CALLS == [(key, 5)]


@pytest.mark.django_db
def test_switchboard_down_never_breaks_a_view(caplog):
    client = Client()
    started = time.monotonic()
    key = page(client, "hello")  # registration refused: port 9 is closed
    notify(client, key, "test.down", "WINDOW", "BROADCAST", "hello")
    assert time.monotonic() - started < 1.0
    assert stats()["errors.connection"] == 2 and stats()["retries"] == 2
    assert "registration of window" in caplog.text and "trigger of test.down" in caplog.text
    assert key not in caplog.text  # keys are secrets: logs show 6 characters


@pytest.mark.django_db
def test_a_hanging_switchboard_costs_one_time_limit(silent_server):
    client = Client()
    with override_settings(SWITCHBOARD_URL=silent_server, SWITCHBOARD_TIMEOUT=0.5):
        started = time.monotonic()
        key = page(client)
        assert time.monotonic() - started < 1.5
        started = time.monotonic()
        notify(client, key, "test.slow", "BROADCAST")
        assert time.monotonic() - started < 1.5
    assert stats()["errors.timeout"] == 2


@pytest.mark.django_db
def test_raise_errors_setting():
    with override_settings(SWITCHBOARD_RAISE_ERRORS=True):
        with pytest.raises(SwitchboardError):
            page(Client())
        with pytest.raises(SwitchboardError):
            tasks.trigger(WindowInfo(), "test.x", to=[tasks.BROADCAST])


@pytest.mark.django_db
def test_public_ws_url_replaces_dfs_cookie():
    with override_settings(SWITCHBOARD_PUBLIC_WS_URL="wss://ws.example.com/ws/"):
        response = Client().get("/page/")
    assert response.cookies["dfwsurl"].value == quote_plus("wss://ws.example.com/ws/")
    plain = Client().get("/page/", HTTP_HOST="site.example")
    assert plain.cookies["dfwsurl"].value == quote_plus("ws://site.example/ws/")


# --- against a binary with PUT registrations and signal_id --------------------------------


@pytest.mark.django_db
def test_a_view_registers_its_window(contract, sockets, alice):
    from testapp.models import Room

    client = Client()
    client.force_login(alice)
    key = page(client, "room:lobby", "hello", "int:1")
    room = Room.objects.get(name="lobby")
    sha = hashlib.sha224(b"hello").hexdigest()
    registered = api(contract).request("POST", f"/api/v1/windows/{key}/topics", {})
    assert registered == {
        "topics": sorted([f"df:testapp.room.{room.pk}", f"df:str.{sha}", "df:int.1"])
    }

    # the identity: the window is alice's (-user.<pk>)
    socket = sockets(key)
    api(contract).request(
        "POST", "/api/v1/trigger", {"signal": "t.user", "to": [{"user": str(alice.pk)}]}
    )
    api(contract).request("POST", "/api/v1/trigger", {"signal": "t.end", "to": ["broadcast"]})
    assert [f["signal"] for f in socket.signals_until("t.end")] == ["t.user"]

    # an XHR of the same page that sets topics again replaces them, live
    response = client.get("/page/?topic=int:2", HTTP_DFWSKEY=key, **XHR)
    assert response.cookies["dfwskey"].value == key
    assert api(contract).request("POST", f"/api/v1/windows/{key}/topics", {}) == {
        "topics": ["df:int.2"]
    }


@pytest.mark.django_db
def test_triggers_reach_exactly_the_windows_df_would(contract, sockets, alice, bob):
    alice_a, alice_b, bobs, anon_d, anon_e = (Client() for _ in range(5))
    alice_a.force_login(alice)
    alice_b.force_login(alice)
    bobs.force_login(bob)
    keys = {
        "A": page(alice_a, "room:one", "hello"),
        "B": page(alice_b),
        "C": page(bobs, "room:one"),
        "D": page(anon_d, "hello"),
        "E": page(anon_e),
    }
    open_sockets = {name: sockets(key) for name, key in keys.items()}
    cases = [
        (("WINDOW",), "A"),
        (("USER",), "AB"),
        (("room:one",), "AC"),
        (("hello",), "AD"),
        (("BROADCAST",), "ABCDE"),
        (("WINDOW", "USER", "room:one"), "ABC"),
        (("int:1",), ""),
        (("room:two",), ""),
    ]
    for number, (to, expected) in enumerate(cases):
        signal = f"test.case{number}"
        notify(alice_a, keys["A"], signal, *to, n=number)
        notify(alice_a, keys["A"], "test.end", "BROADCAST")
        for name, socket in open_sockets.items():
            frames = socket.signals_until("test.end")
            got = [f["signal"] for f in frames]
            assert got == ([signal] if name in expected else []), (to, name, got)
            for frame in frames:
                assert frame["opts"] == {"n": number}
                uuid.UUID(frame["signal_id"])


@pytest.mark.django_db
def test_triggers_keep_dfs_signal_id_and_encoder(contract, sockets):
    key = page(Client())
    socket = sockets(key)
    signal_id = str(uuid.uuid4())
    integration.send_trigger("test.id", signal_id, [f"-window.{key}"], {"a": 1})
    frame = socket.recv()
    assert (frame["signal"], frame["signal_id"], frame["opts"]) == ("test.id", signal_id, {"a": 1})

    window_info = WindowInfo()
    window_info.window_key = key
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    tasks.trigger(
        window_info, "test.encoded", to=[tasks.WINDOW], when=when, price=decimal.Decimal("1.50")
    )
    frame = socket.recv()
    assert frame["opts"] == {"when": "2024-05-06T07:08:09Z", "price": "1.50"}


@pytest.mark.django_db
def test_a_handlers_trigger_reaches_the_calling_page(contract, sockets):
    """The backend view runs `testapp.echo`, whose trigger to WINDOW reaches the page."""
    key = page(Client())
    socket = sockets(key)
    body = {
        "signal": "testapp.echo",
        "opts": {"text": "hi"},
        "queue": "celery",
        "from_browser": True,
        "window": {"window_key": key, "user": None, "session": None, "language": "en"},
    }
    response = Client().post(
        "/switchboard/call",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer test-backend-key-0123456789",
    )
    assert response.json() == {"ok": True, "result": {"text": "hi", "n": 0}}
    frame = socket.recv()
    assert (frame["signal"], frame["opts"]) == ("testapp.echoed", {"text": "hi", "n": 0})


def test_package_exports_dfs_objects():
    from df_websockets import decorators

    import switchboard_django

    assert switchboard_django.trigger is tasks.trigger
    assert switchboard_django.set_websocket_topics is tasks.set_websocket_topics
    assert switchboard_django.signal is decorators.signal
    for name in ("everyone", "is_authenticated", "is_anonymous", "is_staff", "is_superuser"):
        assert getattr(switchboard_django, name) is getattr(decorators, name)
    assert switchboard_django.has_perm is decorators.has_perm
    assert switchboard_django.server_side is decorators.server_side
    assert switchboard_django.trigger_signal is tasks.trigger_signal
    assert switchboard_django.SYNC is tasks.SYNC and switchboard_django.SESSION is tasks.SESSION
    for name in ("WINDOW", "USER", "BROADCAST", "SERVER"):
        assert getattr(switchboard_django, name) is getattr(tasks, name)
    with pytest.raises(AttributeError):
        switchboard_django.nothing  # noqa: B018
