"""The example site on Switchboard: the whole migration is this file and one line of urls.py.

Compared with `settings.py`: Channels and daphne leave `INSTALLED_APPS` (Switchboard serves
the websockets), `switchboard_django` comes after `df_websockets`, and four settings say
where Switchboard is. Views, handlers, templates and the df_websockets JS client are unchanged.
"""

import os

from site_project.settings import *  # noqa: F403
from site_project.settings import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in ("daphne", "channels")]
INSTALLED_APPS.insert(INSTALLED_APPS.index("df_websockets") + 1, "switchboard_django")

SWITCHBOARD_URL = os.environ.get("SWITCHBOARD_URL", "http://127.0.0.1:8001")
SWITCHBOARD_API_KEY = os.environ.get("SWITCHBOARD_API_KEY", "")
SWITCHBOARD_BACKEND_KEY = os.environ.get("SWITCHBOARD_BACKEND_KEY", "")
# Without a reverse proxy sending /ws/ to Switchboard, pages connect to it directly.
SWITCHBOARD_PUBLIC_WS_URL = os.environ.get("SWITCHBOARD_PUBLIC_WS_URL", "")
