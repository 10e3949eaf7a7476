"""A model whose instances are topics (``-nodfapp.room.<pk>``)."""

from django.db import models


class Room(models.Model):
    """A chat room."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        permissions = [("moderate_room", "Can moderate rooms")]
