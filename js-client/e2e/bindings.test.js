// Declarative calls (`data-df-signal`): elements inserted by `html.append` are bound when
// their `DOMContentAdded` event arrives, and the bound event calls the server, which answers
// with `demo.echo` pushed back to this window.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Suite, openDemo, roundTrip, triggerAndSettle, waitFor } from "./harness.js";

describe("data-df-signal bindings", { timeout: 60_000 }, () => {
  /** @type {Suite} */
  let suite;
  let page;

  before(async () => {
    suite = await Suite.start();
    page = await openDemo(await suite.context());
    await page.evaluate(() => {
      const sandbox = document.createElement("div");
      sandbox.id = "sandbox";
      document.body.append(sandbox);
      // demo.echo as pushed by the server (a signal id), or run locally by DFSignals.call.
      window.__echoes = [];
      window.DFSignals.connect("demo.echo", (opts, signalId) => window.__echoes.push({ opts, pushed: Boolean(signalId) }));
      // Which listeners the client adds to elements carrying data-df-signal: binding is
      // asynchronous, and this says when it is done.
      window.__bindings = [];
      const addEventListener = EventTarget.prototype.addEventListener;
      EventTarget.prototype.addEventListener = function (type, ...rest) {
        if (this instanceof Element && this.hasAttribute("data-df-signal")) window.__bindings.push(`${this.id}:${type}`);
        return addEventListener.call(this, type, ...rest);
      };
    });
  });

  after(() => suite?.close());

  /** Inserts `html` at the end of the sandbox with html.append, then waits for `binding`. */
  async function insertAndWaitBound(html, binding) {
    await triggerAndSettle(suite.server, page, "html.append", { selector: "#sandbox", content: html });
    await waitFor(page, (b) => window.__bindings.includes(b), binding, {
      message: `the inserted element is bound (${binding})`,
      describe: async () => `bindings: ${JSON.stringify(await page.evaluate(() => window.__bindings))}`,
    });
  }

  /** The opts of the demo.echo signals the server pushed since `from`. */
  async function pushedEchoes(from = 0) {
    const echoes = await page.evaluate(() => window.__echoes);
    return echoes.slice(from).filter((e) => e.pushed).map((e) => e.opts);
  }

  /** Waits until the server pushed one more demo.echo, and returns all pushed since `from`. */
  async function waitEcho(from, what) {
    await waitFor(page, (n) => window.__echoes.slice(n).some((e) => e.pushed), from, {
      message: `${what}: the server pushes demo.echo back`,
      describe: async () => `echoes: ${JSON.stringify(await page.evaluate(() => window.__echoes))}`,
    });
    // Anything else the click caused has arrived after this round trip.
    await roundTrip(page);
    return pushedEchoes(from);
  }

  const echoCount = () => page.evaluate(() => window.__echoes.length);

  it("a button calls its signal on click", async () => {
    // Wrapped: df_websockets 1.x binds the descendants of the element the event names.
    await insertAndWaitBound(
      `<div class="wrap"><button type="button" id="go" data-df-signal='[{"name": "demo.echo", "opts": {"x": 1}}]'>Go</button></div>`,
      "go:click",
    );
    const from = await echoCount();
    await page.locator("#go").click();
    assert.deepEqual(await waitEcho(from, "click"), [{ x: 1 }], "one call per click, with the declared opts");
  });

  it("a form calls its signal on submit with the serialised form, without navigating", async () => {
    const url = page.url();
    await insertAndWaitBound(
      `<div class="wrap"><form id="f" data-df-signal='[{"name": "demo.echo", "form": "data", "opts": {"kind": "form"}, "prevent": null}]'>` +
        `<input name="title" value="v"><input type="checkbox" name="c" value="yes" checked>` +
        `<input type="checkbox" name="unchecked" value="no"><button type="submit" id="f-send">Send</button></form></div>`,
      "f:submit",
    );
    const from = await echoCount();
    await page.locator("#f-send").click();
    assert.deepEqual(await waitEcho(from, "submit"), [
      {
        kind: "form",
        data: [
          { name: "title", value: "v" },
          { name: "c", value: "yes" },
        ],
      },
    ]);
    assert.equal(page.url(), url, "the submit was prevented");
    assert.equal(await page.evaluate(() => window.DFSignals.state), "open");
  });

  it("an input calls its signal on change with its value", async () => {
    await insertAndWaitBound(
      `<div class="wrap"><input id="t" name="t" data-df-signal='[{"name": "demo.echo", "value": "v", "opts": {"kind": "input"}}]'></div>`,
      "t:change",
    );
    const from = await echoCount();
    await page.locator("#t").fill("hello");
    await page.locator("#t").press("Tab");
    assert.deepEqual(await waitEcho(from, "change"), [{ kind: "input", v: "hello" }]);
    assert.deepEqual(suite.pageErrors, []);
  });
});
