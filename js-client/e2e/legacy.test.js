// A page written for df_websockets 1.x (`/demo/legacy`): no meta tags, the window key and
// the websocket URL only in the `dfwskey`/`dfwsurl` cookies, and only `DFSignals.connect` and
// `DFSignals.call`. Two such pages (two browsers) join the room `legacy` on load; a message
// submitted with the form on one appears in both lists.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Suite, TIMEOUT, openPage, until, waitFor } from "./harness.js";

/**
 * Opens the legacy page in its own browser context and records the URL of its websocket.
 * @param {Suite} suite
 */
async function openLegacy(suite) {
  const context = await suite.context();
  const sockets = [];
  context.on("page", (page) => page.on("websocket", (ws) => sockets.push(ws.url())));
  const page = await openPage(context, "/demo/legacy");
  const cookies = Object.fromEntries((await context.cookies()).map((c) => [c.name, c.value]));
  return { page, cookies, sockets };
}

/**
 * Waits until the page's own call of `demo.join` (sent on load) has put it in the room: a
 * test-only `demo.say` request answers `forbidden` until then. The probe's message shows in
 * the lists too.
 */
async function waitJoined(page, probe) {
  const joined = () =>
    page.evaluate(async (text) => {
      try {
        await window.DFSignals.request("demo.say", { room: "legacy", text }, { timeout: 1000 });
        return true;
      } catch (err) {
        if (err.code === "forbidden") return false;
        throw err;
      }
    }, probe);
  await until(joined, { timeout: TIMEOUT.open, message: "the page's on-load demo.join puts it in the room" });
}

const items = (page) => page.locator("#messages li").allTextContents();

describe("a df_websockets 1.x page", { timeout: 60_000 }, () => {
  /** @type {Suite} */
  let suite;
  let first;
  let second;

  before(async () => {
    suite = await Suite.start();
    first = await openLegacy(suite);
    second = await openLegacy(suite);
  });

  after(() => suite?.close());

  it("connects with the key and URL of its cookies", async () => {
    for (const { page, cookies, sockets } of [first, second]) {
      assert.equal(await page.locator("meta[name=df-window-key], meta[name=df-ws-url]").count(), 0, "no meta tags");
      assert.match(cookies.dfwskey ?? "", /^[a-z0-9]{32}$/, "the dfwskey cookie holds the window key");
      const wsURL = decodeURIComponent(cookies.dfwsurl ?? "");
      assert.match(wsURL, /^ws:\/\/127\.0\.0\.1:\d+\/ws\/$/, "the dfwsurl cookie holds the websocket URL");
      // `since=` (empty): the bundled client asks for its position (PROTOCOL.md §5.6).
      assert.deepEqual(sockets, [`${wsURL}?dfwskey=${cookies.dfwskey}&since=`], "one socket, to the cookie's URL with its key");
    }
    assert.notEqual(first.cookies.dfwskey, second.cookies.dfwskey);
  });

  it("shows a message submitted on one page in both pages' lists", async () => {
    await waitJoined(first.page, "first page joined");
    await waitJoined(second.page, "second page joined");

    const text = `hello from a 1.x page, ${Date.now()}`;
    await first.page.locator("#say input[name=text]").fill(text);
    await first.page.getByRole("button", { name: "Say" }).click();

    const expected = `anonymous: ${text}`;
    for (const [name, { page }] of [["the first page", first], ["the second page", second]]) {
      await waitFor(page, (t) => [...document.querySelectorAll("#messages li")].some((li) => li.textContent === t), expected, {
        message: `${name} lists the message`,
        describe: async () => JSON.stringify(await items(page)),
      });
      const listed = await items(page);
      assert.equal(listed.filter((t) => t === expected).length, 1, `${name} lists it once`);
      assert.equal(listed.at(-1), expected, `${name} lists it last`);
    }
    // The form's onsubmit returned DFSignals.call's false: no navigation.
    assert.match(first.page.url(), /\/demo\/legacy$/);
    assert.deepEqual(suite.pageErrors, []);
  });
});
