/**
 * The built-in `html.*` signals of df_websockets, with its names and argument names, so that
 * server code written for it can change the page: insert, replace or remove content, change
 * classes and attributes, focus an element, download a file, fill a form.
 *
 * The insertions (`html.after`, `html.append`, `html.prepend`, `html.before`,
 * `html.content`, `html.replace_with`) parse `content` as HTML, scripts in event-handler
 * attributes included: that is their purpose, and why only trusted server code may send them
 * (never put user input in `content` unescaped). Each inserted element then gets a bubbling
 * `DOMContentAdded` event, so that code such as the `data-df-signal` bindings can set it up.
 */
import { setFormValues } from "./forms.js";

/** The event dispatched on every element an insertion added. */
export const CONTENT_ADDED = "DOMContentAdded";

/**
 * @typedef {(opts: Record<string, any>) => void} HtmlHandler
 */

/**
 * Where each `insertAdjacentHTML` position puts the new nodes: under which parent, after
 * which node (null: first) and before which one (null: last). Read before the insertion.
 * @type {Record<InsertPosition, (el: Element) => [Node, Node | null, Node | null]>}
 */
const SLOTS = {
  beforebegin: (el) => [/** @type {Node} */ (el.parentNode), el.previousSibling, el],
  afterbegin: (el) => [el, null, el.firstChild],
  beforeend: (el) => [el, el.lastChild, null],
  afterend: (el) => [/** @type {Node} */ (el.parentNode), el, el.nextSibling],
};

/**
 * @param {Node} parent
 * @param {Node | null} after the node just before the range, null to start at the first child
 * @param {Node | null} before the node just after the range, null to run to the last child
 * @returns {Element[]} the elements between `after` and `before`
 */
function elementsBetween(parent, after, before) {
  const found = [];
  for (let node = after ? after.nextSibling : parent.firstChild; node && node !== before; node = node.nextSibling) {
    if (node.nodeType === 1) found.push(/** @type {Element} */ (node));
  }
  return found;
}

/**
 * Dispatches a bubbling `DOMContentAdded` on each element, once all of them are in place.
 * @param {Element[]} elements
 */
function announce(elements) {
  for (const element of elements) element.dispatchEvent(new Event(CONTENT_ADDED, { bubbles: true }));
}

/**
 * @param {string} signal the signal name, for the error message
 * @param {unknown} value
 * @param {string} argument the argument's name
 * @returns {string} `value`, when it is a non-empty string
 * @throws {TypeError} otherwise (reported by the registry like any handler error)
 */
function required(signal, value, argument) {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(`${signal} needs a non-empty string "${argument}"`);
  }
  return value;
}

/**
 * @param {unknown} content
 * @returns {string} the HTML or text to insert; nothing for a missing `content`
 */
function text(content) {
  return content === undefined || content === null ? "" : String(content);
}

/**
 * @param {unknown} classNames one class name, or several separated by spaces
 * @returns {string[]}
 */
function classList(classNames) {
  return text(classNames).split(/\s+/).filter(Boolean);
}

/**
 * The handlers of the built-in signals, by signal name.
 * @param {Document} document the page
 * @returns {Record<string, HtmlHandler>}
 */
export function htmlSignals(document) {
  /**
   * @param {string} signal
   * @param {Record<string, any>} opts
   * @returns {Element[]} the elements `opts.selector` matches
   */
  const matches = (signal, opts) => Array.from(document.querySelectorAll(required(signal, opts.selector, "selector")));

  /**
   * @param {string} signal
   * @param {(element: Element, opts: Record<string, any>) => void} change
   * @returns {HtmlHandler} applies `change` to every match of `opts.selector`
   */
  const eachMatch = (signal, change) => (opts) => {
    for (const element of matches(signal, opts)) change(element, opts);
  };

  /**
   * @param {string} signal
   * @param {InsertPosition} position
   * @returns {HtmlHandler} inserts `opts.content` at `position` of every match
   */
  const insertion = (signal, position) =>
    eachMatch(signal, (element, { content }) => {
      const [parent, after, before] = SLOTS[position](element);
      element.insertAdjacentHTML(position, text(content));
      announce(elementsBetween(parent, after, before));
    });

  return {
    "html.after": insertion("html.after", "afterend"),
    "html.append": insertion("html.append", "beforeend"),
    "html.prepend": insertion("html.prepend", "afterbegin"),
    "html.before": insertion("html.before", "beforebegin"),
    "html.content": eachMatch("html.content", (element, { content }) => {
      element.innerHTML = text(content);
      announce(elementsBetween(element, null, null));
    }),
    "html.replace_with": eachMatch("html.replace_with", (element, { content }) => {
      const parent = element.parentNode;
      if (parent === null) return;
      const [after, before] = [element.previousSibling, element.nextSibling];
      element.outerHTML = text(content);
      announce(elementsBetween(parent, after, before));
    }),
    "html.text": eachMatch("html.text", (element, { content }) => {
      element.textContent = text(content);
    }),
    "html.empty": eachMatch("html.empty", (element) => element.replaceChildren()),
    "html.remove": eachMatch("html.remove", (element) => element.remove()),
    "html.focus": (opts) => {
      const first = /** @type {HTMLElement | undefined} */ (matches("html.focus", opts)[0]);
      first?.focus();
    },
    "html.add_class": eachMatch("html.add_class", (element, { class_name }) => {
      element.classList.add(...classList(class_name));
    }),
    "html.remove_class": eachMatch("html.remove_class", (element, { class_name }) => {
      element.classList.remove(...classList(class_name));
    }),
    "html.add_attribute": eachMatch("html.add_attribute", (element, { attr_name, attr_value }) => {
      element.setAttribute(required("html.add_attribute", attr_name, "attr_name"), text(attr_value));
    }),
    "html.remove_attr": eachMatch("html.remove_attr", (element, { attr_name }) => {
      element.removeAttribute(required("html.remove_attr", attr_name, "attr_name"));
    }),
    "html.boolean_attribute": eachMatch("html.boolean_attribute", (element, { name, value }) => {
      required("html.boolean_attribute", name, "name");
      if (value) element.setAttribute(name, name);
      else element.removeAttribute(name);
    }),
    "html.download_file": ({ url, filename }) => {
      const link = document.createElement("a");
      link.href = required("html.download_file", url, "url");
      link.download = text(filename) || "unknown";
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
    },
    "html.forms.set": eachMatch("html.forms.set", (form, { values }) => {
      setFormValues(/** @type {HTMLFormElement} */ (form), Array.isArray(values) ? values : []);
    }),
  };
}
