/**
 * The "Call a signal" card: sends any demo signal with `DFSignals.request` and logs the
 * result or the error code with the round-trip time, plus the `demo.echo` signal that the
 * server sends back to this window.
 */
import { byId, h } from "./dom.js";

/** Options suggested for each signal of the list. */
const PRESETS = {
  "demo.add": { a: 2, b: 40 },
  "demo.echo": { hello: "world" },
  "demo.slow": { ms: 1500 },
  "demo.whoami": {},
  "demo.admin": {},
  "demo.missing": {},
};
const MAX_ENTRIES = 20;

/**
 * @param {typeof window.DFSignals} signals
 */
export function initPlayground(signals) {
  const form = /** @type {HTMLFormElement} */ (byId("playground-form"));
  const log = byId("playground-log");
  const { signal, opts, timeout } = /** @type {any} */ (form.elements);

  const usePreset = () => {
    opts.value = JSON.stringify(PRESETS[signal.value] ?? {});
  };
  signal.addEventListener("change", usePreset);
  usePreset();

  /**
   * Adds an entry at the top of the log.
   * @param {string} title
   * @returns {(detail: string, level: string) => void} sets the entry's outcome
   */
  function entry(title) {
    const detail = h("small", {}, "waiting…");
    const item = h("li", { class: "log-entry", "data-level": "info" }, title, detail);
    log.prepend(item);
    while (log.children.length > MAX_ENTRIES) log.lastElementChild.remove();
    return (text, level) => {
      detail.textContent = text;
      item.dataset.level = level;
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let parsed;
    try {
      parsed = JSON.parse(opts.value || "{}");
    } catch (err) {
      entry(signal.value)(`options are not JSON: ${err.message}`, "error");
      return;
    }
    const settle = entry(`${signal.value} ${JSON.stringify(parsed)}`);
    const started = performance.now();
    const elapsed = () => `${Math.round(performance.now() - started)} ms`;
    try {
      const result = await signals.request(signal.value, parsed, { timeout: Number(timeout.value) });
      settle(`→ ${JSON.stringify(result)} · ${elapsed()}`, "success");
    } catch (err) {
      settle(`✕ ${err.code}: ${err.message} · ${elapsed()}`, "error");
    }
  });

  signals.connect("demo.echo", (echoed, signalId) => {
    entry(`signal demo.echo ${JSON.stringify(echoed)}`)(`pushed to this window · ${signalId}`, "warning");
  });
}
