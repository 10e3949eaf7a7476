"""The chat application of the example site."""

from django.apps import AppConfig


class ChatConfig(AppConfig):
    """df_websockets imports `chat.signals` itself (every installed app's `signals` module)."""

    name = "chat"
