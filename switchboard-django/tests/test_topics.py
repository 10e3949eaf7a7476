"""The mapping of df_websockets' topics onto Switchboard's (switchboard_django.topics).

Besides the table, a model of Switchboard's delivery rules (PROTOCOL.md §2.2, §6.5) checks
that registration and trigger mappings agree: a trigger to a df topic reaches a window
exactly when the window's df topics contain it, as in df_websockets.
"""

from __future__ import annotations

import hashlib

import pytest
from df_websockets.tasks import BROADCAST, USER, WINDOW
from df_websockets.topics import serialize_topic
from df_websockets.window_info import Session, WindowInfo

from switchboard_django.topics import app_topic, registration_topics, trigger_destinations

KEY = "k" * 32
OTHER_KEY = "o" * 32
SHA_HELLO = hashlib.sha224(b"hello").hexdigest()


@pytest.mark.parametrize(
    ("serialized", "destinations"),
    [
        ("-broadcast", ["broadcast"]),
        (f"-window.{KEY}", [{"window": KEY}]),
        ("-window.None", []),
        ("-window.short", []),
        ("-auth.user.42", [{"user": "42"}, {"topic": "df:auth.user.42"}]),
        ("-auth.user.None", [{"topic": "df:auth.user.None"}]),
        ("-testapp.room.3", [{"topic": "df:testapp.room.3"}]),
        (f"-str.{SHA_HELLO}", [{"topic": f"df:str.{SHA_HELLO}"}]),
        ("-int.1", [{"topic": "df:int.1"}]),
        ("-<Room>", [{"topic": "df:<Room>"}]),
        ("-session.abc", [{"topic": "df:session.abc"}]),
        ("custom", [{"topic": "df:custom"}]),
    ],
)
def test_trigger_destinations(serialized, destinations):
    assert trigger_destinations([serialized]) == destinations


def test_unsafe_names_are_hashed():
    long_name = "-" + "x" * 250
    control = "-str.a\nb"
    for name in (long_name, control):
        digest = hashlib.sha256(name.encode()).hexdigest()
        assert app_topic(name) == f"df:sha256:{digest}"
    # "é" is 2 bytes: 3 + 196 bytes are kept as they are, 3 + 198 are too many
    assert app_topic("-" + "é" * 98) == "df:" + "é" * 98
    assert app_topic("-" + "é" * 99).startswith("df:sha256:")


def test_trigger_destinations_deduplicate():
    assert trigger_destinations(["-broadcast", "-int.1", "-broadcast", "-int.1"]) == [
        "broadcast",
        {"topic": "df:int.1"},
    ]


def test_registration_topics_leave_out_implicit_ones():
    df_topics = [
        "-broadcast",
        f"-window.{KEY}",
        "-auth.user.7",
        "-auth.user.8",
        "-testapp.room.1",
        "-int.1",
    ]
    assert registration_topics(df_topics, KEY, "7") == [
        "df:auth.user.8",
        "df:int.1",
        "df:testapp.room.1",
    ]
    # an anonymous window keeps a user topic as an application topic
    assert "df:auth.user.7" in registration_topics(df_topics, KEY, None)


def _reaches(destinations, key, user_id, app_topics) -> bool:
    """Switchboard's rule: does a trigger with these destinations reach this window?"""
    for d in destinations:
        if d == "broadcast":
            return True
        if d.get("window") == key or (user_id is not None and d.get("user") == user_id):
            return True
        if d.get("topic") in app_topics:
            return True
    return False


@pytest.mark.django_db
def test_both_mappings_agree_with_df(alice, bob):
    from testapp.models import Room

    room = Room.objects.create(name="lobby")
    own = WindowInfo()
    own.window_key, own.user_pk = KEY, alice.pk
    other = WindowInfo()
    other.window_key, other.user_pk = OTHER_KEY, bob.pk
    objects = [BROADCAST, WINDOW, USER, room, Room, "hello", 1, Session("s1"), bob]
    candidates = {serialize_topic(own, o) for o in objects}
    candidates |= {serialize_topic(other, o) for o in (WINDOW, USER)}
    candidates |= {"-int.2", "-str.other", "-auth.user.None"}
    # what views pass to set_websocket_topics; df adds WINDOW, BROADCAST and, for an
    # authenticated user, USER
    subsets = [set(), {room, "hello"}, {1, Session("s1"), bob, Room}, {USER}]
    for user_pk in (alice.pk, None):
        own.user_pk = user_pk
        user_id = None if user_pk is None else str(user_pk)
        for subset in subsets:
            added = {WINDOW, BROADCAST} | ({USER} if user_pk is not None else set())
            df_topics = {serialize_topic(own, o) for o in subset | added}
            app_topics = set(registration_topics(df_topics, KEY, user_id))
            for topic in candidates | df_topics:
                reached = _reaches(trigger_destinations([topic]), KEY, user_id, app_topics)
                assert reached == (topic in df_topics), (topic, sorted(df_topics))


@pytest.mark.django_db
def test_the_df_less_serializer_makes_dfs_names(django_user_model):
    """Sites switching between the modes keep their Switchboard topic names."""
    from switchboard_django import tasks as own_tasks
    from switchboard_django import window_info as own
    from switchboard_django.topics import serialize_topic as own_serialize
    from testapp.models import Room

    user = django_user_model.objects.create_user("carol")
    room = Room.objects.create(name="lobby")
    df_info, own_info = WindowInfo(), own.WindowInfo()
    for info in (df_info, own_info):
        info.window_key, info.user_pk = KEY, user.pk
    pairs = [
        (BROADCAST, own_tasks.BROADCAST),
        (WINDOW, own_tasks.WINDOW),
        (USER, own_tasks.USER),
        (Session("s1"), own.Session("s1")),
    ] + [(obj, obj) for obj in (room, Room(name="unsaved"), user, "hello", "é", 1, 2.5, Room)]
    for df_obj, own_obj in pairs:
        expected = serialize_topic(df_info, df_obj)
        assert own_serialize(own_info, own_obj) == expected, df_obj
        assert trigger_destinations([expected])  # each maps somewhere
    assert own_serialize(None, own_tasks.WINDOW) is serialize_topic(None, WINDOW) is None
