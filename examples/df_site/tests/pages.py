"""A page of the example site in Chromium, driven the way its users drive it."""

from __future__ import annotations

import itertools

from tests.conftest import PASSWORDS

WAIT_MS = 10_000
_counter = itertools.count()

# Sends a frame with an `id` on the df client's own socket and resolves with the server's
# reply frame (PROTOCOL.md §5): what `DFSignals.request` of Switchboard's client does.
REQUEST_JS = """([signal, opts, id]) => new Promise((resolve, reject) => {
  const socket = window.DFSignals.connection;
  if (!socket) { reject(new Error("not connected")); return; }
  const timer = setTimeout(() => reject(new Error("no reply")), 10000);
  const listener = (event) => {
    let frame;
    try { frame = JSON.parse(event.data); } catch { return; }
    if (frame.reply_to === id) {
      clearTimeout(timer);
      socket.removeEventListener("message", listener);
      resolve(frame);
    }
  };
  socket.addEventListener("message", listener);
  socket.send(JSON.stringify({signal, opts, id}));
})"""

# A form POST from the page, as the site's own JavaScript would send it (an AJAX request:
# df's middleware reuses the page's window key from the `dfwskey` cookie).
POST_JS = """async ([url, text]) => {
  const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const response = await fetch(url, {
    method: "POST",
    headers: {"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest",
              "Content-Type": "application/x-www-form-urlencoded"},
    body: new URLSearchParams({text}),
  });
  return response.status;
}"""


def unique(label: str) -> str:
    """Return a text no other test sends."""
    return f"{label}-{next(_counter)}"


class Window:
    """One page of the site in its own browser context."""

    def __init__(self, browser, site, user: str | None):
        self.site, self.user = site, user
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.sockets: list[str] = []
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))
        if user:
            self.page.goto(site.url + "/accounts/login/")
            self.page.fill("[name=username]", user)
            self.page.fill("[name=password]", PASSWORDS[user])
            self.page.click("button[type=submit]")
            self.page.wait_for_url(site.url + "/")
        else:
            self.page.goto(site.url + "/")
        self.wait_connected()

    def wait_connected(self) -> None:
        """Wait until the df client's socket is open."""
        self.page.wait_for_function(
            "() => window.DFSignals.connection?.readyState === WebSocket.OPEN", timeout=WAIT_MS
        )

    def cookie(self, name: str) -> str:
        """Return one of the page's cookies."""
        return next(c["value"] for c in self.context.cookies() if c["name"] == name)

    def log(self) -> list[str]:
        """Return what the page has shown so far."""
        return self.page.locator("#log li").all_text_contents()

    def wait_for(self, line: str) -> list[str]:
        """Wait until the page shows ``line``; return the log at that moment."""
        self.page.wait_for_function(
            "(t) => [...document.querySelectorAll('#log li')].some((li) => li.textContent === t)",
            arg=line,
            timeout=WAIT_MS,
        )
        return self.log()

    def call(self, signal: str, **opts) -> None:
        """``DFSignals.call``, as the site's pages do it."""
        self.page.evaluate("([s, o]) => window.DFSignals.call(s, o)", [signal, opts])

    def request(self, signal: str, **opts) -> dict:
        """Call with an id on the page's socket; return the reply frame."""
        return self.page.evaluate(REQUEST_JS, [signal, opts, unique("call")])

    def post(self, path: str, text: str) -> int:
        """POST ``text`` to one of the site's views from the page; return the status."""
        return self.page.evaluate(POST_JS, [path, text])

    def close(self) -> None:
        """Close the page's context."""
        self.context.close()
