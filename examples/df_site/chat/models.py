"""A chat room: a model instance is a df_websockets topic (`-chat.room.<pk>`)."""

from django.db import models


class Room(models.Model):
    """A room whose pages receive the messages posted to it."""

    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        """Return the room's name."""
        return self.name
