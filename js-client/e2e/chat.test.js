// Chat between tabs: two tabs of one browser are one demo user with two windows; a message
// typed in one tab reaches the other tab and a tab of another user in the same room.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Suite, openDemo, waitFor, windowKey } from "./harness.js";

/** The texts of the messages shown in the current room. */
function messageTexts(page) {
  return page.locator("#messages .message-text").allTextContents();
}

describe("demo chat", { timeout: 60_000 }, () => {
  /** @type {Suite} */
  let suite;
  let tabA;
  let tabB;
  let otherUser;

  before(async () => {
    suite = await Suite.start();
    const alice = await suite.context();
    // One after the other: the first page sets the guest-user cookie the second one reuses.
    tabA = await openDemo(alice);
    tabB = await openDemo(alice);
    otherUser = await openDemo(await suite.context());
  });

  after(() => suite?.close());

  it("gives each tab its own window of the same user", async () => {
    for (const page of [tabA, tabB, otherUser]) {
      assert.equal(await page.evaluate(() => window.DFSignals.state), "open");
      assert.equal(await page.locator("#connection-text").textContent(), "Connected");
    }
    const [keyA, keyB, keyOther] = await Promise.all([tabA, tabB, otherUser].map(windowKey));
    assert.notEqual(keyA, keyB, "two tabs never share a window key");
    assert.notEqual(keyA, keyOther);

    const [detailA, detailB, detailOther] = await Promise.all(
      [tabA, tabB, otherUser].map((p) => p.locator("#me-detail").textContent()),
    );
    assert.equal(detailA, detailB, "both tabs are the same guest user");
    assert.notEqual(detailA, detailOther, "another browser context is another user");
  });

  it("delivers a message typed in one tab to the room", async () => {
    const text = `hello from tab A, ${Date.now()}`;
    const composer = tabA.locator("#composer-input");
    await composer.click();
    await composer.pressSequentially(text);
    await composer.press("Enter");

    const sender = (await tabA.locator("#me-name").textContent()).trim();
    for (const [name, page] of [["tab A", tabA], ["tab B", tabB], ["the other user's tab", otherUser]]) {
      const item = page.locator("#messages li", { hasText: text });
      await waitFor(page, (t) => [...document.querySelectorAll("#messages .message-text")].some((e) => e.textContent === t), text, {
        message: `${name} shows the message`,
        describe: async () => `messages: ${JSON.stringify(await messageTexts(page))}`,
      });
      assert.equal(await item.count(), 1, `${name} shows the message once`);
      assert.equal((await item.locator(".message-from").textContent()).trim(), sender, `${name}: sender's name`);
      const mine = await item.locator(".message-you").count();
      assert.equal(mine, page === otherUser ? 0 : 1, `${name}: "you" marks the sender's own messages`);
    }
    // The composer is cleared once the server accepted the message.
    await waitFor(tabA, () => document.getElementById("composer-input").value === "", null, {
      message: "the composer is cleared after sending",
    });
    assert.deepEqual(suite.pageErrors, []);
  });
});
