"""The df_websockets API without df_websockets: what ``switchboard_django`` exports."""

from __future__ import annotations

import importlib
import inspect

import pytest

import switchboard_django
from switchboard_django import decorators, tasks


@pytest.mark.parametrize("module", ["df_websockets", "channels", "celery"])
def test_this_environment_has_no_df_channels_or_celery(module):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(module)


def test_names_are_the_packages_own():
    for name in ("signal", "everyone", "is_authenticated", "is_anonymous", "is_staff"):
        assert getattr(switchboard_django, name) is getattr(decorators, name)
    for name in ("is_superuser", "has_perm", "server_side"):
        assert getattr(switchboard_django, name) is getattr(decorators, name)
    for name in ("trigger", "trigger_signal", "set_websocket_topics"):
        assert getattr(switchboard_django, name) is getattr(tasks, name)
    for name in ("WINDOW", "USER", "BROADCAST", "SERVER", "SYNC", "SESSION"):
        constant = getattr(switchboard_django, name)
        assert constant is getattr(tasks, name)
        assert str(constant) == repr(constant) == name
    with pytest.raises(AttributeError):
        switchboard_django.nothing  # noqa: B018


def _parameters(function) -> list[tuple[str, str, object]]:
    return [
        (p.name, p.kind.name, p.default) for p in inspect.signature(function).parameters.values()
    ]


def test_signatures_are_dfs():
    """df_websockets 1.2.6's parameters, names, kinds and defaults."""
    empty = inspect.Parameter.empty
    assert _parameters(switchboard_django.signal) == [
        ("fn", "POSITIONAL_OR_KEYWORD", None),
        ("path", "POSITIONAL_OR_KEYWORD", None),
        ("is_allowed_to", "POSITIONAL_OR_KEYWORD", decorators.server_side),
        ("queue", "POSITIONAL_OR_KEYWORD", None),
        ("cls", "POSITIONAL_OR_KEYWORD", decorators.SignalConnection),
    ]
    assert _parameters(switchboard_django.trigger) == [
        ("window_info", "POSITIONAL_OR_KEYWORD", empty),
        ("signal_name", "POSITIONAL_OR_KEYWORD", empty),
        ("to", "POSITIONAL_OR_KEYWORD", None),
        ("kwargs", "VAR_KEYWORD", empty),
    ]
    assert _parameters(switchboard_django.trigger_signal) == [
        ("window_info", "POSITIONAL_OR_KEYWORD", empty),
        ("signal_name", "POSITIONAL_OR_KEYWORD", empty),
        ("to", "POSITIONAL_OR_KEYWORD", None),
        ("kwargs", "POSITIONAL_OR_KEYWORD", None),
        ("countdown", "POSITIONAL_OR_KEYWORD", None),
        ("expires", "POSITIONAL_OR_KEYWORD", None),
        ("eta", "POSITIONAL_OR_KEYWORD", None),
    ]
    assert _parameters(switchboard_django.set_websocket_topics) == [
        ("request", "POSITIONAL_OR_KEYWORD", empty),
        ("topics", "VAR_POSITIONAL", empty),
    ]


def test_signals_modules_are_imported_and_registered():
    from switchboard_django import backend

    listed = backend.signal_list()
    assert listed["nodfapp.echo"] == {"queues": ["celery"], "browser": True}
    assert listed["nodfapp.server_only"] == {"queues": ["celery"], "browser": False}
    assert listed["nodfapp.signals.bare"] == {"queues": ["celery"], "browser": False}
    (connection,) = decorators.REGISTERED_SIGNALS["nodfapp.add"]
    assert connection.required_arguments_names == {"a"}
    assert connection.check({"a": "2", "b": "3"}) == {"a": 2, "b": 3}
    assert connection.check({"a": "x"}) is None
    assert connection.check({"b": 1}) is None
    assert connection.check({"a": 1, "c": 1}) is None


def test_bad_handlers_are_refused():
    with pytest.raises(ValueError, match="window_info"):
        switchboard_django.signal(lambda request: None, path="x.y")
    with pytest.raises(ValueError, match="Invalid identifier"):
        switchboard_django.signal(lambda window_info: None, path="not a path")
    with pytest.raises(ValueError, match=r"\*args"):
        switchboard_django.signal(lambda window_info, *args: None, path="x.z")
    assert "x.y" not in decorators.REGISTERED_SIGNALS
