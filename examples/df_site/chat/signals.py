"""Python handlers of browser calls, written as df_websockets' README shows."""

from df_websockets.decorators import everyone, is_authenticated, is_superuser, signal
from df_websockets.tasks import WINDOW, trigger

from chat.models import Room


def _name(window_info) -> str:
    return window_info.username or "anonymous"


@signal(path="chat.echo", is_allowed_to=everyone)
def echo(window_info, text: str = ""):
    """Send the text back to the calling window."""
    trigger(window_info, "chat.echoed", to=[WINDOW], text=text, by=_name(window_info))


@signal(path="chat.say", is_allowed_to=is_authenticated, queue="chat")
def say(window_info, room: int, text: str):
    """Post a message to every page of a room."""
    room = Room.objects.get(pk=room)
    trigger(
        window_info, "chat.message", to=[room], room=room.name, text=text, by=_name(window_info)
    )


@signal(path="chat.purge", is_allowed_to=is_superuser)
def purge(window_info):
    """A superuser-only action: tells the calling window that it ran."""
    trigger(window_info, "chat.purged", to=[WINDOW], by=_name(window_info))


@signal(path="chat.fail", is_allowed_to=everyone)
def fail(window_info):
    """A handler with a bug."""
    raise RuntimeError("this handler always fails")
