/**
 * The page's DFSignals: the client wired to the real browser, started once the DOM is ready
 * (so that the meta tags can be read). Entry point of `static/switchboard.mjs`.
 */
import { createClient } from "./client.js";
import { SignalError } from "./errors.js";

/** The page's one client (see README.md for the API). */
const DFSignals = createClient({
  WebSocket: globalThis.WebSocket,
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (timer) => globalThis.clearTimeout(timer),
  // Monotonic: a wall-clock jump must not make a live socket look silent.
  now: () => globalThis.performance.now(),
  random: Math.random,
  console: globalThis.console,
  document: globalThis.document,
  eventTarget: globalThis,
});

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => DFSignals.start(), { once: true });
} else {
  DFSignals.start();
}

export { DFSignals, SignalError };
export default DFSignals;
