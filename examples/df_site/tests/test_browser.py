"""The example df_websockets site on Switchboard, in Chromium, with df_websockets' own JS client.

Every page is its own browser context (its own cookies, so its own ``dfwskey`` window key and
its own user). The pages load ``js/df_websockets.min.js`` from df_websockets 1.2.6 itself and
show the signals they receive in ``#log``. The tests run in file order: the last one stops
Django and starts it again.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.conftest import manage
from tests.pages import Window, unique


@pytest.fixture(scope="module")
def windows(site, browser):
    """Two pages of alice, one of bob, one of root (a superuser), one anonymous page."""
    opened = {
        "alice": Window(browser, site, "alice"),
        "alice2": Window(browser, site, "alice"),
        "bob": Window(browser, site, "bob"),
        "root": Window(browser, site, "root"),
        "anonymous": Window(browser, site, None),
    }
    yield opened
    for window in opened.values():
        window.close()


def broadcast_sentinel(windows) -> dict[str, list[str]]:
    """Broadcast a notice from a view and return every page's log once it arrived.

    Switchboard delivers a window's signals in the order of their triggers, so what a page
    has not shown by then it was never sent.
    """
    text = unique("sentinel")
    assert windows["anonymous"].post("/notify/everyone/", text) == 204
    return {name: window.wait_for(f"notice: {text}") for name, window in windows.items()}


def test_pages_connect_to_switchboard_with_their_cookies(site, windows):
    public_ws_url = site.env["SWITCHBOARD_PUBLIC_WS_URL"]
    keys = set()
    for window in windows.values():
        # df's client connects to the `dfwsurl` cookie's URL; the key travels in the cookie.
        assert unquote(window.cookie("dfwsurl")) == public_ws_url
        assert window.sockets == [public_ws_url]
        key = window.cookie("dfwskey")
        assert re.fullmatch(r"[a-z0-9]{32}", key)
        keys.add(key)
    assert len(keys) == len(windows), "every page has its own window key"
    # `manage.py switchboard` printed the command line that serves the site
    assert "--backend-url" in site.serve_command
    assert "--allowed-origin" in site.serve_command
    assert site.serve_command[site.serve_command.index("--allowed-origin") + 1] == site.url


def test_a_browser_call_runs_the_python_handler_which_triggers_back(windows):
    text = unique("echo")
    windows["alice"].call("chat.echo", text=text)
    windows["alice"].wait_for(f"echoed: {text} by alice")
    windows["anonymous"].call("chat.echo", text=text)
    windows["anonymous"].wait_for(f"echoed: {text} by anonymous")
    logs = broadcast_sentinel(windows)
    for name in ("alice2", "bob", "root"):
        assert not any(line.startswith(f"echoed: {text}") for line in logs[name]), name


def test_a_handler_triggers_to_a_model_instance(windows):
    text = unique("hello room")
    windows["alice"].page.fill("#say input[name=text]", text)
    windows["alice"].page.click("#say button")
    for window in windows.values():
        window.wait_for(f"message in lobby: {text} by alice")


def test_views_trigger_to_user_broadcast_and_topics(windows):
    alice = windows["alice"]
    to_user = unique("to alice")
    assert alice.post("/notify/user/", to_user) == 204
    windows["alice"].wait_for(f"notice: {to_user}")
    windows["alice2"].wait_for(f"notice: {to_user}")

    everyone = unique("to everyone")
    assert windows["bob"].post("/notify/everyone/", everyone) == 204
    news = unique("news")
    assert windows["anonymous"].post("/notify/news/", news) == 204
    room = unique("room")
    assert windows["root"].post("/rooms/1/post/", room) == 204
    for name, window in windows.items():
        log = window.wait_for(f"message in lobby: {room} by a view")
        assert f"notice: {everyone}" in log, name
        assert f"news: {news}" in log, name
        assert (f"notice: {to_user}" in log) == name.startswith("alice"), name


def test_a_management_command_reaches_every_page(site, windows):
    text = unique("from a command")
    manage(site.env, "announce", text)
    for window in windows.values():
        window.wait_for(f"notice: {text}")


def test_an_ajax_view_triggers_to_the_page_that_sent_it(windows):
    text = unique("pong")
    assert windows["alice2"].post("/ping/", text) == 200
    windows["alice2"].wait_for(f"pong: {text}")
    logs = broadcast_sentinel(windows)
    for name, log in logs.items():
        assert (f"pong: {text}" in log) == (name == "alice2"), name


def test_a_superuser_only_handler_runs_for_superusers_only(windows):
    windows["alice"].call("chat.purge")
    reply = windows["alice"].request("chat.purge")
    assert reply["ok"] is False and reply["error"]["code"] == "forbidden", reply
    windows["root"].call("chat.purge")
    windows["root"].wait_for("purged by root")
    logs = broadcast_sentinel(windows)
    assert not any(line.startswith("purged") for line in logs["alice"])


def test_errors_reach_a_browser_request_as_protocol_codes(windows):
    page = windows["bob"]
    reply = page.request("chat.echo", text="x")
    assert reply["ok"] is True and reply["result"] is None, reply
    cases = [
        ("chat.unknown", {}, "unknown_signal"),
        ("chat.fail", {}, "handler_error"),
        ("chat.say", {"text": "no room"}, "invalid_arguments"),
        ("chat.purge", {}, "forbidden"),
    ]
    for signal, opts, code in cases:
        reply = page.request(signal, **opts)
        assert reply["ok"] is False and reply["error"]["code"] == code, (signal, reply)
    reply = windows["anonymous"].request("chat.say", room=1, text="anonymous")
    assert reply["error"]["code"] == "forbidden", "chat.say is for authenticated users"


def test_with_django_down_a_call_fails_and_switchboard_keeps_serving(site, windows):
    page = windows["alice"]
    site.django.stop()
    try:
        reply = page.request("chat.echo", text="anyone there?")
        assert reply["ok"] is False and reply["error"]["code"] == "handler_error", reply
        # the pages stay connected and triggers from other backends still reach them
        text = unique("while django is down")
        status, answer = site.api(
            "POST",
            "/api/v1/trigger",
            {"signal": "chat.notice", "opts": {"text": text}, "to": ["broadcast"]},
        )
        assert status == 202, answer
        for window in windows.values():
            window.wait_for(f"notice: {text}")
        assert site.api("GET", "/readyz")[0] == 200
    finally:
        site.start_django()
    # Django is back: the next call runs the handler again
    text = unique("back")
    page.call("chat.echo", text=text)
    page.wait_for(f"echoed: {text} by alice")
