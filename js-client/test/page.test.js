// The page features on a tiny fake DOM: the html.* signals, data-df-signal bindings, forms,
// and df.notify's toasts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bindTree, callOptions, defaultEvent, parseBindings, shouldPrevent, watchBindings } from "../src/bindings.js";
import { fieldValue, serializeForm, setFormValues } from "../src/forms.js";
import { htmlSignals } from "../src/html-signals.js";
import { DEFAULT_TIMEOUT, createNotifier, notifyLevel, notifyTimeout } from "../src/notify.js";
import { installPageFeatures } from "../src/page.js";
import { FakeElement, fakePage } from "./fake-dom.js";
import { FakeClock, recordingConsole, setup } from "./helpers.js";

/** @returns {object} a form field as forms.js reads it */
const field = (tagName, props) => ({ tagName, name: "f", disabled: false, ...props });

describe("html.* signals", () => {
  /** Runs the signal `name` with `opts` on a page holding `html`; returns the document. */
  function run(html, name, opts) {
    const document = fakePage(html);
    htmlSignals(document)[name](opts);
    return document;
  }

  it("insert HTML at the four positions and announce each inserted element", () => {
    const html = '<ul id="l"><li id="m">m</li></ul>';
    const cases = {
      "html.before": ["<li>a</li><li>b</li>m", "#m"],
      "html.after": ["m<li>a</li><li>b</li>", "#m"],
      "html.prepend": ["<li>a</li><li>b</li>m", "#l"],
      "html.append": ["m<li>a</li><li>b</li>", "#l"],
    };
    for (const [name, [, selector]] of Object.entries(cases)) {
      const document = run(html, name, { selector, content: "<li>a</li> <li>b</li>" });
      const items = document.querySelectorAll("li").map((li) => [li.textContent, li.dispatched]);
      const added = items.filter(([, events]) => events.length > 0).map(([text]) => text);
      assert.deepEqual(added, ["a", "b"], name);
      assert.deepEqual(items.find(([text]) => text === "m")[1], [], `${name} leaves the target alone`);
    }
  });

  it("apply to every match, and announce only elements", () => {
    const document = run('<p class="t">1</p><p class="t">2</p>', "html.append", {
      selector: ".t",
      content: "text <b>x</b>",
    });
    assert.deepEqual(document.querySelectorAll("b").map((b) => b.dispatched), [["DOMContentAdded"], ["DOMContentAdded"]]);
    assert.equal(document.body.textContent, "1text x2text x");
  });

  it("html.content and html.replace_with swap content and announce it", () => {
    let document = run('<div id="d"><i>old</i></div>', "html.content", { selector: "#d", content: "<b>new</b>" });
    assert.equal(document.querySelector("#d").textContent, "new");
    assert.deepEqual(document.querySelector("b").dispatched, ["DOMContentAdded"]);

    document = run('<i>1</i><div id="d">old</div><i>2</i>', "html.replace_with", {
      selector: "#d",
      content: "<b>x</b><b>y</b>",
    });
    assert.equal(document.body.textContent, "1xy2");
    assert.deepEqual(document.querySelectorAll("b").map((b) => b.dispatched.length), [1, 1]);
    assert.deepEqual(document.querySelectorAll("i").map((i) => i.dispatched.length), [0, 0]);
  });

  it("html.text sets text, never markup; a missing content means none", () => {
    const document = run('<p id="p">x</p>', "html.text", { selector: "#p", content: "<b>bold</b>" });
    assert.equal(document.querySelector("#p").textContent, "<b>bold</b>");
    assert.equal(document.querySelectorAll("b").length, 0);
    assert.equal(run('<p id="p">x</p>', "html.text", { selector: "#p" }).querySelector("#p").textContent, "");
  });

  it("html.empty, html.remove and html.focus (first match only)", () => {
    assert.equal(run('<p id="p"><b>x</b></p>', "html.empty", { selector: "#p" }).querySelector("#p").childNodes.length, 0);
    assert.equal(run('<p class="a">x</p><p class="a">y</p>', "html.remove", { selector: ".a" }).body.childNodes.length, 0);
    const document = run('<input class="i"></input><input class="i"></input>', "html.focus", { selector: ".i" });
    assert.deepEqual(document.querySelectorAll("input").map((i) => i.focused), [true, false]);
  });

  it("html.add_class and html.remove_class take class_name, one or several", () => {
    let document = run('<p id="p" class="a"></p>', "html.add_class", { selector: "#p", class_name: "b  c" });
    assert.equal(document.querySelector("#p").className, "a b c");
    document = run('<p id="p" class="a b c"></p>', "html.remove_class", { selector: "#p", class_name: "a c" });
    assert.equal(document.querySelector("#p").className, "b");
  });

  it("html.add_attribute, html.remove_attr and html.boolean_attribute take df_websockets' names", () => {
    let p = run('<p id="p"></p>', "html.add_attribute", { selector: "#p", attr_name: "title", attr_value: 3 }).querySelector("#p");
    assert.equal(p.getAttribute("title"), "3");
    p = run('<p id="p" title="t"></p>', "html.remove_attr", { selector: "#p", attr_name: "title" }).querySelector("#p");
    assert.equal(p.hasAttribute("title"), false);
    p = run('<p id="p"></p>', "html.boolean_attribute", { selector: "#p", name: "hidden", value: true }).querySelector("#p");
    assert.equal(p.getAttribute("hidden"), "hidden");
    p = run('<p id="p" hidden="hidden"></p>', "html.boolean_attribute", { selector: "#p", name: "hidden", value: 0 }).querySelector("#p");
    assert.equal(p.hasAttribute("hidden"), false);
  });

  it("html.download_file clicks a temporary link, named unknown by default", () => {
    const document = fakePage();
    const created = [];
    const createElement = document.createElement.bind(document);
    document.createElement = (tag) => {
      const element = createElement(tag);
      created.push(element);
      return element;
    };
    htmlSignals(document)["html.download_file"]({ url: "/files/report.csv" });
    const [link] = created;
    assert.equal(link.href, "/files/report.csv");
    assert.equal(link.download, "unknown");
    assert.equal(link.clicked, 1);
    assert.equal(link.parentNode, null, "removed afterwards");
  });

  it("html.forms.set fills the fields of the matched forms", () => {
    const document = fakePage('<form id="f"></form>');
    const form = document.querySelector("#f");
    const title = field("INPUT", { type: "text", name: "title", value: "" });
    form.elements = [title];
    htmlSignals(document)["html.forms.set"]({ selector: "#f", values: [{ name: "title", value: "Hello" }] });
    assert.equal(title.value, "Hello");
  });

  it("refuse a missing selector or attribute name with a TypeError", () => {
    const signals = htmlSignals(fakePage("<p>x</p>"));
    assert.throws(() => signals["html.content"]({ content: "x" }), /html.content needs a non-empty string "selector"/);
    assert.throws(() => signals["html.add_attribute"]({ selector: "p" }), /"attr_name"/);
  });
});

