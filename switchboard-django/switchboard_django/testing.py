"""Run a real Switchboard binary for a site's system tests.

:class:`SwitchboardServer` starts ``switchboard serve`` on a free port of 127.0.0.1, waits for
the ``listening on http://ADDR`` line it prints, and stops it at the end (SIGTERM, then
SIGKILL). The binary is ``SWITCHBOARD_BIN`` from the environment, else ``switchboard`` on the
``PATH``. ``switchboard_django.pytest_plugin`` wraps it in pytest fixtures::

    with SwitchboardServer() as server, override_settings(**server.settings()):
        ...  # views register windows and trigger through this server

:class:`WindowSocket` is the websocket of one page's window, for asserting what a window
receives (it needs the ``websockets`` package, a test dependency).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from contextlib import ExitStack
from typing import Any

LISTENING_RE = re.compile(r"listening on (http://\S+)")


def find_binary() -> str:
    """Return the Switchboard binary: ``$SWITCHBOARD_BIN``, else ``switchboard`` on the PATH."""
    binary = os.environ.get("SWITCHBOARD_BIN") or shutil.which("switchboard")
    if not binary or not os.path.exists(binary):
        raise RuntimeError("no Switchboard binary: set SWITCHBOARD_BIN or put it on the PATH")
    return binary


def serve_help(binary: str | None = None) -> str:
    """Return the text of ``switchboard serve --help`` (to see which options a binary has)."""
    result = subprocess.run(
        [binary or find_binary(), "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stdout


class SwitchboardServer:
    """One ``switchboard serve`` process on a free port, with a fresh API key."""

    def __init__(
        self,
        binary: str | None = None,
        *,
        api_key: str | None = None,
        backend_url: str | None = None,
        backend_key: str | None = None,
        args: Sequence[str] = (),
        startup_timeout: float = 30.0,
    ):
        """Describe the server; nothing starts before :meth:`start`."""
        self.binary = binary or find_binary()
        self.api_key = api_key or secrets.token_hex(16)
        self.backend_url = backend_url
        self.backend_key = backend_key
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self.url = ""
        self.output: deque[str] = deque(maxlen=300)
        self.process: subprocess.Popen[str] | None = None
        self._listening = threading.Event()

    def command(self) -> list[str]:
        """Return the command line the server runs with."""
        argv = [self.binary, "serve", "--bind", "127.0.0.1:0", "--api-key", self.api_key]
        if self.backend_url:
            argv += ["--backend-url", self.backend_url]
        if self.backend_key:
            argv += ["--backend-key", self.backend_key]
        return argv + self.args

    def start(self) -> SwitchboardServer:
        """Start the process and wait until it listens; raise ``RuntimeError`` if it does not."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        env.setdefault("RUST_LOG", "warn")
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._listening.wait(self.startup_timeout) or not self.url:
            self.stop()
            raise RuntimeError("Switchboard did not start:\n" + "".join(self.output)[-4000:])
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if not self.url and (match := LISTENING_RE.search(line)):
                self.url = match.group(1)
                self._listening.set()
        self._listening.set()  # the process ended: stop waiting

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    @property
    def ws_url(self) -> str:
        """Return the websocket URL (``ws://ADDR/ws/``, the default ``ws_path``)."""
        return "ws://" + self.url.removeprefix("http://") + "/ws/"

    def settings(self) -> dict[str, Any]:
        """Return the Django settings that point switchboard-django at this server."""
        return {"SWITCHBOARD_URL": self.url, "SWITCHBOARD_API_KEY": self.api_key}

    def __enter__(self) -> SwitchboardServer:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        self.stop()


class WindowSocket:
    """The websocket of one window, as its page would open it (``?dfwskey=KEY``).

    It asks for its position (``since=``, PROTOCOL.md §5.6) so that, once built, nothing
    sent to the window afterwards can be missed. ``pending`` keeps the frames :meth:`call`
    passed over while it waited for its reply.
    """

    def __init__(self, ws_url: str, key: str | None, open_timeout: float = 5.0):
        """Connect to ``ws_url`` (e.g. :attr:`SwitchboardServer.ws_url`) as window ``key``."""
        from websockets.sync.client import connect

        query = f"?dfwskey={key}&since=" if key else "?since="
        self.pending: list[dict[str, Any]] = []
        self._closing = ExitStack()  # connect() is a context manager (websockets 14+)
        self.ws = self._closing.enter_context(connect(ws_url + query, open_timeout=open_timeout))
        self.position = self.recv(open_timeout)  # the answer to `since=`

    def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        """Return the next JSON frame (heartbeats are skipped)."""
        while True:
            frame = self.ws.recv(timeout=timeout)
            if frame != "--heartbeat--":
                return json.loads(frame)

    def signals_until(self, sentinel: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Return the signal frames received before the ``sentinel`` signal."""
        frames, deadline = [], time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.05, deadline - time.monotonic()))
            if frame.get("signal") == sentinel:
                return frames
            if "signal" in frame:
                frames.append(frame)

    def call(
        self, signal: str, opts: dict[str, Any], call_id: int | str, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Call a signal with an id; return the reply frame (others go to ``pending``)."""
        self.ws.send(json.dumps({"signal": signal, "opts": opts, "id": call_id}))
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.05, deadline - time.monotonic()))
            if frame.get("reply_to") == call_id:
                return frame
            self.pending.append(frame)

    def close(self) -> None:
        """Close the connection."""
        self._closing.close()
