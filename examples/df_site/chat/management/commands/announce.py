"""``manage.py announce TEXT``: a notice to every open page, from outside any request."""

from df_websockets.tasks import BROADCAST, trigger
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Send the ``chat.notice`` signal to every window, as df's README shows from a shell."""

    help = "Send a notice to every open page."

    def add_arguments(self, parser):
        """Take the text of the notice."""
        parser.add_argument("text")

    def handle(self, *args, **options):
        """Trigger the notice (no request, no window: ``trigger(None, ...)``)."""
        trigger(None, "chat.notice", to=[BROADCAST], text=options["text"])
