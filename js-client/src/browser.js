/**
 * The page's DFSignals: the client wired to the real browser, with the built-in signals and
 * the `data-df-signal` bindings, started once the DOM is ready (so that the meta tags can be
 * read). Entry point of `static/switchboard.mjs` (the package's ES module), which also
 * exports the error type, the code tables and, for TypeScript, the public types.
 */
import { createClient } from "./client.js";
import { SignalError } from "./errors.js";
import { installPageFeatures } from "./page.js";

/** @type {(fn: () => void, ms: number) => unknown} */
const setTimeout = (fn, ms) => globalThis.setTimeout(fn, ms);
/** @type {(timer: unknown) => void} */
const clearTimeout = (timer) => globalThis.clearTimeout(/** @type {number} */ (timer));

/**
 * The page's one client (see README.md for the API).
 * @type {import("./types.js").DFSignalsClient}
 */
const DFSignals = createClient({
  WebSocket: globalThis.WebSocket,
  setTimeout,
  clearTimeout,
  // Monotonic: a wall-clock jump must not make a live socket look silent.
  now: () => globalThis.performance.now(),
  random: Math.random,
  console: globalThis.console,
  document: globalThis.document,
  eventTarget: globalThis,
});

installPageFeatures(DFSignals, { document, setTimeout, clearTimeout, console: globalThis.console });

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => DFSignals.start(), { once: true });
} else {
  DFSignals.start();
}

export { DFSignals, SignalError };
export * from "./codes.js";
export * from "./types.js";
export default DFSignals;
