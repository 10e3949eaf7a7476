// Notifications pushed by the server: the demo's HTTP view (`POST /demo/notify`) pushes
// `demo.notification` to every tab of the calling user, and the built-in `df.notify` signal,
// triggered through the HTTP API, shows an accessible toast.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Suite, TIMEOUT, openDemo, roundTrip, triggerToPage, waitFor } from "./harness.js";

/** What the demo's toasts and bell show, for failure messages. */
async function demoState(page) {
  return page.evaluate(() => ({
    toasts: [...document.querySelectorAll("#toasts .toast")].map((t) => t.textContent),
    badge: document.getElementById("bell-count").hidden ? null : document.getElementById("bell-count").textContent,
    status: document.getElementById("notify-status").textContent,
  }));
}

/** Waits until the page shows a demo toast with this title and message. */
async function waitDemoToast(page, name, title, message) {
  await waitFor(
    page,
    ([t, m]) =>
      [...document.querySelectorAll("#toasts .toast")].some(
        (e) => e.querySelector(".toast-title")?.textContent === t && e.querySelector(".toast-message")?.textContent === m,
      ),
    [title, message],
    { message: `${name} shows the toast "${title}"`, describe: async () => JSON.stringify(await demoState(page)) },
  );
}

/** Waits until the bell's unread badge shows `count`. */
async function waitBadge(page, name, count) {
  await waitFor(
    page,
    (c) => {
      const badge = document.getElementById("bell-count");
      return !badge.hidden && badge.textContent === c;
    },
    String(count),
    { message: `${name}'s unread badge shows ${count}`, describe: async () => JSON.stringify(await demoState(page)) },
  );
}

/** The `df.notify` toasts of a page, as plain data. */
function dfToasts(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll(".df-notify")].map((e) => ({
      className: e.className,
      role: e.getAttribute("role"),
      inRegion: e.parentElement?.matches(".df-notify-region[aria-live=polite]") ?? false,
      title: e.querySelector(".df-notify-title")?.textContent ?? null,
      message: e.querySelector(".df-notify-message")?.textContent ?? null,
    })),
  );
}

describe("notifications", { timeout: 60_000 }, () => {
  /** @type {Suite} */
  let suite;
  let tabA;
  let tabA2;
  let otherUser;

  before(async () => {
    suite = await Suite.start();
    const alice = await suite.context();
    tabA = await openDemo(alice);
    tabA2 = await openDemo(alice);
    otherUser = await openDemo(await suite.context());
  });

  after(() => suite?.close());

  it("pushes the demo's notification from its HTTP view to every tab of the user", async () => {
    for (const page of [tabA, tabA2, otherUser]) {
      assert.equal(await page.locator("#bell-count").isHidden(), true, "no unread notification at first");
    }
    const title = "Export finished";
    const message = "Your export is ready to download.";
    await tabA.getByRole("button", { name: "Send me a notification" }).click();

    await waitFor(tabA, () => document.getElementById("notify-status").textContent === "Sent: watch the bell.", null, {
      message: "the view answers 202",
      describe: async () => JSON.stringify(await demoState(tabA)),
    });
    for (const [name, page] of [["tab A", tabA], ["tab A2", tabA2]]) {
      await waitDemoToast(page, name, title, message);
      await waitBadge(page, name, 1);
      const toast = page.locator("#toasts .toast").last();
      assert.equal(await toast.getAttribute("role"), "status");
      assert.equal(await toast.getAttribute("data-level"), "success");
    }

    // Anything queued for the other user's window before this round trip has arrived by now.
    await roundTrip(otherUser);
    assert.deepEqual(await demoState(otherUser), { toasts: [], badge: null, status: "" }, "another user gets nothing");

    // A second notification, sent from the other tab, increments the badge in both tabs.
    await tabA2.getByRole("button", { name: "Send me a notification" }).click();
    await waitBadge(tabA, "tab A", 2);
    await waitBadge(tabA2, "tab A2", 2);

    // The other user's own notification counts only theirs.
    await otherUser.getByRole("button", { name: "Send me a notification" }).click();
    await waitDemoToast(otherUser, "the other user's tab", title, message);
    await waitBadge(otherUser, "the other user's tab", 1);
    assert.equal((await demoState(otherUser)).toasts.length, 1, "the other user sees only their own toast");
    await roundTrip(tabA);
    assert.equal((await demoState(tabA)).badge, "2", "the other user's notification does not reach user A");
    assert.deepEqual(suite.pageErrors, []);
  });

  it("shows df.notify triggered through the HTTP API as an accessible toast", async () => {
    await triggerToPage(suite.server, tabA, "df.notify", { level: "success", title: "T", message: "M" });
    await waitFor(tabA, () => document.querySelector(".df-notify.df-notify-success[role=status]") !== null, null, {
      message: "a df.notify toast appears",
      describe: async () => `df.notify toasts: ${JSON.stringify(await dfToasts(tabA))}`,
    });
    assert.deepEqual(await dfToasts(tabA), [
      { className: "df-notify df-notify-success", role: "status", inRegion: true, title: "T", message: "M" },
    ]);
    const regions = tabA.locator("body > .df-notify-region[aria-live=polite]");
    assert.equal(await regions.count(), 1, "one live region, a child of body");
    const dismiss = tabA.locator(".df-notify button[aria-label=Dismiss]");
    assert.equal(await dismiss.count(), 1, "a dismiss button");
    assert.equal(await dismiss.getAttribute("type"), "button");

    // The trigger named tab A's window: tab A2, the same user, does not show it.
    await roundTrip(tabA2);
    assert.deepEqual(await dfToasts(tabA2), [], "a trigger to one window reaches only that window");

    await dismiss.click();
    await waitFor(tabA, () => document.querySelector(".df-notify") === null, null, {
      message: "Dismiss removes the toast",
      describe: async () => JSON.stringify(await dfToasts(tabA)),
    });
  });

  it("shows df.notify without a title", async () => {
    await triggerToPage(suite.server, tabA2, "df.notify", { level: "error", message: "No title here" });
    await waitFor(tabA2, () => document.querySelector(".df-notify.df-notify-error") !== null, null, {
      timeout: TIMEOUT.signal,
      message: "an error df.notify toast appears",
      describe: async () => JSON.stringify(await dfToasts(tabA2)),
    });
    assert.deepEqual(await dfToasts(tabA2), [
      { className: "df-notify df-notify-error", role: "status", inRegion: true, title: null, message: "No title here" },
    ]);
    assert.deepEqual(suite.pageErrors, []);
  });
});
