/**
 * DOM helpers of the demo. Server data only ever becomes text nodes: nothing here parses
 * HTML.
 */

/**
 * Builds an element. String children become text nodes; null and false are skipped.
 * @param {string} tag
 * @param {Record<string, string | boolean>} [attributes] `class` sets the class name, `true`
 *   sets an empty attribute, `false` leaves it out
 * @param {...(Node | string | null | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") element.className = String(value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false) element.setAttribute(name, value);
  }
  element.append(...children.filter((child) => child !== null && child !== false));
  return element;
}

/**
 * @param {string} id
 * @returns {HTMLElement} the element with this id; throws if the page lacks it
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/**
 * @param {number} ms milliseconds since the epoch
 * @param {string} className
 * @returns {HTMLElement} a `<time>` showing the time of day, with the full date as tooltip
 */
export function timeElement(ms, className) {
  const date = new Date(ms);
  const attributes = { class: className, datetime: date.toISOString(), title: date.toLocaleString() };
  return h("time", attributes, timeFormat.format(date));
}

/**
 * An avatar: the name's initials on a colour derived from the name.
 * @param {string} name
 * @returns {HTMLElement}
 */
export function avatar(name) {
  const element = h("span", { class: "avatar", "aria-hidden": "true" });
  paintAvatar(element, name);
  return element;
}

/**
 * Sets an avatar element's initials and colour for `name`.
 * @param {HTMLElement} element
 * @param {string} name
 */
export function paintAvatar(element, name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const initials = words.length > 1 ? words[0][0] + words.at(-1)[0] : name.trim().slice(0, 2);
  element.textContent = initials.toUpperCase() || "?";
  let hue = 0;
  for (const char of name) hue = (hue * 31 + char.codePointAt(0)) % 360;
  element.style.setProperty("--avatar-hue", String(hue));
}

/**
 * A short description of a failed request, for inline errors.
 * @param {unknown} error what `DFSignals.request` rejected with
 * @returns {string}
 */
export function describeError(error) {
  const { code, message } = /** @type {{code?: string, message?: string}} */ (error);
  switch (code) {
    case "timeout":
      return "The server did not answer in time. Try again.";
    case "disconnected":
      return "The connection dropped before the answer came. Try again.";
    default:
      return code ? `${message} (${code})` : String(message ?? error);
  }
}
