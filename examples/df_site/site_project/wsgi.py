"""WSGI entry point (the site on Switchboard needs no ASGI server)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_project.settings_switchboard")
application = get_wsgi_application()
