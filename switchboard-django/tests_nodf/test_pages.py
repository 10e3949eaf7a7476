"""Pages, XHRs and triggers of a df-less site, through a real Switchboard."""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from urllib.parse import quote_plus

import pytest
from django.test import Client, RequestFactory, override_settings

from conftest import XHR, api, notify, page
from nodfapp import signals as handlers
from nodfapp.models import Room
from switchboard_django import SERVER, SYNC, WINDOW, set_websocket_topics, trigger, trigger_signal
from switchboard_django.client import stats
from switchboard_django.window_info import WindowInfo

KEY_RE = re.compile(r"^[a-z0-9]{32}$")


def topics_of(server, key: str) -> list[str]:
    """The application topics Switchboard holds for a window."""
    return api(server).request("POST", f"/api/v1/windows/{key}/topics", {})["topics"]


@pytest.mark.django_db
def test_a_view_registers_its_window_and_sets_dfs_cookies(switchboard, alice):
    client = Client()
    client.force_login(alice)
    key = page(client, "room:lobby", "hello", "int:1", HTTP_HOST="site.example")
    assert KEY_RE.match(key)
    room = Room.objects.get(name="lobby")
    sha = hashlib.sha224(b"hello").hexdigest()
    # the df mode's names: df:<serialized df topic without its dash>
    assert topics_of(switchboard, key) == sorted(
        [f"df:nodfapp.room.{room.pk}", f"df:str.{sha}", "df:int.1"]
    )
    response = client.get("/page/", HTTP_HOST="site.example")
    cookie = response.cookies["dfwsurl"]
    assert cookie.value == quote_plus("ws://site.example/ws/")
    assert (cookie["max-age"], cookie["path"], cookie["httponly"]) == (86400, "/", "")
    assert response.cookies["dfwskey"].value != key  # a new page, a new window
    with override_settings(SWITCHBOARD_PUBLIC_WS_URL="wss://ws.example.com/ws/"):
        response = client.get("/page/")
    assert response.cookies["dfwsurl"].value == quote_plus("wss://ws.example.com/ws/")
    with override_settings(WEBSOCKET_URL="/live/"):
        response = client.get("/page/", secure=True)
    assert response.cookies["dfwsurl"].value == quote_plus("wss://testserver/live/")
    assert response.cookies["dfwsurl"]["secure"] is True


@pytest.mark.django_db
def test_a_view_without_topics_registers_nothing(switchboard):
    response = Client().get("/plain/")
    assert "dfwskey" not in response.cookies and "dfwsurl" not in response.cookies
    assert stats().get("requests", 0) == 0
    assert b"<meta" not in response.content


@pytest.mark.django_db
def test_triggers_reach_the_windows_of_their_topics(switchboard, sockets, alice, bob):
    alice_a, alice_b, bobs, anon = Client(), Client(), Client(), Client()
    alice_a.force_login(alice)
    alice_b.force_login(alice)
    bobs.force_login(bob)
    keys = {
        "A": page(alice_a, "room:one", "hello"),
        "B": page(alice_b),
        "C": page(bobs, "room:one"),
        "D": page(anon, "hello"),
    }
    opened = {name: sockets(key) for name, key in keys.items()}
    cases = [
        (("WINDOW",), "A"),
        (("USER",), "AB"),
        (("BROADCAST",), "ABCD"),
        (("room:one",), "AC"),
        (("hello",), "AD"),
        (("WINDOW", "USER", "room:one"), "ABC"),
        (("room:two",), ""),
        (("int:1",), ""),
    ]
    for number, (to, expected) in enumerate(cases):
        signal = f"test.case{number}"
        assert notify(alice_a, keys["A"], signal, *to, n=number) == {"window_key": keys["A"]}
        notify(alice_a, keys["A"], "test.end", "BROADCAST")
        for name, socket in opened.items():
            frames = socket.signals_until("test.end")
            assert [f["signal"] for f in frames] == ([signal] if name in expected else []), (
                to,
                name,
            )
            for frame in frames:
                assert frame["opts"] == {"n": number}
                uuid.UUID(frame["signal_id"])


