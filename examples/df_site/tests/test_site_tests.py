"""The site's own Django tests keep working on Switchboard: df_websockets' ``SignalQueue``.

``SignalQueue`` records the signals a view triggers instead of sending them; with
``switchboard_django`` installed nothing reaches Switchboard while it is active (here no
Switchboard runs at all: ``SWITCHBOARD_URL`` is a closed port).
"""

import pytest
from df_websockets.testing import SignalQueue
from django.test import Client, override_settings

from switchboard_django.client import reset_stats, stats

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("closed_switchboard")]


@pytest.fixture
def closed_switchboard():
    """Point the site at a port where nothing listens, and zero the request counters."""
    with override_settings(SWITCHBOARD_URL="http://127.0.0.1:9", SWITCHBOARD_API_KEY="k"):
        reset_stats()
        yield


def test_signal_queue_records_what_views_trigger():
    client = Client()
    with SignalQueue() as queue:
        assert client.post("/notify/everyone/", {"text": "hello"}).status_code == 204
        assert client.post("/rooms/1/post/", {"text": "in the lobby"}).status_code == 204
    assert queue.ws_signals["-broadcast"] == [("chat.notice", {"text": "hello"})]
    assert queue.ws_signals["-chat.room.1"] == [
        ("chat.message", {"room": "lobby", "text": "in the lobby", "by": "a view"})
    ]
    assert stats().get("requests", 0) == 0, "nothing was sent to Switchboard"


def test_a_page_without_switchboard_still_renders():
    """Switchboard unreachable: the page renders, the failed registration is only logged."""
    response = Client().get("/")
    assert response.status_code == 200
    assert b"df_websockets.min.js" in response.content
    assert stats().get("errors.connection", 0) == 1
