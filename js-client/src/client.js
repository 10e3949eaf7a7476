/**
 * The DFSignals API: local handlers, calls and requests to the server, and the connection
 * state, assembled from the other modules. Everything the outside world provides (WebSocket,
 * timers, clock, randomness, console, where to connect) is passed in, so tests can fake it.
 *
 * Recovery (PROTOCOL.md §5.6): the client keeps the position the server sends, raised by the
 * offsets of the signal frames, and resumes from it (`since`) on every later attempt; the
 * server replays what was missed before the connection's `position` frame.
 */
import { createConnection } from "./connection.js";
import { discoverEndpoint, discoverPosition, socketUrl, withQuery } from "./discovery.js";
import { createOutbox } from "./outbox.js";
import { createPosition, formatPosition, parsePosition, readPosition } from "./position.js";
import { encodeCall, parseFrame } from "./protocol.js";
import { createRecentIds } from "./recent-ids.js";
import { createRegistry } from "./registry.js";
import { createRequests } from "./requests.js";

/**
 * The local signal run when a connection is back, `{recovered}`: whether the server replayed
 * what was missed, or the page should fetch it.
 */
const RESYNC = "df.resync";

/** A URL that asks to resume: it carries a non-empty `since`. */
const RESUMING = /[?&]since=[^&#]/;

/** Timings (ms) and bounds used unless `createClient`'s `settings` say otherwise. */
const DEFAULTS = Object.freeze({
  heartbeatInterval: 30_000,
  deadAfter: 75_000,
  reconnectBase: 500,
  reconnectCap: 30_000,
  stableAfter: 5_000,
  refusedDelay: 60_000,
  requestTimeout: 10_000,
  queueLimit: 1_000,
  recentSignals: 1_000,
});

/**
 * @typedef {object} Environment
 * @property {new (url: string) => WebSocket} WebSocket
 * @property {(fn: () => void, ms: number) => unknown} setTimeout
 * @property {(timer: unknown) => void} clearTimeout
 * @property {() => number} now a clock in ms
 * @property {() => number} random uniform in [0, 1)
 * @property {Pick<Console, "info" | "warn" | "error">} console
 * @property {Pick<Document, "querySelector" | "cookie"> & Partial<Pick<Document,
 *   "addEventListener" | "visibilityState">>} document where the endpoint is read from (meta
 *   tags and cookies), once, at start; when it is an event target, its `visibilitychange`
 *   to visible ends a wait to reconnect
 * @property {EventTarget} [eventTarget] receives a `dfsignals:state` CustomEvent on every
 *   state change, and its `online` event ends a wait to reconnect (the window, in a browser)
 * @property {Partial<typeof DEFAULTS>} [settings]
 */

/**
 * Creates a client. Nothing happens before `start()`.
 * @param {Environment} env
 * @returns {import("./types.js").DFSignalsClient}
 */
export function createClient(env) {
  const log = env.console;
  const settings = { ...DEFAULTS, ...env.settings };
  /** @type {Partial<import("./discovery.js").Endpoint>} set by `configure` */
  const overrides = {};
  /** @type {import("./discovery.js").Endpoint | null} read from the page at start */
  let found = null;
  /** @type {Set<(state: import("./connection.js").State) => void>} */
  const stateListeners = new Set();
  let reconnects = 0;
  let recoveries = 0;
  let recoveryFailures = 0;
  const position = createPosition();
  // Whether the socket being opened asks to resume (its URL carries `since`), and, once it
  // is open, whether its `position` frame, which says if it did, is still to come.
  let resuming = false;
  let awaitingRecovery = false;

  const registry = createRegistry({
    onError: (name, err) => log.error(`DFSignals: a handler of "${name}" failed:`, err),
  });
  const recentSignals = createRecentIds(settings.recentSignals);
  const requests = createRequests(env);
  /** @type {ReturnType<typeof createOutbox<{frame: string, requestId?: string}>>} */
  const outbox = createOutbox({
    capacity: settings.queueLimit,
    onOverflow: (capacity) =>
      log.warn(`DFSignals: more than ${capacity} calls waiting for a connection, dropping the oldest`),
  });
  const connection = createConnection({
    ...env,
    timing: settings,
    url: () => {
      const { url, key } = endpoint();
      // `since=` (empty) still asks for a position frame: the start of what this client
      // could recover later (PROTOCOL.md §5.6).
      const since = position.current ? formatPosition(position.current) : "";
      const full = withQuery(socketUrl(/** @type {string} */ (url), key), "since", since);
      resuming = RESUMING.test(full);
      return full;
    },
    onOpen: ({ reconnected }) => {
      outbox.drain(transmit);
      if (reconnected) reconnects += 1;
      // A resuming connection runs `df.resync` when its `position` frame says whether it
      // recovered (not at all if the socket closes first: the next attempt resumes again).
      // Any other reconnection lost whatever was sent meanwhile.
      awaitingRecovery = resuming;
      if (reconnected && !resuming) resync(false);
    },
    onText: receive,
    onClose: () => requests.failSent(),
    onStateChange: announce,
  });

  /**
   * Runs `df.resync` locally, and counts it.
   * @param {boolean} recovered whether the server replayed everything missed
   */
  function resync(recovered) {
    if (recovered) recoveries += 1;
    else recoveryFailures += 1;
    registry.dispatch(RESYNC, { recovered });
  }

  /**
   * Takes the position the page gives (`configure`, the `df-ws-position` meta tag).
   * @param {unknown} value `E:N`, or `{epoch, offset}`
   */
  function resumeFrom(value) {
    const given = typeof value === "string" ? parsePosition(value) : readPosition(value);
    if (given === null) {
      log.warn("DFSignals: ignored a malformed position (expected \"EPOCH:OFFSET\"):", value);
    } else {
      position.set(given);
    }
  }

  /**
   * Sends a queued or new frame if the socket is open. A request that already ended (timed
   * out while queued) is dropped instead.
   * @param {{frame: string, requestId?: string}} item
   * @returns {boolean} false when the socket is not open
   */
  function transmit(item) {
    const { frame, requestId } = item;
    if (requestId !== undefined && !requests.isPending(requestId)) return true;
    if (!connection.send(frame)) return false;
    if (requestId !== undefined) requests.markSent(requestId);
    return true;
  }

  /** @param {{frame: string, requestId?: string}} item */
  function transmitOrQueue(item) {
    if (!transmit(item)) outbox.push(item);
  }

  /** @param {string} text a frame from the server */
  function receive(text) {
    let frame;
    try {
      frame = parseFrame(text);
    } catch {
      log.warn("DFSignals: ignored a frame that is not JSON:", text.slice(0, 200));
      return;
    }
    switch (frame.type) {
      case "signal":
        // A repeat raises the position too: its offset was sent to this window all the same.
        if (frame.offset !== null) position.raise(frame.offset);
        if (recentSignals.record(frame.signalId)) {
          registry.dispatch(frame.name, frame.opts, frame.signalId);
        }
        break;
      case "position":
        // Null: the server keeps no history, so there is nothing to resume from.
        position.set(frame.position);
        if (awaitingRecovery) {
          awaitingRecovery = false;
          // A position frame without `recovered` answers a `since` the server did not read.
          resync(frame.recovered === true);
        }
        break;
      case "invalid":
        log.warn(`DFSignals: ignored a malformed frame: ${frame.reason}`);
        break;
      case "reply":
        requests.settle(frame);
        break;
      case "error":
        log.warn(`DFSignals: the server refused a frame (${frame.error.code}): ${frame.error.message}`);
        break;
      default:
        // A kind of frame this client does not know: a newer server's extension, ignored.
        break;
    }
  }

  /** @param {import("./connection.js").State} state */
  function announce(state) {
    for (const listener of [...stateListeners]) {
      try {
        listener(state);
      } catch (err) {
        log.error("DFSignals: a state listener failed:", err);
      }
    }
    env.eventTarget?.dispatchEvent(new CustomEvent("dfsignals:state", { detail: { state } }));
  }

  /** @returns {import("./discovery.js").Endpoint} what `configure` set, else what the page says */
  function endpoint() {
    return { url: overrides.url ?? found?.url ?? null, key: overrides.key ?? found?.key ?? null };
  }

  /**
   * Retries at once, rather than at the end of the backoff delay, when the network comes
   * back or the page is shown again: the user is likely looking at it, and a background
   * tab's timers may have been slowed down.
   */
  function listenForWakeUps() {
    const { document } = env;
    env.eventTarget?.addEventListener("online", () => connection.retryNow());
    document.addEventListener?.("visibilitychange", () => {
      if (document.visibilityState === "visible") connection.retryNow();
    });
  }

  /** Opens the connection once started, if there is a URL to open. */
  function connectIfReady() {
    if (found === null) return;
    if (endpoint().url) {
      connection.start();
    } else {
      log.info("DFSignals: no websocket URL (df-ws-url meta tag or dfwsurl cookie), not connecting");
    }
  }

  return Object.freeze({
    /**
     * The connection state: `connecting`, `open`, or `closed` (no socket: waiting to retry,
     * or no URL to connect to).
     * @returns {import("./connection.js").State}
     */
    get state() {
      return connection.state;
    },

    /**
     * Registers a local handler, called as `fn(opts, signalId)` for local calls and for
     * signals from the server.
     * @param {string} name the signal name
     * @param {import("./registry.js").Handler} fn
     * @returns {() => void} unregisters this handler
     */
    connect(name, fn) {
      return registry.add(name, fn);
    },

    /**
     * Unregisters `fn` from `name`; without `fn`, every handler of `name`, the built-in
     * one included (to replace, say, `html.content` with a sanitising version).
     * @param {string} name
     * @param {import("./registry.js").Handler} [fn]
     */
    disconnect(name, fn) {
      registry.remove(name, fn);
    },

    /**
     * Runs the local handlers of `name` at once and sends the call to the server (queued
     * while disconnected). The server does not answer; use `request` for that.
     * @param {string} name the signal name
     * @param {object} [opts] JSON-serialisable options
     * @returns {false} so that `onclick="return DFSignals.call(...)"` cancels the default action
     */
    call(name, opts = {}) {
      registry.dispatch(name, opts);
      try {
        transmitOrQueue({ frame: encodeCall(name, opts) });
      } catch (err) {
        const error = /** @type {Error} */ (err);
        log.warn(`DFSignals: not sent: ${error.message}`);
      }
      return false;
    },

    /**
     * Calls the server handlers of `name` and waits for their result. Local handlers do not
     * run. While disconnected the call waits in the queue; its timeout runs from now.
     * @param {string} name the signal name
     * @param {object} [opts] JSON-serialisable options
     * @param {import("./types.js").RequestOptions} [options] `timeout` in ms (default 10 000)
     * @returns {Promise<any>} the handlers' result, of the type the caller names; rejects
     *   with a SignalError whose `code` is the server's error code, `timeout`, or
     *   `disconnected` (the connection closed after the call was sent)
     */
    request(name, opts = {}, { timeout = settings.requestTimeout } = {}) {
      const { id, promise } = requests.open(name, timeout);
      try {
        transmitOrQueue({ frame: encodeCall(name, opts, id), requestId: id });
      } catch (err) {
        // encodeCall throws only SignalErrors (code `bad_frame`).
        const error = /** @type {import("./errors.js").SignalError} */ (err);
        requests.settle({ type: "reply", id, ok: false, error });
      }
      return promise;
    },

    /**
     * Calls `fn(state)` on every state change.
     * @param {(state: import("./connection.js").State) => void} fn
     * @returns {() => void} stops calling it
     */
    onStateChange(fn) {
      if (typeof fn !== "function") throw new TypeError("a state listener must be a function");
      /** @param {import("./connection.js").State} state */
      const listener = (state) => fn(state);
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },

    /**
     * Counters, for a status page or a test: the state, the calls waiting for a connection,
     * the calls dropped because too many waited, the requests waiting for a reply, the
     * reconnections since the first connection, the position to resume from, and how many
     * connections recovered what was missed or could not.
     * @returns {import("./types.js").Stats}
     */
    stats() {
      const current = position.current;
      return {
        state: connection.state,
        queued: outbox.size,
        dropped: outbox.dropped,
        pendingRequests: requests.size,
        reconnects,
        position: current && { epoch: current.epoch, offset: current.offset },
        recoveries,
        recoveryFailures,
      };
    },

    /**
     * Sets the URL, window key and/or position to resume from instead of reading them from
     * the page. Call it before the DOM is ready; values given later are used from the next
     * connection attempt on.
     * @param {import("./types.js").ConfigureOptions} [options]
     */
    configure({ url, key, position: resumeAt } = {}) {
      if (url !== undefined) overrides.url = url;
      if (key !== undefined) overrides.key = key;
      if (resumeAt !== undefined) resumeFrom(resumeAt);
      connectIfReady();
    },

    /**
     * Reads the endpoint (and the position, unless `configure` gave one) from the page and
     * connects. Runs by itself once the DOM is ready; later calls do nothing.
     */
    start() {
      if (found !== null) return;
      found = discoverEndpoint(env.document);
      const pagePosition = discoverPosition(env.document);
      if (pagePosition !== null && position.current === null) resumeFrom(pagePosition);
      listenForWakeUps();
      connectIfReady();
    },
  });
}
