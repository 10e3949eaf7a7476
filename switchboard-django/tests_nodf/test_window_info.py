"""The df-less ``WindowInfo``: from a request, to a dict and back, lazy user and permissions."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from switchboard_django.window_info import WindowInfo

KEY = "a1" * 16


def _request(user=None, **meta):
    request = RequestFactory().get("/", HTTP_USER_AGENT="UA/1", **meta)
    request.COOKIES["csrftoken"] = "tok"
    request.window_key = KEY
    if user is not None:
        request.user = user
    return request


@pytest.mark.django_db
def test_round_trip_of_a_users_window(alice, django_assert_num_queries):
    alice.user_permissions.add(Permission.objects.get(codename="moderate_room"))
    window_info = WindowInfo.from_request(_request(alice))
    assert WindowInfo.from_request(window_info) is window_info
    assert (window_info.window_key, window_info.user_pk, window_info.username) == (
        KEY,
        alice.pk,
        "alice",
    )
    assert window_info.is_authenticated and not window_info.is_anonymous
    assert (window_info.csrf_cookie, window_info.user_agent) == ("tok", "UA/1")
    assert window_info.language_code == "en"  # no session: LANGUAGE_CODE
    values = window_info.to_dict()
    assert values == {
        "window_key": KEY,
        "user_pk": alice.pk,
        "username": "alice",
        "is_superuser": False,
        "is_staff": False,
        "is_active": True,
        "csrf_cookie": "tok",
        "perms": None,  # not read yet
        "user_agent": "UA/1",
        "user_set": True,
        "language_code": "en",
    }
    rebuilt = WindowInfo.from_dict(json.loads(json.dumps(values)))
    assert rebuilt.to_dict() == values
    with django_assert_num_queries(1):  # permissions are read once, when asked
        assert rebuilt.has_perm("nodfapp.moderate_room")
        assert not rebuilt.has_perm("nodfapp.other")
        assert rebuilt.perms == {"nodfapp.moderate_room"}
    assert rebuilt.to_dict()["perms"] == ["nodfapp.moderate_room"]
    assert WindowInfo.from_dict(rebuilt.to_dict()).has_perm("nodfapp.moderate_room")
    assert rebuilt.user == alice


@pytest.mark.django_db
def test_a_user_pk_alone_reads_the_user(alice):
    rebuilt = WindowInfo.from_dict({"window_key": KEY, "user_pk": alice.pk})
    assert (rebuilt.username, rebuilt.is_active, rebuilt.is_staff) == ("alice", True, False)


def test_anonymous_windows():
    from django.contrib.auth.models import AnonymousUser

    window_info = WindowInfo.from_request(_request(AnonymousUser()))
    assert window_info.user_pk is None and window_info.is_anonymous
    assert not window_info.is_authenticated and window_info.perms == set()
    assert window_info.user is None
    assert WindowInfo.from_dict(window_info.to_dict()).to_dict() == window_info.to_dict()
    assert WindowInfo.from_dict(None) is None
    blank = WindowInfo.from_request(None)
    assert blank.window_key is None and blank.to_dict()["user_set"] is False
    assert KEY not in repr(WindowInfo.from_request(_request(AnonymousUser())))
