/**
 * The socket's life: opening it, keeping it alive with heartbeats, noticing when it died
 * silently, and reopening it with backoff. It knows nothing of signals: it moves text.
 *
 * States: `connecting` while a socket is being opened, `open` once it is, `closed` while
 * there is none (waiting to retry, or never started).
 */
import { createBackoff } from "./backoff.js";
import { CloseCode, reconnectAfter } from "./codes.js";
import { HEARTBEAT } from "./protocol.js";

/** @typedef {import("./types.js").ConnectionState} State */

// WebSocket.OPEN, spelled out so that an injected constructor need not carry the constants.
const OPEN = 1;
// The code this client closes a silent socket with (4000-4999 are for applications).
const SILENT_CLOSE_CODE = CloseCode.SILENT;

/**
 * @typedef {object} Timing
 * @property {number} heartbeatInterval ms between two heartbeats while open
 * @property {number} deadAfter ms without any frame after which a socket counts as dead
 * @property {number} reconnectBase ceiling of the first reconnect delay, ms
 * @property {number} reconnectCap highest ceiling of a reconnect delay, ms
 * @property {number} stableAfter ms a socket must stay open before the backoff starts over
 * @property {number} refusedDelay least delay after close codes 1002, 1007, 1008 and 1009, ms
 */

/**
 * @param {object} deps
 * @param {new (url: string) => WebSocket} deps.WebSocket
 * @param {(fn: () => void, ms: number) => unknown} deps.setTimeout
 * @param {(timer: unknown) => void} deps.clearTimeout
 * @param {() => number} deps.now a clock in ms, for silence detection
 * @param {() => number} deps.random uniform in [0, 1)
 * @param {Pick<Console, "warn" | "error">} deps.console
 * @param {Timing} deps.timing
 * @param {() => string} deps.url the URL to open, asked again at every attempt
 * @param {(info: {reconnected: boolean}) => void} deps.onOpen a socket opened; `reconnected`
 *   is false for the first one
 * @param {(text: string) => void} deps.onText a text frame other than the heartbeat arrived
 * @param {(code: number) => void} deps.onClose the open or opening socket is gone
 * @param {(state: State) => void} deps.onStateChange
 */
export function createConnection(deps) {
  const { setTimeout, clearTimeout, now, timing, console: log } = deps;
  const backoff = createBackoff({
    base: timing.reconnectBase,
    cap: timing.reconnectCap,
    random: deps.random,
  });

  /** @type {State} */
  let state = "closed";
  /** @type {WebSocket | null} */
  let socket = null;
  let started = false;
  let hasOpened = false;
  let lastHeard = 0;
  // Whether the current wait follows a close by which the server refused the window or its
  // frames (1002, 1007, 1008, 1009: `stay-away` in codes.js), which `retryNow` respects.
  let refused = false;
  // One timer per duty, so each can be stopped on its own.
  /** @type {Record<"retry" | "heartbeat" | "watchdog" | "stable", unknown>} */
  const timers = { retry: null, heartbeat: null, watchdog: null, stable: null };

  /** @param {State} next */
  function setState(next) {
    if (next === state) return;
    state = next;
    deps.onStateChange(next);
  }

  /** @param {keyof typeof timers} name */
  function stopTimer(name) {
    if (timers[name] !== null) clearTimeout(timers[name]);
    timers[name] = null;
  }

  /**
   * @param {keyof typeof timers} name
   * @param {number} ms
   * @param {() => void} fn
   */
  function startTimer(name, ms, fn) {
    stopTimer(name);
    timers[name] = setTimeout(() => {
      timers[name] = null;
      fn();
    }, ms);
  }

  function open() {
    let ws;
    try {
      ws = new deps.WebSocket(deps.url());
    } catch (err) {
      // A malformed URL: retrying would fail the same way.
      log.error("DFSignals: cannot open the websocket:", err);
      setState("closed");
      return;
    }
    socket = ws;
    lastHeard = now();
    watch(ws);
    ws.onopen = () => {
      if (ws !== socket) return;
      lastHeard = now();
      const reconnected = hasOpened;
      hasOpened = true;
      setState("open");
      startTimer("stable", timing.stableAfter, () => backoff.reset());
      startTimer("heartbeat", timing.heartbeatInterval, beat);
      deps.onOpen({ reconnected });
    };
    ws.onmessage = (event) => {
      if (ws !== socket) return;
      lastHeard = now();
      if (typeof event.data !== "string") {
        log.warn("DFSignals: ignored a binary frame");
      } else if (event.data !== HEARTBEAT) {
        deps.onText(event.data);
      }
    };
    ws.onclose = (event) => {
      if (ws === socket) lost(event.code);
    };
    setState("connecting");
  }

  /** Sends a heartbeat now and schedules the next one. */
  function beat() {
    send(HEARTBEAT);
    startTimer("heartbeat", timing.heartbeatInterval, beat);
  }

  /**
   * Closes `ws` once nothing, not even a heartbeat echo, came from it for `deadAfter` ms: a
   * socket can die without a close event (a laptop waking up, a NAT forgetting the flow).
   * @param {WebSocket} ws
   */
  function watch(ws) {
    const silence = now() - lastHeard;
    if (silence < timing.deadAfter) {
      startTimer("watchdog", timing.deadAfter - silence, () => watch(ws));
      return;
    }
    log.warn(`DFSignals: no frame for ${silence} ms, reconnecting`);
    // The close handshake of a dead socket may never end: stop listening to it at once.
    lost(SILENT_CLOSE_CODE);
    try {
      ws.close(SILENT_CLOSE_CODE, "no frame received");
    } catch {
      // Closing is best effort: the socket is abandoned either way.
    }
  }

  /**
   * Forgets the current socket and schedules the next attempt.
   * @param {number} code the close code
   */
  function lost(code) {
    socket = null;
    for (const name of Object.keys(timers)) stopTimer(/** @type {keyof typeof timers} */ (name));
    refused = reconnectAfter(code) === "stay-away";
    const delay = backoff.next(refused ? timing.refusedDelay : 0);
    startTimer("retry", delay, open);
    setState("closed");
    deps.onClose(code);
  }

  /**
   * Sends `text` if the socket is open.
   * @param {string} text
   * @returns {boolean} false when it was not sent (not open, or the socket refused it)
   */
  function send(text) {
    if (socket === null || socket.readyState !== OPEN) return false;
    try {
      socket.send(text);
      return true;
    } catch (err) {
      log.warn("DFSignals: send failed:", err);
      return false;
    }
  }

  return {
    /** @returns {State} */
    get state() {
      return state;
    },

    /** Opens the first socket; later calls do nothing. */
    start() {
      if (started) return;
      started = true;
      open();
    },

    /**
     * Opens a socket now instead of at the end of the current wait, e.g. because the
     * network came back. Does nothing unless waiting to retry, nor during the long wait
     * after close codes 1002, 1007, 1008 and 1009: the server asked this window to stay
     * away, and the network coming back does not change its mind.
     */
    retryNow() {
      if (timers.retry === null || refused) return;
      stopTimer("retry");
      open();
    },

    send,
  };
}
