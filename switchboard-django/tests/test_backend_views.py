"""The backend views Switchboard calls (PROTOCOL.md §10), called as Switchboard would."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from testapp import signals as handlers

SECRET = "test-backend-key-0123456789"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"}
KEY = "b2" * 16


def window(user=None, language="en", **extra):
    """A `window` object as Switchboard sends it."""
    user_obj = None
    if user is not None:
        user_obj = {
            "id": str(user.pk),
            "username": user.username,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
            "perms": [],
        }
    return {
        "window_key": KEY,
        "user": user_obj,
        "session": None,
        "language": language,
        "extra": {"csrf_cookie": "tok", "user_agent": "UA", "user_set": True, **extra},
    }


def call(
    signal,
    opts=None,
    queue="celery",
    from_browser=True,
    win=None,
    client=None,
    accepts_triggers=None,
    **headers,
):
    """POST /switchboard/call; return (status, JSON)."""
    body = {"signal": signal, "opts": opts or {}, "queue": queue, "from_browser": from_browser}
    if accepts_triggers is not None:
        body["accepts_triggers"] = accepts_triggers
    body["window"] = win if win is not None else window()
    response = (client or Client()).post(
        "/switchboard/call",
        json.dumps(body),
        content_type="application/json",
        **(headers if headers else AUTH),
    )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong-key-0123456789"},
        {"HTTP_AUTHORIZATION": f"Basic {SECRET}"},
        {"HTTP_AUTHORIZATION": f"Bearer {SECRET}x"},
        {"HTTP_AUTHORIZATION": "Bearer "},
    ],
)
def test_refused_without_the_secret(headers):
    for response in (
        Client().get("/switchboard/signals", **headers),
        Client().post("/switchboard/call", "{}", content_type="application/json", **headers),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    assert handlers.SERVER_CALLS == []


def test_refused_when_no_secret_is_configured():
    with override_settings(SWITCHBOARD_BACKEND_KEY=""):
        assert Client().get("/switchboard/signals", HTTP_AUTHORIZATION="Bearer ").status_code == 401
        assert Client().get("/switchboard/signals", **AUTH).status_code == 401


def test_scheme_is_case_insensitive():
    response = Client().get("/switchboard/signals", HTTP_AUTHORIZATION=f"bearer {SECRET}")
    assert response.status_code == 200


def test_methods():
    assert Client().post("/switchboard/signals", **AUTH).status_code == 405
    assert Client().get("/switchboard/call", **AUTH).status_code == 405


def test_signal_list():
    response = Client().get("/switchboard/signals", **AUTH)
    assert response.status_code == 200
    answer = response.json()
    listed = answer["signals"]
    assert listed["testapp.echo"] == {"queues": ["celery"], "browser": True}
    assert listed["testapp.slow"] == {"queues": ["slow"], "browser": True}
    assert listed["testapp.two"] == {"queues": ["celery"], "browser": True}
    # Listed for server triggers; Switchboard answers browsers unknown_signal itself.
    assert listed["testapp.server_only"] == {"queues": ["celery"], "browser": False}
    # df's WEBSOCKET_POOL_SIZES (its default, {None: 10}): the threads df gives a queue.
    assert answer["queues"] == {"celery": {"concurrency": 10}, "slow": {"concurrency": 10}}


def test_csrf_exempt_for_authenticated_calls():
    status, answer = call("testapp.echo", {"text": "hi"}, client=Client(enforce_csrf_checks=True))
    assert status == 200 and answer["ok"] is True


@pytest.mark.django_db
def test_ok_with_result_and_argument_conversion():
    assert call("testapp.echo", {"text": "hi", "n": "3"}) == (
        200,
        {"ok": True, "result": {"text": "hi", "n": 3}},
    )
    assert call("testapp.add", {"a": "2", "b": 5}) == (200, {"ok": True, "result": 7})


def test_triggers_ride_in_the_answer_when_switchboard_accepts_them():
    status, answer = call("testapp.echo", {"text": "hi"}, accepts_triggers=True)
    assert status == 200 and answer["ok"] is True
    (trigger,) = answer["triggers"]
    assert trigger["signal"] == "testapp.echoed"
    assert trigger["opts"] == {"text": "hi", "n": 0}
    assert trigger["to"] == [{"window": KEY}]
    assert isinstance(trigger["signal_id"], str)  # df's id
    # a failed call carries what its handlers triggered before failing; none here
    status, answer = call("testapp.boom", accepts_triggers=True)
    assert answer["ok"] is False and "triggers" not in answer
    # without the flag (an older Switchboard), nothing rides in the answer
    assert "triggers" not in call("testapp.echo", {"text": "hi"})[1]


def test_several_handlers_first_non_null_result():
    assert call("testapp.two") == (200, {"ok": True, "result": 2})


def test_queue_selects_handlers():
    assert call("testapp.slow", queue="slow") == (200, {"ok": True, "result": "slow"})
    status, answer = call("testapp.slow", queue="celery")
    assert answer["error"]["code"] == "unknown_signal"


@pytest.mark.parametrize("name", ["testapp.nope", "testapp.server_only"])
def test_unknown_signal(name):
    status, answer = call(name, {"value": 1})
    assert status == 200
    assert answer == {
        "ok": False,
        "error": {"code": "unknown_signal", "message": f"unknown signal `{name}`"},
    }
    assert handlers.SERVER_CALLS == []


def test_server_trigger_runs_server_only_handlers():
    handlers.SERVER_CALLS.clear()
    status, answer = call("testapp.server_only", {"value": 5}, from_browser=False)
    assert answer == {"ok": True, "result": None}
    assert handlers.SERVER_CALLS == [(KEY, 5)]
    handlers.SERVER_CALLS.clear()


@pytest.mark.django_db
def test_forbidden(alice, django_user_model):
    status, answer = call("testapp.admin_only", win=window(alice))
    assert answer["error"] == {
        "code": "forbidden",
        "message": "this window may not call `testapp.admin_only`",
    }
    assert call("testapp.whoami")[1]["error"]["code"] == "forbidden"  # anonymous
    assert call("testapp.moderate", win=window(alice))[1]["error"]["code"] == "forbidden"
    # permissions come from the database, as in a df worker
    alice.user_permissions.add(Permission.objects.get(codename="moderate_room"))
    assert call("testapp.moderate", win=window(alice)) == (200, {"ok": True, "result": "moderated"})
    root = django_user_model.objects.create_superuser("root", password="pw")
    assert call("testapp.admin_only", win=window(root)) == (200, {"ok": True, "result": "admin"})


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({}, "missing argument `a`"),
        ({"a": "x"}, "argument `a`: invalid value"),
        ({"a": 1, "c": 2}, "unexpected argument `c`"),
    ],
)
def test_invalid_arguments(opts, message):
    assert call("testapp.add", opts) == (
        200,
        {"ok": False, "error": {"code": "invalid_arguments", "message": message}},
    )


def test_handler_error_does_not_leak(caplog):
    status, answer = call("testapp.boom")
    assert answer == {"ok": False, "error": {"code": "handler_error", "message": "internal error"}}
    assert "secret detail" not in json.dumps(answer)
    assert "secret detail of the failure" in caplog.text  # logged with its traceback


@pytest.mark.django_db
def test_handler_sees_the_window(alice):
    status, answer = call("testapp.whoami", win=window(alice, language="fr"))
    assert answer == {
        "ok": True,
        "result": {
            "window_key": KEY,
            "user_pk": alice.pk,
            "username": "alice",
            "is_staff": False,
            "is_superuser": False,
            "is_active": True,
            "csrf_cookie": "tok",
            "user_agent": "UA",
            "language": "fr",  # df's Djangoi18nMiddleware.before_process
            "can_moderate": False,
        },
    }


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "not json",
        '{"opts": {}}',
        '{"signal": "a", "opts": []}',
        '{"signal": "a", "from_browser": 1}',
        '{"signal": "a", "accepts_triggers": "yes"}',
    ],
)
def test_bad_bodies(body):
    response = Client().post("/switchboard/call", body, content_type="application/json", **AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.fixture
def celery_mode(monkeypatch):
    """df's Celery mode (its default when Celery is installed), with tasks run eagerly."""
    import df_websockets.celery
    from df_websockets import ws_settings

    from testapp import signals as handlers

    monkeypatch.setattr(ws_settings, "WEBSOCKET_WORKERS", "celery")
    monkeypatch.setitem(df_websockets.celery.app.conf, "task_always_eager", True)
    handlers.CELERY_RUNS.clear()
    return handlers.CELERY_RUNS


def test_in_celery_mode_calls_go_to_a_celery_task(celery_mode):
    assert call("testapp.in_celery", {"n": "3"}) == (200, {"ok": True, "result": None})
    assert celery_mode == [(3, True)], "df's Celery task ran the handler"
    # the checks still answer the browser before anything is sent
    assert call("testapp.add", {"a": "x"})[1]["error"]["code"] == "invalid_arguments"
    assert call("testapp.admin_only")[1]["error"]["code"] == "forbidden"
    assert celery_mode == [(3, True)]


def test_in_thread_mode_calls_run_in_the_request():
    from testapp import signals as handlers

    handlers.CELERY_RUNS.clear()
    answer = call("testapp.in_celery", {"n": 1})[1]
    assert answer == {"ok": True, "result": "a browser never sees a Celery task's result"}
    assert handlers.CELERY_RUNS == [(1, False)]
