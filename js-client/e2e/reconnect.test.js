// Reconnection: the server stops (SIGTERM: every window is closed with 1001) and starts again
// on the same address; the page reconnects by itself, and what it called meanwhile is sent.
//
// The in-memory broker forgets every window when its process ends, so after the restart the
// page's key is unknown and its connection is anonymous: the calls made while the server was
// down are ones that allow everyone.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Suite, TIMEOUT, metric, openDemo, recordCloseCodes, startServer, until, waitFor } from "./harness.js";

describe("reconnection after a server restart", { timeout: 30_000 }, () => {
  /** @type {Suite} */
  let suite;
  let page;

  before(async () => {
    suite = await Suite.start();
    const context = await suite.context();
    await context.addInitScript(recordCloseCodes);
    page = await openDemo(context);
  });

  after(() => suite?.close());

  /** The page's connection as plain data, for failure messages. */
  function connection() {
    return page.evaluate(() => ({
      state: window.DFSignals.state,
      states: window.__states,
      closeCodes: window.__wsCloseCodes,
      badge: document.getElementById("connection-text").textContent,
    }));
  }

  it("reconnects by itself and sends what was called while the server was down", async () => {
    assert.equal(await page.locator("#connection-text").textContent(), "Connected");
    const callsBefore = await metric(suite.server, "switchboard_signals_in_total");
    await page.evaluate(() => {
      window.__states = [];
      window.DFSignals.onStateChange((state) => window.__states.push(state));
      // Running when the shutdown starts: a graceful shutdown lets it finish and delivers
      // its reply before closing the window with 1001.
      window.__inflight = window.DFSignals.request("demo.slow", { ms: 1500 }, { timeout: 20000 }).then(
        (value) => ({ ok: true, value }),
        (err) => ({ ok: false, code: err.code }),
      );
    });

    // The call must have reached the server before the shutdown starts (the browser sends
    // it asynchronously; a SIGTERM that overtakes it finds no running handler to wait for).
    await until(async () => (await metric(suite.server, "switchboard_signals_in_total")) > callsBefore, {
      message: "the server received demo.slow",
    });

    const { port, apiKey } = suite.server;
    await suite.server.stop();

    await waitFor(
      page,
      () =>
        window.__wsCloseCodes.includes(1001) &&
        window.DFSignals.state !== "open" &&
        document.getElementById("connection-text").textContent !== "Connected",
      null,
      { message: "the page sees the 1001 close and leaves the open state", describe: async () => JSON.stringify(await connection()) },
    );
    assert.deepEqual(await page.evaluate(() => window.__inflight), { ok: true, value: "done" });
    assert.match(await page.locator("#connection-text").textContent(), /^(Reconnecting…|Offline)$/);

    // While the server is down: two fire-and-forget calls and a request, all queued.
    const stateWhileDown = await page.evaluate(() => {
      window.DFSignals.call("demo.echo", { during: "downtime", n: 1 });
      window.DFSignals.call("demo.echo", { during: "downtime", n: 2 });
      window.__pending = window.DFSignals.request("demo.add", { a: 2, b: 3 }, { timeout: 20000 }).then(
        (value) => ({ ok: true, value }),
        (err) => ({ ok: false, code: err.code, message: err.message }),
      );
      return window.DFSignals.state;
    });
    assert.notEqual(stateWhileDown, "open");

    suite.adopt(await startServer({ port, apiKey }));

    await waitFor(
      page,
      () => window.DFSignals.state === "open" && document.getElementById("connection-text").textContent === "Connected",
      null,
      { timeout: 15_000, message: "the page reconnects by itself", describe: async () => JSON.stringify(await connection()) },
    );
    assert.deepEqual(await page.evaluate(() => window.__pending), { ok: true, value: 5 }, "the queued request is answered");

    // Both queued calls reached the new server's demo.echo handler.
    const echoes = () => metric(suite.server, 'switchboard_handler_duration_seconds_count{signal="demo.echo"}');
    await until(async () => (await echoes()) >= 2, {
      message: "the new server ran demo.echo for both calls made while it was down",
      describe: async () => `demo.echo runs: ${await echoes()}`,
    });
    assert.equal(await echoes(), 2);

    const { states } = await connection();
    assert.equal(states[0], "closed", "the first change after the shutdown is closed");
    assert.equal(states.at(-1), "open");

    // The demo notices that the restarted server does not know this window any more.
    await waitFor(page, () => document.getElementById("me-detail").textContent.includes("Window expired"), null, {
      timeout: TIMEOUT.signal,
      message: "the demo offers to reload its expired window",
      describe: async () => page.locator("#me-detail").textContent(),
    });
    assert.deepEqual(suite.pageErrors, []);
  });
});
