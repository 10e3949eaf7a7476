"""The Room model and the `lobby` room."""

from django.db import migrations, models


def create_lobby(apps, schema_editor):
    """Create the room every page joins."""
    apps.get_model("chat", "Room").objects.create(name="lobby")


class Migration(migrations.Migration):
    """Initial migration of the chat app."""

    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Room",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100, unique=True)),
            ],
        ),
        migrations.RunPython(create_lobby, migrations.RunPython.noop),
    ]
