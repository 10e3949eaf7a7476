// The built-in `html.*` signals of df_websockets 1.x (argument names exact), triggered through
// the HTTP API to one page's window: each changes the DOM as df_websockets' html.js/forms.ts
// do, and insertions dispatch a bubbling `DOMContentAdded` event on each inserted node.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Suite, TIMEOUT, openDemo, triggerAndSettle, waitFor } from "./harness.js";

describe("built-in html.* signals", { timeout: 90_000 }, () => {
  /** @type {Suite} */
  let suite;
  let page;

  before(async () => {
    suite = await Suite.start();
    page = await openDemo(await suite.context());
    // A sandbox to work in, and a record of the DOMContentAdded events reaching the document.
    await page.evaluate(() => {
      const sandbox = document.createElement("div");
      sandbox.id = "sandbox";
      document.body.append(sandbox);
      window.__added = [];
      document.addEventListener("DOMContentAdded", (event) => {
        const target = event.target;
        window.__added.push({
          bubbles: event.bubbles,
          node: target.nodeType === Node.ELEMENT_NODE ? target.outerHTML : `#text ${target.textContent}`,
          connected: target.isConnected,
        });
      });
    });
  });

  after(() => suite?.close());

  /** @param {string} html the sandbox's new content; forgets the recorded events */
  async function reset(html) {
    await page.evaluate((content) => {
      document.getElementById("sandbox").innerHTML = content;
      window.__added = [];
    }, html);
  }

  const sandboxHTML = () => page.evaluate(() => document.getElementById("sandbox").innerHTML);

  /**
   * Triggers `signal` to the page and waits until the sandbox holds exactly `expected`.
   * @param {string} signal
   * @param {object} opts
   * @param {string} expected
   */
  async function applyAndExpect(signal, opts, expected) {
    await triggerAndSettle(suite.server, page, signal, opts);
    await waitFor(page, (html) => document.getElementById("sandbox").innerHTML === html, expected, {
      timeout: TIMEOUT.settled,
      message: `${signal} ${JSON.stringify(opts)} gives the expected DOM`,
      describe: async () => `expected: ${expected}\nactual:   ${await sandboxHTML()}`,
    });
  }

  /** The DOMContentAdded events on elements (text nodes may get one too, as in 1.x). */
  async function addedElements() {
    const events = await page.evaluate(() => window.__added);
    for (const event of events) assert.equal(event.bubbles, true, "DOMContentAdded bubbles");
    return events.filter((e) => !e.node.startsWith("#text")).map((e) => e.node);
  }

  it("html.append inserts at the end of every match", async () => {
    await reset(`<ul class="list"><li>one</li></ul><ul class="list"><li>two</li></ul>`);
    await applyAndExpect(
      "html.append",
      { selector: "#sandbox .list", content: `<li class="new">new</li>` },
      `<ul class="list"><li>one</li><li class="new">new</li></ul><ul class="list"><li>two</li><li class="new">new</li></ul>`,
    );
    assert.deepEqual(await addedElements(), [`<li class="new">new</li>`, `<li class="new">new</li>`]);
  });

  it("html.prepend inserts at the start of every match", async () => {
    await reset(`<ul class="list"><li>one</li></ul>`);
    await applyAndExpect(
      "html.prepend",
      { selector: "#sandbox .list", content: `<li class="a">a</li><li class="b">b</li>` },
      `<ul class="list"><li class="a">a</li><li class="b">b</li><li>one</li></ul>`,
    );
    assert.deepEqual((await addedElements()).sort(), [`<li class="a">a</li>`, `<li class="b">b</li>`]);
  });

  it("html.after inserts after every match", async () => {
    await reset(`<p id="a">a</p><p id="b">b</p>`);
    await applyAndExpect(
      "html.after",
      { selector: "#sandbox #a", content: `<span class="new">x</span>` },
      `<p id="a">a</p><span class="new">x</span><p id="b">b</p>`,
    );
    assert.deepEqual(await addedElements(), [`<span class="new">x</span>`]);
  });

  it("html.before inserts before every match", async () => {
    await reset(`<p id="a">a</p><p id="b">b</p>`);
    await applyAndExpect(
      "html.before",
      { selector: "#sandbox #b", content: `<span class="new">x</span>` },
      `<p id="a">a</p><span class="new">x</span><p id="b">b</p>`,
    );
    assert.deepEqual(await addedElements(), [`<span class="new">x</span>`]);
  });

  it("html.content replaces the inner HTML of every match", async () => {
    await reset(`<div class="box"><em>old</em></div><div class="box">old</div>`);
    await applyAndExpect(
      "html.content",
      { selector: "#sandbox .box", content: `<strong class="new">fresh</strong>` },
      `<div class="box"><strong class="new">fresh</strong></div><div class="box"><strong class="new">fresh</strong></div>`,
    );
    assert.deepEqual(await addedElements(), [`<strong class="new">fresh</strong>`, `<strong class="new">fresh</strong>`]);
  });

  it("html.replace_with replaces every match", async () => {
    await reset(`<p id="a">a</p><p id="old">old</p><p id="b">b</p>`);
    await applyAndExpect(
      "html.replace_with",
      { selector: "#sandbox #old", content: `<section class="new">s</section>` },
      `<p id="a">a</p><section class="new">s</section><p id="b">b</p>`,
    );
    const events = await page.evaluate(() => window.__added);
    assert.deepEqual(await addedElements(), [`<section class="new">s</section>`]);
    assert.ok(events.every((e) => e.connected), "the event is dispatched on the inserted node, in the document");
  });

  it("html.text sets the text of every match, markup shown as text", async () => {
    await reset(`<div class="box"><em>old</em></div><div class="box">old</div>`);
    await applyAndExpect(
      "html.text",
      { selector: "#sandbox .box", content: `<span>not markup</span>` },
      `<div class="box">&lt;span&gt;not markup&lt;/span&gt;</div><div class="box">&lt;span&gt;not markup&lt;/span&gt;</div>`,
    );
    assert.equal(await page.locator("#sandbox span").count(), 0);
  });

  it("html.empty removes the children of every match", async () => {
    await reset(`<div class="box"><em>a</em>text<b>c</b></div><div class="box">x</div><p id="keep">k</p>`);
    await applyAndExpect("html.empty", { selector: "#sandbox .box" }, `<div class="box"></div><div class="box"></div><p id="keep">k</p>`);
  });

  it("html.remove removes every match", async () => {
    await reset(`<p class="gone">x</p><p id="keep">k</p><p class="gone">y</p>`);
    await applyAndExpect("html.remove", { selector: "#sandbox .gone" }, `<p id="keep">k</p>`);
  });

  it("html.focus focuses the first match", async () => {
    await reset(`<input id="f1" class="focusable"><input id="f2" class="focusable">`);
    await triggerAndSettle(suite.server, page, "html.focus", { selector: "#sandbox .focusable" });
    await waitFor(page, () => document.activeElement?.id === "f1", null, {
      timeout: TIMEOUT.settled,
      message: "html.focus focuses the first match",
      describe: async () => `focused: ${await page.evaluate(() => document.activeElement?.outerHTML)}`,
    });
  });

  it("html.add_class and html.remove_class change the class of every match", async () => {
    await reset(`<p class="x">1</p><p class="x gone">2</p><p id="keep">3</p>`);
    await applyAndExpect(
      "html.add_class",
      { selector: "#sandbox .x", class_name: "added" },
      `<p class="x added">1</p><p class="x gone added">2</p><p id="keep">3</p>`,
    );
    await applyAndExpect(
      "html.remove_class",
      { selector: "#sandbox .x", class_name: "gone" },
      `<p class="x added">1</p><p class="x added">2</p><p id="keep">3</p>`,
    );
  });

  it("html.add_attribute and html.remove_attr change an attribute of every match", async () => {
    await reset(`<p class="x" title="t">1</p><p class="x">2</p>`);
    await applyAndExpect(
      "html.add_attribute",
      { selector: "#sandbox .x", attr_name: "data-state", attr_value: "on" },
      `<p class="x" title="t" data-state="on">1</p><p class="x" data-state="on">2</p>`,
    );
    await applyAndExpect(
      "html.remove_attr",
      { selector: "#sandbox .x", attr_name: "title" },
      `<p class="x" data-state="on">1</p><p class="x" data-state="on">2</p>`,
    );
  });

  it("html.boolean_attribute sets the attribute to its name when true, removes it when false", async () => {
    await reset(`<button class="t" type="button">1</button><button class="f" type="button" disabled="">2</button>`);
    await applyAndExpect(
      "html.boolean_attribute",
      { selector: "#sandbox .t", name: "disabled", value: true },
      `<button class="t" type="button" disabled="disabled">1</button><button class="f" type="button" disabled="">2</button>`,
    );
    await applyAndExpect(
      "html.boolean_attribute",
      { selector: "#sandbox .f", name: "disabled", value: false },
      `<button class="t" type="button" disabled="disabled">1</button><button class="f" type="button">2</button>`,
    );
  });

  it("html.forms.set fills the fields of every matching form", async () => {
    await reset(`
      <form class="f">
        <input name="title" value="old">
        <textarea name="body">old</textarea>
        <input type="checkbox" name="agree">
        <input type="checkbox" name="off" checked>
        <input type="radio" name="size" value="s" checked><input type="radio" name="size" value="m">
        <input type="checkbox" name="tags" value="red"><input type="checkbox" name="tags" value="green" checked>
        <input type="checkbox" name="tags" value="blue">
        <select name="color"><option value="r">r</option><option value="g">g</option></select>
        <select name="many" multiple><option value="1" selected>1</option><option value="2">2</option><option value="3">3</option></select>
        <input name="untouched" value="same">
      </form>
      <form class="f"><input name="title" value="other"></form>
      <form class="other"><input name="title" value="not mine"></form>`);
    const values = [
      { name: "title", value: "new title" },
      { name: "body", value: "new body" },
      { name: "agree", value: true },
      { name: "off", value: false },
      { name: "size", value: "m" },
      { name: "tags", value: ["red", "blue"] },
      { name: "color", value: "g" },
      { name: "many", value: ["2", "3"] },
      { name: "missing", value: "ignored" },
    ];
    await triggerAndSettle(suite.server, page, "html.forms.set", { selector: "#sandbox form.f", values });

    const read = () =>
      page.evaluate(() => {
        const [form, second] = document.querySelectorAll("#sandbox form.f");
        const el = form.elements;
        return {
          title: el.title.value,
          body: el.body.value,
          agree: el.agree.checked,
          off: el.off.checked,
          size: el.size.value,
          tags: [...el.tags].filter((i) => i.checked).map((i) => i.value),
          color: el.color.value,
          many: [...el.many.selectedOptions].map((o) => o.value),
          untouched: el.untouched.value,
          second: second.elements.title.value,
          other: document.querySelector("#sandbox form.other").elements.title.value,
        };
      });
    const expected = {
      title: "new title",
      body: "new body",
      agree: true,
      off: false,
      size: "m",
      tags: ["red", "blue"],
      color: "g",
      many: ["2", "3"],
      untouched: "same",
      second: "new title",
      other: "not mine",
    };
    await waitFor(page, () => document.querySelector("#sandbox form.f").elements.title.value === "new title", null, {
      timeout: TIMEOUT.settled,
      message: "html.forms.set fills the form",
      describe: async () => JSON.stringify(await read()),
    });
    assert.deepEqual(await read(), expected);
    assert.deepEqual(suite.pageErrors, []);
  });

  it("html.forms.set gives a lone checkbox a string value, as df_websockets 1.x does", async () => {
    // 1.x (forms.ts setFormFieldValue): true/false check or uncheck a lone checkbox; any other
    // value becomes its `value`, its checked state unchanged.
    await reset(`<form class="f"><input type="checkbox" name="single" value="a"><input type="checkbox" name="on" value="x" checked></form>`);
    await triggerAndSettle(suite.server, page, "html.forms.set", {
      selector: "#sandbox form.f",
      values: [
        { name: "single", value: "b" },
        { name: "on", value: "y" },
      ],
    });
    const read = () =>
      page.evaluate(() => {
        const el = document.querySelector("#sandbox form.f").elements;
        return {
          single: { checked: el.single.checked, value: el.single.value },
          on: { checked: el.on.checked, value: el.on.value },
        };
      });
    const expected = { single: { checked: false, value: "b" }, on: { checked: true, value: "y" } };
    await waitFor(page, () => document.querySelector("#sandbox form.f").elements.single.value === "b", null, {
      timeout: TIMEOUT.settled,
      message: "html.forms.set sets the lone checkbox's value",
      describe: async () => `expected ${JSON.stringify(expected)}, got ${JSON.stringify(await read())}`,
    });
    assert.deepEqual(await read(), expected);
  });
});