describe("forms", () => {
  const form = (...elements) => ({ elements });

  it("serialise like jQuery's serializeArray, with file names and selected options", () => {
    const pairs = serializeForm(
      form(
        field("INPUT", { type: "text", name: "a", value: "1" }),
        field("INPUT", { type: "text", name: "", value: "no name" }),
        field("INPUT", { type: "text", name: "b", value: "off", disabled: true }),
        field("INPUT", { type: "submit", name: "go", value: "Go" }),
        field("BUTTON", { type: "submit", name: "btn", value: "x" }),
        field("INPUT", { type: "checkbox", name: "c", value: "on", checked: true }),
        field("INPUT", { type: "checkbox", name: "c", value: "two", checked: false }),
        field("INPUT", { type: "radio", name: "r", value: "y", checked: true }),
        field("INPUT", { type: "file", name: "f", files: [{ name: "a.txt" }, { name: "b.txt" }] }),
        field("SELECT", { type: "select-multiple", name: "m", selectedOptions: [{ value: "p" }, { value: "q" }] }),
        field("TEXTAREA", { type: "textarea", name: "t", value: "text" }),
      ),
    );
    assert.deepEqual(pairs, [
      { name: "a", value: "1" },
      { name: "c", value: "on" },
      { name: "r", value: "y" },
      { name: "f", value: "a.txt" },
      { name: "f", value: "b.txt" },
      { name: "m", value: "p" },
      { name: "m", value: "q" },
      { name: "t", value: "text" },
    ]);
  });

  it("read one field's value", () => {
    assert.equal(fieldValue(field("INPUT", { type: "text", value: "v" })), "v");
    assert.equal(fieldValue(field("INPUT", { type: "checkbox", value: "on", checked: true })), true);
    assert.equal(fieldValue(field("INPUT", { type: "radio", value: "on", checked: false })), false);
    assert.deepEqual(fieldValue(field("INPUT", { type: "file", files: [{ name: "x.png" }] })), ["x.png"]);
    assert.deepEqual(fieldValue(field("SELECT", { type: "select-multiple", selectedOptions: [{ value: "a" }] })), ["a"]);
    assert.equal(fieldValue(field("SELECT", { type: "select-one", value: "b" })), "b");
  });

  it("set fields by name: text, checkbox groups, radios, selects; files are left alone", () => {
    const text = field("INPUT", { type: "text", name: "t", value: "" });
    const area = field("TEXTAREA", { type: "textarea", name: "a", value: "" });
    const boxes = ["x", "y", "z"].map((value) => field("INPUT", { type: "checkbox", name: "c", value, checked: false }));
    const radios = ["s", "m", "l"].map((value) => field("INPUT", { type: "radio", name: "r", value, checked: false }));
    const single = field("INPUT", { type: "checkbox", name: "agree", value: "on", checked: true });
    const options = ["1", "2", "3"].map((value) => ({ value, selected: false }));
    const select = field("SELECT", { type: "select-multiple", name: "s", options });
    const file = field("INPUT", { type: "file", name: "f", value: "" });
    setFormValues(form(text, area, ...boxes, ...radios, single, select, file), [
      { name: "t", value: "hello" },
      { name: "a", value: 42 },
      { name: "c", value: ["x", "z"] },
      { name: "r", value: "m" },
      { name: "agree", value: false },
      { name: "s", value: ["2", "3"] },
      { name: "f", value: "C:\\evil" },
      { name: "unknown", value: "ignored" },
    ]);
    assert.equal(text.value, "hello");
    assert.equal(area.value, "42");
    assert.deepEqual(boxes.map((b) => b.checked), [true, false, true]);
    assert.deepEqual(radios.map((r) => r.checked), [false, true, false]);
    assert.equal(single.checked, false);
    assert.deepEqual(options.map((o) => o.selected), [false, true, true]);
    assert.equal(file.value, "");
  });

  it("give a lone checkbox a string as its value, as df_websockets 1.x does", () => {
    const lone = field("INPUT", { type: "checkbox", name: "on", value: "x", checked: true });
    setFormValues(form(lone), [{ name: "on", value: "y" }]);
    assert.equal(lone.value, "y");
    assert.equal(lone.checked, true);
  });
});