@pytest.mark.django_db
def test_an_xhr_triggers_to_its_pages_window(switchboard, sockets):
    client = Client()
    key = page(client)
    socket = sockets(key)
    assert notify(client, key, "test.by_header", "WINDOW", a=1) == {"window_key": key}
    frame = socket.recv()
    assert (frame["signal"], frame["opts"]) == ("test.by_header", {"a": 1})
    # without the header, an XHR uses the dfwskey cookie the page set
    assert notify(client, None, "test.by_cookie", "WINDOW") == {"window_key": key}
    assert socket.recv()["signal"] == "test.by_cookie"
    # a request that is not an XHR is a new window: the page's does not receive it
    response = client.get("/notify/?signal=test.other&to=WINDOW", HTTP_DFWSKEY=key)
    assert response.json()["window_key"] != key
    notify(client, key, "test.end", "WINDOW")
    assert socket.signals_until("test.end") == []
    # an XHR that sets topics again replaces them, live, and keeps the key
    response = client.get("/page/?topic=int:2", HTTP_DFWSKEY=key, **XHR)
    assert response.cookies["dfwskey"].value == key
    assert topics_of(switchboard, key) == ["df:int.2"]


@pytest.mark.django_db
def test_trigger_to_server_runs_the_handlers_in_this_process(alice):
    client = Client()
    client.force_login(alice)
    key = page(client)  # Switchboard down (port 9): the view works anyway
    before = stats()["requests"]
    notify(client, key, "nodfapp.server_only", "SERVER", value="3")
    assert handlers.SERVER_CALLED.wait(5)
    ((got_key, username, value, thread),) = handlers.SERVER_CALLS
    assert (got_key, username, value) == (key, "alice", 3)  # converted by the annotation
    assert thread != threading.current_thread().name and thread.startswith("switchboard-")
    assert stats()["requests"] == before  # SERVER is not sent to Switchboard

    handlers.SERVER_CALLS.clear()
    notify(client, key, "nodfapp.server_only", "SYNC", value=4)
    assert handlers.SERVER_CALLS == [(key, "alice", 4, threading.current_thread().name)]

    handlers.SERVER_CALLS.clear()
    handlers.SERVER_CALLED.clear()
    trigger(None, "nodfapp.server_only", to=SERVER, value=5)  # server code, no window
    assert handlers.SERVER_CALLED.wait(5)
    assert handlers.SERVER_CALLS[0][:3] == (None, None, 5)

    handlers.SERVER_CALLS.clear()
    trigger(None, "nodfapp.server_only", to=[SYNC], nope=1)  # invalid arguments: skipped
    trigger(None, "nodfapp.unknown", to=[SYNC, SERVER])  # no handler: nothing
    assert handlers.SERVER_CALLS == []
    with pytest.raises(ValueError, match="Celery"):
        trigger_signal(None, "nodfapp.server_only", to=[SERVER], countdown=5)


def test_set_websocket_topics_needs_the_middleware():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="WebsocketMiddleware"):
        set_websocket_topics(RequestFactory().get("/"), "x")


@pytest.mark.django_db
def test_triggers_use_the_signal_encoder(switchboard, sockets):
    import datetime
    import decimal

    key = page(Client())
    socket = sockets(key)
    window_info = WindowInfo()
    window_info.window_key = key
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    trigger(window_info, "test.encoded", to=WINDOW, when=when, price=decimal.Decimal("1.50"))
    frame = socket.recv()
    assert frame["opts"] == {"when": "2024-05-06T07:08:09Z", "price": "1.50"}


@pytest.mark.django_db
def test_template_tags(switchboard):
    client = Client()
    with override_settings(SWITCHBOARD_PUBLIC_URL="https://sb.example.com/"):
        response = client.get("/page/", HTTP_HOST="site.example")
    key = response.cookies["dfwskey"].value
    html = response.content.decode()
    assert f'<meta name="df-window-key" content="{key}">' in html
    assert '<meta name="df-ws-url" content="ws://site.example/ws/">' in html
    assert '<script src="https://sb.example.com/static/switchboard.js" defer></script>' in html

    with override_settings(SWITCHBOARD_PUBLIC_WS_URL="wss://ws.example.com:8443/ws/?a=1&b=2"):
        html = client.get("/page/").content.decode()
    assert '<script src="https://ws.example.com:8443/static/switchboard.js" defer>' in html
    assert 'content="wss://ws.example.com:8443/ws/?a=1&amp;b=2"' in html  # escaped

    html = client.get("/plain/").content.decode()
    assert "<meta" not in html  # no registered window: the cookies or nothing
    assert '<script src="/static/switchboard.js" defer></script>' in html


def test_the_script_url_is_served_by_switchboard(switchboard):
    import urllib3

    from switchboard_django.templatetags.switchboard import script_url

    with override_settings(SWITCHBOARD_PUBLIC_URL=switchboard.url):
        url = script_url()
    response = urllib3.request("GET", url)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert b"DFSignals" in response.data
