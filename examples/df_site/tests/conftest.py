"""The example site on Switchboard, for real: a Django process, a Switchboard process, Chromium.

The site runs as a user would run it: ``manage.py migrate``, ``manage.py runserver`` with
``site_project.settings_switchboard``, and the Switchboard command line that ``manage.py
switchboard`` prints for those settings (the binary is ``$SWITCHBOARD_BIN``), in one of the
two set-ups of the README's migration guide:

- ``site``: no reverse proxy; pages connect to Switchboard's own port
  (``SWITCHBOARD_PUBLIC_WS_URL``), so Switchboard must allow the pages' origin;
- ``proxied_site``: nginx in front sends ``/ws/`` to Switchboard and the rest to Django, as
  the README's configuration does; pages connect to their own origin.

Chromium is Debian's (``chromium`` on the PATH), driven by Playwright.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path

import pytest

SITE_DIR = Path(__file__).resolve().parent.parent
SETTINGS = "site_project.settings_switchboard"
START_TIMEOUT = 30.0
PASSWORDS = {"alice": "alice-pw-1", "bob": "bob-pw-1", "root": "root-pw-1"}


def free_port() -> int:
    """Return a port of 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """A child process whose output is kept (the last lines) for failure messages."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]):
        self.name, self.argv, self.env = name, argv, env
        self.output: deque[str] = deque(maxlen=200)
        self.popen: subprocess.Popen[str] | None = None

    def start(self, ready_url: str) -> Process:
        """Start the process and wait until ``ready_url`` answers (any HTTP status)."""
        self.popen = subprocess.Popen(
            self.argv,
            cwd=SITE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                break
            try:
                urllib.request.urlopen(ready_url, timeout=1).close()
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{self.log()}")

    def _read(self) -> None:
        assert self.popen is not None and self.popen.stdout is not None
        for line in self.popen.stdout:
            self.output.append(line)

    def log(self) -> str:
        """Return the last lines the process printed."""
        return "".join(self.output)[-6000:]

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s."""
        popen, self.popen = self.popen, None
        if popen is None or popen.poll() is not None:
            return
        popen.terminate()
        try:
            popen.wait(5)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(5)


def manage(env: dict[str, str], *args: str) -> str:
    """Run ``manage.py`` with ``args``; return what it printed."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SITE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


NGINX_CONF = """
daemon off;
master_process off;
user root;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    server {{
        listen 127.0.0.1:{port};
        # the README's configuration ($http_host keeps a non-default port)
        location /ws/ {{
            proxy_pass http://127.0.0.1:{switchboard_port};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
        }}
        location / {{
            proxy_pass http://127.0.0.1:{django_port};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


class Site:
    """The running site: Django's and Switchboard's processes and URLs (and nginx's)."""

    def __init__(self, tmp: Path, proxied: bool = False):
        binary = os.environ.get("SWITCHBOARD_BIN") or shutil.which("switchboard")
        if not binary:
            raise RuntimeError("set SWITCHBOARD_BIN to a Switchboard binary")
        self.django_port, switchboard_port = free_port(), free_port()
        # Switchboard reaches Django directly; pages may go through nginx.
        self.django_url = self.url = f"http://127.0.0.1:{self.django_port}"
        self.switchboard_url = f"http://127.0.0.1:{switchboard_port}"
        self.nginx: Process | None = None
        if proxied:
            nginx = shutil.which("nginx") or "/usr/sbin/nginx"
            port = free_port()
            conf = tmp / "nginx.conf"
            conf.write_text(
                NGINX_CONF.format(
                    tmp=tmp,
                    port=port,
                    switchboard_port=switchboard_port,
                    django_port=self.django_port,
                )
            )
            self.nginx = Process(
                "nginx", [nginx, "-c", str(conf), "-p", str(tmp)], dict(os.environ)
            )
            self.url = f"http://127.0.0.1:{port}"
        self.api_key = secrets.token_hex(16)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        self.env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            DF_SITE_DB=str(tmp / "db.sqlite3"),
            SWITCHBOARD_URL=self.switchboard_url,
            SWITCHBOARD_API_KEY=self.api_key,
            SWITCHBOARD_BACKEND_KEY=secrets.token_hex(16),
            PYTHONUNBUFFERED="1",
        )
        if not proxied:
            self.env["SWITCHBOARD_PUBLIC_WS_URL"] = f"ws://127.0.0.1:{switchboard_port}/ws/"
        manage(self.env, "migrate", "--noinput", "-v", "0")
        manage(
            self.env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User\n"
            f"User.objects.create_user('alice', password={PASSWORDS['alice']!r})\n"
            f"User.objects.create_user('bob', password={PASSWORDS['bob']!r})\n"
            f"User.objects.create_superuser('root', 'root@example.com', {PASSWORDS['root']!r})\n",
        )
        self.serve_command = shlex.split(
            manage(self.env, "switchboard", "--site-url", self.django_url, "--binary", binary)
        )
        switchboard_env = {k: v for k, v in self.env.items() if not k.startswith("SWITCHBOARD_")}
        switchboard_env["RUST_LOG"] = "warn"
        self.switchboard = Process("switchboard", self.serve_command, switchboard_env)
        self.django = Process(
            "django",
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--insecure",
                f"127.0.0.1:{self.django_port}",
            ],
            self.env,
        )

    def start(self) -> Site:
        """Start Switchboard, then Django, then nginx."""
        self.switchboard.start(self.switchboard_url + "/healthz")
        self.start_django()
        if self.nginx is not None:
            self.nginx.start(self.url + "/accounts/login/")
        return self

    def start_django(self) -> None:
        """Start (or restart) Django's server."""
        self.django.start(self.django_url + "/accounts/login/")

    def stop(self) -> None:
        """Stop every process."""
        if self.nginx is not None:
            self.nginx.stop()
        self.django.stop()
        self.switchboard.stop()

    def api(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        """Call Switchboard's HTTP API; return the status and the decoded answer."""
        request = urllib.request.Request(
            self.switchboard_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read().decode() or "null")


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site and its Switchboard, running for the whole session."""
    running = Site(tmp_path_factory.mktemp("df_site")).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def proxied_site(tmp_path_factory):
    """The site behind nginx, which sends /ws/ to Switchboard."""
    running = Site(tmp_path_factory.mktemp("df_site_proxied"), proxied=True).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's), driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        raise RuntimeError("the browser tests need Chromium (make chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()
