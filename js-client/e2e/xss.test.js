// Pushed text is text: markup in a notification's title or message is shown as-is, never
// parsed, for the built-in `df.notify` toasts and for the demo's own toasts and bell.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Suite, openDemo, triggerToPage, waitFor } from "./harness.js";

const MESSAGE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const TITLE = "<b>bold</b>";

describe("markup in notifications is shown as text", { timeout: 60_000 }, () => {
  /** @type {Suite} */
  let suite;
  let page;
  /** URLs the page requested for the injected image, if it ever existed. */
  const imageRequests = [];

  before(async () => {
    suite = await Suite.start();
    page = await openDemo(await suite.context());
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/x") imageRequests.push(request.url());
    });
  });

  after(() => suite?.close());

  /** Checks that nothing of the markup became elements or ran, anywhere in the page. */
  async function assertNothingInjected(where) {
    const found = await page.evaluate(() => ({
      pwned: window.__pwned,
      images: document.querySelectorAll("img[src=x]").length,
      scripts: [...document.scripts].filter((s) => s.textContent.includes("__pwned")).length,
    }));
    assert.deepEqual(found, { pwned: undefined, images: 0, scripts: 0 }, `${where}: no element was created from the markup`);
    assert.deepEqual(imageRequests, [], `${where}: the injected image was never requested`);
  }

  it("df.notify shows title and message as text", async () => {
    await triggerToPage(suite.server, page, "df.notify", { level: "warning", title: TITLE, message: MESSAGE });
    const region = async () =>
      page.evaluate(() => document.querySelector(".df-notify-region")?.innerHTML ?? "(no .df-notify-region)");
    await waitFor(page, () => document.querySelector(".df-notify .df-notify-message") !== null, null, {
      message: "a df.notify toast appears",
      describe: region,
    });
    const toast = await page.evaluate(() => {
      const element = document.querySelector(".df-notify");
      return {
        title: element.querySelector(".df-notify-title")?.textContent ?? null,
        message: element.querySelector(".df-notify-message").textContent,
        elements: element.querySelectorAll("img, script, b").length,
      };
    });
    assert.deepEqual(toast, { title: TITLE, message: MESSAGE, elements: 0 });
    await assertNothingInjected("df.notify");
  });

  it("the demo's toast and bell show a pushed notification's markup as text", async () => {
    // Through the page's own form, which posts to the HTTP view /demo/notify.
    const form = page.locator("#notify-form");
    await form.locator("input[name=title]").fill(TITLE);
    await form.locator("input[name=message]").fill(MESSAGE);
    await form.getByRole("button", { name: "Send me a notification" }).click();

    await waitFor(
      page,
      (m) => [...document.querySelectorAll("#toasts .toast-message")].some((e) => e.textContent === m),
      MESSAGE,
      {
        message: "the demo shows the notification's toast",
        describe: async () => page.evaluate(() => document.getElementById("toasts").innerHTML),
      },
    );
    const shown = await page.evaluate(() => {
      const toast = [...document.querySelectorAll("#toasts .toast")].at(-1);
      const item = document.querySelector("#bell-list .notification");
      return {
        toastTitle: toast.querySelector(".toast-title").textContent,
        toastMessage: toast.querySelector(".toast-message").textContent,
        bellTitle: item?.querySelector(".notification-title").textContent,
        bellMessage: item?.querySelector(".notification-message").textContent,
        elements: document.querySelectorAll("#toasts :is(img, script, b), #bell-list :is(img, script, b)").length,
      };
    });
    assert.deepEqual(shown, {
      toastTitle: TITLE,
      toastMessage: MESSAGE,
      bellTitle: TITLE,
      bellMessage: MESSAGE,
      elements: 0,
    });
    await assertNothingInjected("the demo's toast");
  });

  it("a broadcast through /demo/notify shows its markup as text too", async () => {
    const message = `broadcast ${MESSAGE}`;
    const status = await page.evaluate(async (text) => {
      const key = document.querySelector('meta[name="df-window-key"]').content;
      const response = await fetch("/demo/notify", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Window-Key": key },
        body: JSON.stringify({ title: "<i>all</i>", message: text, level: "error", broadcast: true }),
      });
      return response.status;
    }, message);
    assert.equal(status, 202);
    await waitFor(
      page,
      (m) => [...document.querySelectorAll("#toasts .toast-message")].some((e) => e.textContent === m),
      message,
      {
        message: "the broadcast toast appears",
        describe: async () => page.evaluate(() => document.getElementById("toasts").innerHTML),
      },
    );
    assert.equal(await page.locator("#toasts :is(img, script, i)").count(), 0);
    await assertNothingInjected("a broadcast toast");
    assert.deepEqual(suite.pageErrors, []);
  });
});
