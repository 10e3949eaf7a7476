// A very small DOM, enough for the built-in signals, the bindings and the toasts to run in
// Node: a node tree, attributes, classes, a few selectors (`tag`, `#id`, `.class`, `[attr]`,
// `tag[attr="value"]`, comma lists) and an HTML parser for flat `<tag attr="v">text</tag>` snippets. Events do
// not bubble: tests dispatch where they listen. The real DOM is the browser tests' job.

class FakeNode extends EventTarget {
  parentNode = null;
  childNodes = [];

  get firstChild() {
    return this.childNodes[0] ?? null;
  }

  get lastChild() {
    return this.childNodes.at(-1) ?? null;
  }

  get nextSibling() {
    const siblings = this.parentNode?.childNodes ?? [];
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }

  get previousSibling() {
    const siblings = this.parentNode?.childNodes ?? [];
    return siblings[siblings.indexOf(this) - 1] ?? null;
  }

  get isConnected() {
    return this.parentNode !== null && (this.parentNode instanceof FakeDocument || this.parentNode.isConnected);
  }

  /** Inserts `nodes` (strings become text) before `reference` (null: at the end). */
  insertBefore(nodes, reference) {
    const fresh = nodes.map((n) => (typeof n === "string" ? new FakeText(n) : n));
    for (const node of fresh) node.parentNode?.childNodes.splice(node.parentNode.childNodes.indexOf(node), 1);
    const at = reference === null ? this.childNodes.length : this.childNodes.indexOf(reference);
    this.childNodes.splice(at, 0, ...fresh);
    for (const node of fresh) node.parentNode = this;
  }

  append(...nodes) {
    this.insertBefore(nodes, null);
  }

  prepend(...nodes) {
    this.insertBefore(nodes, this.firstChild);
  }

  remove() {
    if (!this.parentNode) return;
    this.parentNode.childNodes.splice(this.parentNode.childNodes.indexOf(this), 1);
    this.parentNode = null;
  }

  replaceChildren(...nodes) {
    for (const child of [...this.childNodes]) child.remove();
    this.append(...nodes);
  }

  get textContent() {
    return this.childNodes.map((c) => c.textContent).join("");
  }

  set textContent(text) {
    this.replaceChildren(...(text === "" ? [] : [text]));
  }

  /** @returns every element below this node, in document order */
  descendants() {
    return this.childNodes.flatMap((c) => (c.nodeType === 1 ? [c, ...c.descendants()] : []));
  }

  querySelectorAll(selector) {
    return this.descendants().filter((e) => e.matches(selector));
  }

  querySelector(selector) {
    return this.querySelectorAll(selector)[0] ?? null;
  }
}

class FakeText extends FakeNode {
  nodeType = 3;
  #text;

  constructor(text) {
    super();
    this.#text = text;
  }

  get textContent() {
    return this.#text;
  }
}

/** @returns {FakeNode[]} the nodes of a flat HTML snippet */
function parseHtml(html) {
  const nodes = [];
  const pattern = /<(\w+)((?:\s+[\w-]+(?:="[^"]*"|='[^']*')?)*)\s*>(.*?)<\/\1>|([^<]+)/gs;
  for (const [, tag, attributes, inner, text] of html.matchAll(pattern)) {
    if (text !== undefined) {
      nodes.push(new FakeText(text));
      continue;
    }
    const element = new FakeElement(tag);
    for (const [, name, , double, single] of attributes.matchAll(/([\w-]+)(="([^"]*)"|='([^']*)')?/g)) {
      element.setAttribute(name, double ?? single ?? "");
    }
    if (inner) element.append(...parseHtml(inner));
    nodes.push(element);
  }
  return nodes;
}

export class FakeElement extends FakeNode {
  nodeType = 1;
  attributes = new Map();
  focused = false;
  clicked = 0;
  /** Events dispatched here, by type. */
  dispatched = [];

  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
  }

  getAttribute(name) {
    return this.attributes.get(name) ?? null;
  }

  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }

  removeAttribute(name) {
    this.attributes.delete(name);
  }

  hasAttribute(name) {
    return this.attributes.has(name);
  }

  get className() {
    return this.getAttribute("class") ?? "";
  }

  set className(value) {
    this.setAttribute("class", value);
  }

  get classList() {
    const names = () => this.className.split(/\s+/).filter(Boolean);
    return {
      add: (...add) => (this.className = [...new Set([...names(), ...add])].join(" ")),
      remove: (...drop) => (this.className = names().filter((n) => !drop.includes(n)).join(" ")),
      contains: (name) => names().includes(name),
    };
  }

  matches(selector) {
    return selector.split(",").some((one) => {
      const s = one.trim();
      if (s.startsWith("#")) return this.getAttribute("id") === s.slice(1);
      if (s.startsWith(".")) return this.classList.contains(s.slice(1));
      const attribute = /^(\w*)\[([\w-]+)(?:="([^"]*)")?\]$/.exec(s);
      if (attribute) {
        const [, tag, name, value] = attribute;
        if (tag && this.tagName !== tag.toUpperCase()) return false;
        return value === undefined ? this.hasAttribute(name) : this.getAttribute(name) === value;
      }
      return this.tagName === s.toUpperCase();
    });
  }

  closest(selector) {
    for (let node = this; node instanceof FakeElement; node = node.parentNode) {
      if (node.matches(selector)) return node;
    }
    return null;
  }

  insertAdjacentHTML(position, html) {
    const nodes = parseHtml(html);
    if (position === "beforebegin") this.parentNode.insertBefore(nodes, this);
    else if (position === "afterend") this.parentNode.insertBefore(nodes, this.nextSibling);
    else if (position === "afterbegin") this.prepend(...nodes);
    else this.append(...nodes);
  }

  set innerHTML(html) {
    this.replaceChildren(...parseHtml(html));
  }

  set outerHTML(html) {
    this.parentNode.insertBefore(parseHtml(html), this);
    this.remove();
  }

  dispatchEvent(event) {
    this.dispatched.push(event.type);
    return super.dispatchEvent(event);
  }

  focus() {
    this.focused = true;
  }

  click() {
    this.clicked += 1;
  }
}

export class FakeDocument extends FakeNode {
  readyState = "complete";
  visibilityState = "visible";
  cookie = "";

  constructor() {
    super();
    this.head = new FakeElement("head");
    this.body = new FakeElement("body");
    this.append(this.head, this.body);
  }

  createElement(tag) {
    return new FakeElement(tag);
  }
}

/** @returns {FakeDocument} a document whose body holds `html` */
export function fakePage(html = "") {
  const document = new FakeDocument();
  document.body.innerHTML = html;
  return document;
}
