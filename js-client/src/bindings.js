/**
 * Declarative calls (df_websockets' `data-df-signal`): an element whose attribute holds a JSON
 * list of `{name, on, opts, form, value, prevent}` calls each named signal when the event
 * `on` fires on it. Elements are bound once, when the DOM is ready and when an element
 * arrives with a `DOMContentAdded` event (which the `html.*` insertions dispatch).
 */
import { CONTENT_ADDED } from "./html-signals.js";
import { fieldValue, isButtonInput, serializeForm } from "./forms.js";

/** The attribute that declares the calls. */
export const ATTRIBUTE = "data-df-signal";

/**
 * One entry of the attribute's list: `{name, on, opts, form, value, prevent}` (`on` defaults
 * as `defaultEvent` says, `prevent` as `shouldPrevent` says).
 * @typedef {import("./types.js").DataSignalBinding} Binding
 */

/**
 * Reads an attribute's list of bindings. Entries without a signal name are left out.
 * @param {string} text the attribute's value
 * @returns {Binding[]}
 * @throws {SyntaxError} when the text is not JSON
 * @throws {TypeError} when it is not a list
 */
export function parseBindings(text) {
  const parsed = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new TypeError(`${ATTRIBUTE} must be a JSON list`);
  return parsed.filter((entry) => typeof entry?.name === "string" && entry.name !== "");
}

/**
 * The event a binding without `on` listens to: `submit` for a form, `change` for a
 * textarea, a select or an input that is not a button, `click` for anything else.
 * @param {Element} element
 * @returns {string}
 */
export function defaultEvent(element) {
  switch (element.tagName) {
    case "FORM":
      return "submit";
    case "TEXTAREA":
    case "SELECT":
      return "change";
    case "INPUT":
      return isButtonInput(element) ? "click" : "change";
    default:
      return "click";
  }
}

/**
 * Whether a call cancels its event's default action: when `prevent` is true, or when it is
 * not given and the event is not `change`.
 * @param {Binding} binding
 * @param {string} eventName
 * @returns {boolean}
 */
export function shouldPrevent(binding, eventName) {
  return binding.prevent === true || ((binding.prevent === undefined || binding.prevent === null) && eventName !== "change");
}

/**
 * The options of one call: a copy of the binding's `opts`, plus its `form` option (the
 * element's form, or the form the element belongs to, as `{name, value}` pairs) and its
 * `value` option (see `fieldValue`).
 * @param {Binding} binding
 * @param {Element} element the bound element
 * @returns {Record<string, unknown>}
 */
export function callOptions(binding, element) {
  const opts = { ...binding.opts };
  if (binding.form) {
    const el = /** @type {HTMLInputElement} */ (element);
    const form = el.tagName === "FORM" ? /** @type {HTMLFormElement} */ (element) : (el.form ?? element.closest("form"));
    opts[binding.form] = form ? serializeForm(form) : [];
  }
  if (binding.value) opts[binding.value] = fieldValue(/** @type {HTMLInputElement} */ (element));
  return opts;
}

/**
 * Binds the elements of `root` (itself included) that declare calls and are not bound yet.
 * @param {Element | Document} root
 * @param {object} deps
 * @param {(name: string, opts: Record<string, unknown>) => unknown} deps.call DFSignals.call
 * @param {WeakSet<Element>} deps.bound the elements already bound, updated
 * @param {(message: string, element: Element) => void} deps.warn
 */
export function bindTree(root, { call, bound, warn }) {
  const own = "matches" in root && root.matches(`[${ATTRIBUTE}]`) ? [root] : [];
  for (const element of [...own, ...Array.from(root.querySelectorAll(`[${ATTRIBUTE}]`))]) {
    if (bound.has(element)) continue;
    bound.add(element);
    let bindings;
    try {
      bindings = parseBindings(/** @type {string} */ (element.getAttribute(ATTRIBUTE)));
    } catch (err) {
      const error = /** @type {Error} */ (err);
      warn(`ignored an invalid ${ATTRIBUTE} attribute (${error.message})`, element);
      continue;
    }
    for (const binding of bindings) {
      const eventName = binding.on || defaultEvent(element);
      element.addEventListener(eventName, (event) => {
        call(binding.name, callOptions(binding, element));
        if (shouldPrevent(binding, eventName)) event.preventDefault();
      });
    }
  }
}

/**
 * Binds the page's elements once the DOM is ready, and every element that later arrives
 * with a `DOMContentAdded` event. Binding waits for the next task after those events, so
 * that listeners other scripts add in their own handlers of them run first (an editor that
 * copies its text into a textarea on submit, say); df_websockets waits too.
 * @param {object} deps
 * @param {Document} deps.document
 * @param {(fn: () => void, ms: number) => unknown} deps.setTimeout
 * @param {(name: string, opts: Record<string, unknown>) => unknown} deps.call DFSignals.call
 * @param {(message: string, element: Element) => void} deps.warn
 */
export function watchBindings({ document, setTimeout, call, warn }) {
  const bound = new WeakSet();
  /** @param {Element | Document} root */
  const later = (root) => setTimeout(() => bindTree(root, { call, bound, warn }), 0);
  document.addEventListener(CONTENT_ADDED, (event) => later(/** @type {Element} */ (event.target)));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => later(document), { once: true });
  } else {
    later(document);
  }
}