describe("data-df-signal bindings", () => {
  it("parse a JSON list, leaving out entries without a name", () => {
    assert.deepEqual(parseBindings('[{"name": "a.b"}, {"on": "click"}, null, {"name": ""}]'), [{ name: "a.b" }]);
    assert.throws(() => parseBindings("{"), SyntaxError);
    assert.throws(() => parseBindings('{"name": "a"}'), /must be a JSON list/);
  });

  it("listen by default to submit on forms, change on fields, click on anything else", () => {
    const el = (tag, type) => Object.assign(new FakeElement(tag), { type });
    assert.equal(defaultEvent(el("form")), "submit");
    assert.equal(defaultEvent(el("input", "text")), "change");
    assert.equal(defaultEvent(el("input", "checkbox")), "change");
    assert.equal(defaultEvent(el("textarea", "textarea")), "change");
    assert.equal(defaultEvent(el("select", "select-one")), "change");
    for (const type of ["button", "submit", "reset", "image"]) assert.equal(defaultEvent(el("input", type)), "click", type);
    assert.equal(defaultEvent(el("button", "submit")), "click");
    assert.equal(defaultEvent(el("a")), "click");
  });

  it("prevent the default action when prevent is true, or unset and the event is not change", () => {
    assert.equal(shouldPrevent({ name: "x", prevent: true }, "change"), true);
    assert.equal(shouldPrevent({ name: "x", prevent: false }, "click"), false);
    assert.equal(shouldPrevent({ name: "x", prevent: null }, "click"), true);
    assert.equal(shouldPrevent({ name: "x" }, "submit"), true);
    assert.equal(shouldPrevent({ name: "x", prevent: null }, "change"), false);
    assert.equal(shouldPrevent({ name: "x" }, "change"), false);
  });

  it("build opts from a copy of opts, the form and the value", () => {
    const binding = { name: "x", opts: { id: 42 }, form: "data", value: "v" };
    const form = { tagName: "FORM", elements: [field("INPUT", { type: "text", name: "t", value: "hi" })] };
    const input = { tagName: "INPUT", type: "text", value: "typed", form, closest: () => null };
    assert.deepEqual(callOptions(binding, input), { id: 42, data: [{ name: "t", value: "hi" }], v: "typed" });
    assert.deepEqual(binding.opts, { id: 42 }, "the binding's opts are not changed");
    assert.deepEqual(callOptions({ name: "x", form: "data" }, form), { data: [{ name: "t", value: "hi" }] });
    const loose = { tagName: "A", form: undefined, closest: () => null };
    assert.deepEqual(callOptions({ name: "x", form: "data" }, loose), { data: [] });
  });

  it("bind each element once, the root included, and call on the event", () => {
    const document = fakePage(
      `<button id="b" data-df-signal='[{"name": "a.click", "opts": {"n": 1}}, {"name": "a.over", "on": "mouseover", "prevent": false}]'>x</button>` +
        `<p id="bad" data-df-signal='nope'>y</p>`,
    );
    const calls = [];
    const warnings = [];
    const deps = { call: (name, opts) => calls.push([name, opts]), bound: new WeakSet(), warn: (m) => warnings.push(m) };
    const button = document.querySelector("#b");
    bindTree(button, deps);
    bindTree(document, deps);
    const click = new Event("click", { cancelable: true });
    button.dispatchEvent(click);
    const over = new Event("mouseover", { cancelable: true });
    button.dispatchEvent(over);
    assert.deepEqual(calls, [["a.click", { n: 1 }], ["a.over", {}]]);
    assert.equal(click.defaultPrevented, true);
    assert.equal(over.defaultPrevented, false);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /invalid data-df-signal/);
  });

  it("bind the page in the task after it is ready, and again after DOMContentAdded", () => {
    const document = fakePage(`<a id="one" data-df-signal='[{"name": "one"}]'>1</a>`);
    const clock = new FakeClock();
    const calls = [];
    watchBindings({ document, setTimeout: clock.setTimeout, call: (name) => calls.push(name), warn: () => {} });
    const one = document.querySelector("#one");
    one.dispatchEvent(new Event("click"));
    assert.deepEqual(calls, [], "not bound before the next task");
    clock.advance(0);
    one.dispatchEvent(new Event("click"));
    document.body.insertAdjacentHTML("beforeend", `<a id="two" data-df-signal='[{"name": "two"}]'>2</a>`);
    document.dispatchEvent(new Event("DOMContentAdded"));
    clock.advance(0);
    one.dispatchEvent(new Event("click"));
    document.querySelector("#two").dispatchEvent(new Event("click"));
    assert.deepEqual(calls, ["one", "one", "two"]);
  });
});

