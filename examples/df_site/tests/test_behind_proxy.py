"""The example site behind nginx, configured as the README's migration guide says.

nginx sends ``/ws/`` to Switchboard and everything else to Django, so df's ``dfwsurl``
cookie (the page's own host) leads the df client to Switchboard, the ``dfwskey`` cookie
travels with the upgrade (same origin), and Switchboard's default same-origin check passes
without ``--allowed-origin``.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from tests.pages import Window, unique


@pytest.fixture(scope="module")
def windows(proxied_site, browser):
    """A page of alice and an anonymous page, both through nginx."""
    opened = {
        "alice": Window(browser, proxied_site, "alice"),
        "anonymous": Window(browser, proxied_site, None),
    }
    yield opened
    for window in opened.values():
        window.close()


def test_pages_connect_to_their_own_origin(proxied_site, windows):
    own_ws_url = proxied_site.url.replace("http://", "ws://") + "/ws/"
    for window in windows.values():
        assert unquote(window.cookie("dfwsurl")) == own_ws_url
        assert window.sockets == [own_ws_url]
    assert "--allowed-origin" not in proxied_site.serve_command


def test_calls_and_triggers_go_through_the_proxy(windows):
    text = unique("proxied echo")
    windows["alice"].call("chat.echo", text=text)
    windows["alice"].wait_for(f"echoed: {text} by alice")
    to_user = unique("proxied notice")
    assert windows["alice"].post("/notify/user/", to_user) == 204
    windows["alice"].wait_for(f"notice: {to_user}")
    everyone = unique("proxied broadcast")
    assert windows["anonymous"].post("/notify/everyone/", everyone) == 204
    windows["alice"].wait_for(f"notice: {everyone}")
    # delivered in trigger order: what the anonymous page lacks now, it was never sent
    assert f"notice: {to_user}" not in windows["anonymous"].wait_for(f"notice: {everyone}")
