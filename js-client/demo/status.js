/**
 * The connection badge of the top bar: "Connected", "Connecting…"/"Reconnecting…" or
 * "Offline", from `DFSignals.state`.
 */
import { byId } from "./dom.js";

/**
 * @param {typeof window.DFSignals} signals
 */
export function initStatus(signals) {
  const badge = byId("connection");
  const text = byId("connection-text");
  let wasOpen = false;

  /** @param {"connecting" | "open" | "closed"} state */
  function show(state) {
    wasOpen ||= state === "open";
    badge.dataset.state = state;
    if (state === "open") {
      text.textContent = "Connected";
      badge.title = "Live: signals arrive as they are sent.";
    } else if (state === "connecting") {
      text.textContent = wasOpen ? "Reconnecting…" : "Connecting…";
      badge.title = "Opening the websocket.";
    } else {
      text.textContent = "Offline";
      badge.title = "No connection. Retrying by itself; calls made meanwhile are queued.";
    }
  }

  show(signals.state);
  signals.onStateChange(show);
}