describe("df.notify", () => {
  it("normalises the level and the timeout", () => {
    for (const level of ["info", "success", "warning", "error"]) assert.equal(notifyLevel(level), level);
    for (const level of [undefined, null, "", "danger", "INFO", 3, "info df-evil"]) assert.equal(notifyLevel(level), "info");
    assert.equal(notifyTimeout(0), 0);
    assert.equal(notifyTimeout(1500), 1500);
    for (const timeout of [undefined, null, -1, "100", Number.NaN, Infinity]) assert.equal(notifyTimeout(timeout), DEFAULT_TIMEOUT);
  });

  /** @returns a page and its notifier on a fake clock */
  function notifier() {
    const document = fakePage();
    const clock = new FakeClock();
    const notify = createNotifier({ document, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout });
    return { document, clock, notify };
  }

  it("renders text only, in one live region, with styles added once", () => {
    const { document, notify } = notifier();
    const toast = notify({ level: "danger", title: "<b>T</b>", message: "<img src=x onerror=alert(1)>" });
    notify({ level: "error", message: "second" });
    const region = document.querySelector(".df-notify-region");
    assert.equal(region.getAttribute("aria-live"), "polite");
    assert.equal(region.parentNode, document.body);
    assert.equal(document.querySelectorAll(".df-notify-region").length, 1);
    assert.equal(document.head.querySelectorAll("style").length, 1);
    assert.equal(document.head.firstChild.hasAttribute("data-df-notify"), true);
    assert.equal(toast.className, "df-notify df-notify-info");
    assert.equal(toast.getAttribute("role"), "status");
    assert.equal(toast.querySelector(".df-notify-title").textContent, "<b>T</b>");
    assert.equal(toast.querySelector(".df-notify-message").textContent, "<img src=x onerror=alert(1)>");
    assert.equal(toast.querySelectorAll("b").length + toast.querySelectorAll("img").length, 0);
    const close = toast.querySelector("button");
    assert.equal(close.getAttribute("type"), "button");
    assert.equal(close.getAttribute("aria-label"), "Dismiss");
    assert.equal(region.childNodes[1].querySelector(".df-notify-title"), null, "no title, no title element");
  });

  it("goes after the timeout (5 s by default), stays with 0, pauses while hovered", () => {
    const { clock, notify } = notifier();
    const short = notify({ message: "a", timeout: 1000 });
    const normal = notify({ message: "b" });
    const sticky = notify({ message: "c", timeout: 0 });
    clock.advance(1000);
    assert.equal(short.isConnected, false);
    assert.equal(normal.isConnected, true);
    normal.dispatchEvent(new Event("mouseenter"));
    clock.advance(10_000);
    assert.equal(normal.isConnected, true, "paused while hovered");
    normal.dispatchEvent(new Event("mouseleave"));
    clock.advance(DEFAULT_TIMEOUT);
    assert.equal(normal.isConnected, false);
    assert.equal(sticky.isConnected, true);
    sticky.querySelector("button").dispatchEvent(new Event("click"));
    assert.equal(sticky.isConnected, false);
  });

  it("recreates its region when the page removed it", () => {
    const { document, notify } = notifier();
    notify({ message: "a" });
    document.querySelector(".df-notify-region").remove();
    notify({ message: "b" });
    assert.equal(document.querySelector(".df-notify-region").textContent.startsWith("b"), true);
  });
});

describe("installPageFeatures", () => {
  it("registers the built-ins as ordinary handlers that pages can add to or remove", () => {
    const t = setup();
    const document = fakePage('<p id="p">old</p>');
    installPageFeatures(t.client, { document, setTimeout: t.clock.setTimeout, clearTimeout: t.clock.clearTimeout, console: recordingConsole() });
    const seen = [];
    t.client.connect("html.text", (opts) => seen.push(opts.content));
    t.socket.accept();
    t.socket.deliver({ signal: "html.text", opts: { selector: "#p", content: "new" }, signal_id: "s1" });
    assert.equal(document.querySelector("#p").textContent, "new");
    assert.deepEqual(seen, ["new"]);

    t.client.disconnect("html.text");
    t.socket.deliver({ signal: "html.text", opts: { selector: "#p", content: "newer" }, signal_id: "s2" });
    assert.equal(document.querySelector("#p").textContent, "new");

    t.socket.deliver({ signal: "df.notify", opts: { message: "hi" }, signal_id: "s3" });
    assert.equal(document.querySelector(".df-notify-message").textContent, "hi");
  });
});
