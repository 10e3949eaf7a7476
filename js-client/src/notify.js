/**
 * The `df.notify` signal: a toast in the corner of the page, `{level, title, message,
 * timeout}`. Its title and message are only ever text (`textContent`), so a notification
 * cannot inject markup or script whatever it says.
 *
 * Markup: a `<div class="df-notify-region" aria-live="polite">` appended to `<body>` on first
 * use holds one `<div class="df-notify df-notify-LEVEL" role="status">` per toast, with a
 * `<div class="df-notify-title">` (when there is a title), a `<div class="df-notify-message">`
 * and a `<button type="button" aria-label="Dismiss">`. The styles, in a
 * `<style data-df-notify>` added once at the start of `<head>`, have no specificity
 * (`:where`), so any page rule on these classes overrides them.
 */

/** The levels a toast can have; any other level shows as `info`. */
export const LEVELS = Object.freeze(["info", "success", "warning", "error"]);
/** How long a toast stays, in ms, when `timeout` is not given. */
export const DEFAULT_TIMEOUT = 5_000;

const STYLES = `
:where(.df-notify-region){position:fixed;z-index:2147483000;right:1rem;bottom:1rem;display:flex;flex-direction:column;gap:.5rem;width:min(24rem,calc(100vw - 2rem));pointer-events:none}
:where(.df-notify){--df-notify-accent:#2563eb;position:relative;box-sizing:border-box;padding:.75rem 2.5rem .75rem 1rem;border-left:4px solid var(--df-notify-accent);border-radius:.5rem;background:#fff;color:#1f2937;box-shadow:0 4px 16px rgb(0 0 0/.18);font:14px/1.4 system-ui,sans-serif;overflow-wrap:anywhere;pointer-events:auto}
:where(.df-notify-success){--df-notify-accent:#16a34a}
:where(.df-notify-warning){--df-notify-accent:#d97706}
:where(.df-notify-error){--df-notify-accent:#dc2626}
:where(.df-notify-title){font-weight:600}
:where(.df-notify-message){white-space:pre-line}
:where(.df-notify>button){position:absolute;top:.25rem;right:.25rem;width:2rem;height:2rem;border:0;border-radius:.25rem;background:none;color:inherit;font-size:1.25rem;line-height:1;cursor:pointer;opacity:.7}
:where(.df-notify>button:hover,.df-notify>button:focus-visible){opacity:1}
@media (prefers-color-scheme:dark){:where(.df-notify){--df-notify-accent:#60a5fa;background:#1f2937;color:#f3f4f6}:where(.df-notify-success){--df-notify-accent:#4ade80}:where(.df-notify-warning){--df-notify-accent:#fbbf24}:where(.df-notify-error){--df-notify-accent:#f87171}}
`;

/**
 * @typedef {object} NotifyOptions the arguments of `df.notify`
 * @property {string} [level] `info` (default), `success`, `warning` or `error`
 * @property {string} [title] shown in bold above the message; none when empty
 * @property {string} [message]
 * @property {number} [timeout] ms before the toast goes by itself; 0 keeps it until
 *   dismissed; default 5000
 */

/**
 * @param {unknown} level
 * @returns {string} `level` when it is one of LEVELS, else `info`
 */
export function notifyLevel(level) {
  return LEVELS.includes(/** @type {string} */ (level)) ? /** @type {string} */ (level) : "info";
}

/**
 * @param {unknown} timeout
 * @returns {number} `timeout` when it is a number of ms (0 or more), else the default
 */
export function notifyTimeout(timeout) {
  return typeof timeout === "number" && Number.isFinite(timeout) && timeout >= 0 ? timeout : DEFAULT_TIMEOUT;
}

/**
 * @param {unknown} value
 * @returns {string} the text to show: nothing for null and undefined
 */
function asText(value) {
  return value === undefined || value === null ? "" : String(value);
}

/**
 * Creates the `df.notify` handler for a page.
 * @param {object} deps
 * @param {Document} deps.document
 * @param {(fn: () => void, ms: number) => unknown} deps.setTimeout
 * @param {(timer: unknown) => void} deps.clearTimeout
 * @returns {(opts: NotifyOptions) => HTMLElement} shows a toast, and returns it
 */
export function createNotifier({ document, setTimeout, clearTimeout }) {
  /** @type {HTMLElement | null} */
  let region = null;

  /**
   * @param {string} tag
   * @param {string} className
   * @param {string} [content] text
   */
  function element(tag, className, content) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (content !== undefined) el.textContent = content;
    return el;
  }

  /** @returns {HTMLElement} the region, (re)created when the page has none */
  function ensureRegion() {
    if (!document.querySelector("style[data-df-notify]")) {
      const style = element("style", "", STYLES);
      style.setAttribute("data-df-notify", "");
      document.head.prepend(style);
    }
    if (region === null || !region.isConnected) {
      region = element("div", "df-notify-region");
      region.setAttribute("aria-live", "polite");
      document.body.append(region);
    }
    return region;
  }

  return (opts) => {
    const { level, title, message, timeout } = opts ?? {};
    const toast = element("div", `df-notify df-notify-${notifyLevel(level)}`);
    toast.setAttribute("role", "status");
    if (asText(title)) toast.append(element("div", "df-notify-title", asText(title)));
    toast.append(element("div", "df-notify-message", asText(message)));
    const close = element("button", "", "×");
    close.setAttribute("type", "button");
    close.setAttribute("aria-label", "Dismiss");
    toast.append(close);

    const delay = notifyTimeout(timeout);
    /** @type {unknown} */
    let timer = null;
    const dismiss = () => {
      clearTimeout(timer);
      toast.remove();
    };
    // The clock stops while the pointer or the focus is on the toast, so it can be read.
    const pause = () => clearTimeout(timer);
    const resume = () => {
      clearTimeout(timer);
      if (delay > 0) timer = setTimeout(dismiss, delay);
    };
    close.addEventListener("click", dismiss);
    toast.addEventListener("mouseenter", pause);
    toast.addEventListener("mouseleave", resume);
    toast.addEventListener("focusin", pause);
    toast.addEventListener("focusout", resume);
    ensureRegion().append(toast);
    resume();
    return toast;
  };
}
