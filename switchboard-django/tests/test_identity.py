"""WindowInfo -> registration -> backend call's window -> WindowInfo (switchboard_django.identity)."""

from __future__ import annotations

import pytest
from df_websockets.window_info import WindowInfo
from django.contrib.auth.models import AnonymousUser, Permission
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import translation

from switchboard_django.identity import MAX_EXTRA_BYTES, registration_body, window_info_from_call

KEY = "a1" * 16


def _request(user):
    request = RequestFactory().get(
        "/page/", HTTP_USER_AGENT="TestBrowser/1.0", HTTP_ACCEPT_LANGUAGE="fr"
    )
    request.COOKIES["csrftoken"] = "c" * 32
    request.user = user
    request.session = SessionStore()
    request.session["x"] = 1
    request.session.save()
    request.window_key = KEY
    return request


def _as_switchboard_hands_it_back(body: dict) -> dict:
    """The `window` of a backend call (PROTOCOL.md §10.2) for a window registered with `body`."""
    return {
        "window_key": KEY,
        "user": body["user"],
        "session": body["session"],
        "language": body["language"],
        "extra": body["extra"],
    }


@pytest.mark.django_db
def test_round_trip_of_a_logged_in_window(alice):
    alice.is_staff = True
    alice.save()
    alice.user_permissions.add(Permission.objects.get(codename="moderate_room"))
    request = _request(alice)
    with translation.override("fr"):
        original = WindowInfo.from_request(request)
    body = registration_body(request, original, ["df:int.1"], ttl=99_999_999)

    assert body["user"] == {
        "id": str(alice.pk),
        "username": "alice",
        "is_staff": True,
        "is_superuser": False,
        "perms": ["testapp.moderate_room"],
    }
    assert body["session"] == request.session.session_key
    assert body["language"] == "fr"
    assert body["topics"] == ["df:int.1"]
    assert body["ttl"] == 2_592_000  # Switchboard's bound
    assert body["extra"] == {
        "csrf_cookie": "c" * 32,
        "user_agent": "TestBrowser/1.0",
        "is_active": True,
        "user_set": True,
    }

    rebuilt = window_info_from_call(_as_switchboard_hands_it_back(body))
    expected = original.to_dict()
    got = rebuilt.to_dict()
    expected.pop("perms"), got.pop("perms")  # read from the database when asked, as in df
    assert got == expected
    assert rebuilt.user_pk == alice.pk and isinstance(rebuilt.user_pk, int)
    assert rebuilt.is_authenticated and not rebuilt.is_anonymous
    assert rebuilt.has_perm("testapp.moderate_room")
    assert rebuilt.user == alice


@pytest.mark.django_db
def test_round_trip_of_an_anonymous_window():
    request = _request(AnonymousUser())
    original = WindowInfo.from_request(request)
    body = registration_body(request, original, [])
    assert body["user"] is None
    assert "ttl" not in body
    rebuilt = window_info_from_call(_as_switchboard_hands_it_back(body))
    assert rebuilt.to_dict() == original.to_dict()
    assert rebuilt.is_anonymous


@pytest.mark.django_db
def test_window_of_an_unregistered_connection():
    rebuilt = window_info_from_call({"user": None})
    assert rebuilt.window_key is None and rebuilt.user_pk is None


@pytest.mark.django_db
def test_extra_stays_within_switchboards_bound(alice):
    request = _request(alice)
    window_info = WindowInfo.from_request(request)
    window_info.user_agent = "u" * 10_000  # truncated to 512
    window_info.huge = "h" * 10_000
    window_info.to_dict = lambda: {**WindowInfo.to_dict(window_info), "huge": window_info.huge}
    body = registration_body(request, window_info, [])
    assert body["extra"]["user_agent"] == "u" * 512
    assert "huge" not in body["extra"]
    import json

    assert len(json.dumps(body["extra"]).encode()) <= MAX_EXTRA_BYTES
