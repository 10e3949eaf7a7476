/**
 * One benchmark window: a real client of the bundled JS library (`createClient`, as a page
 * runs it), on its own cuttable network link, with page handlers that record what they are
 * called with. Nothing here judges the results: `tally.js` compares the records with what
 * each window was sent.
 */
import { createClient } from "../../js-client/src/client.js";
import { createLink } from "./flaky-network.js";

/** The signal every measured trigger carries; its opts are `{seq}`. */
export const TICK = "jitter.tick";
/** The signal sent before measuring, until every window has received one. */
export const WARMUP = "jitter.warmup";
const RESYNC = "df.resync";

/**
 * @typedef {object} Receipt one call of the page's `jitter.tick` handler
 * @property {number} seq the trigger's sequence number (its opts)
 * @property {number} at when the handler ran (ms, the harness clock)
 * @property {boolean} replayed whether it came between a reconnected socket's `open` and
 *   its `df.resync`: with history on, part of the replay
 */

/**
 * @typedef {object} Resync one `df.resync` dispatched after a reconnection
 * @property {boolean} recovered what the client said
 * @property {number} afterOpen ms from the reconnected socket's `open` to the dispatch
 */

/**
 * @typedef {object} BenchWindow
 * @property {number} index 0 to N-1
 * @property {import("./flaky-network.js").Link} link
 * @property {import("../../js-client/src/types.js").DFSignalsClient} client
 * @property {Map<string, Receipt>} receipts first call per signal_id
 * @property {number} duplicates handler calls for a signal_id already seen
 * @property {number} outOfOrder calls whose seq is below the highest seq seen before
 * @property {number} warmups warm-up signals received
 * @property {Resync[]} resyncs
 * @property {number} opens sockets that opened
 * @property {number[]} gaps ms from each loss of an open socket to the next socket's open
 * @property {boolean} awaitingResync a reconnected socket opened and `df.resync` has not
 *   been dispatched since
 * @property {number} warnings console.warn/error calls of the client
 * @property {() => void} dispose stops the client for good (cuts the link, clears its timers)
 */

/**
 * Creates a window and connects it.
 * @param {object} options
 * @param {number} options.index
 * @param {string} options.url the websocket URL, without the key
 * @param {string | null} options.key the window key (null: the target has no windows)
 * @param {() => number} options.now the harness clock (ms)
 * @param {(signal: string) => void} [options.onSignal] called with the name of every
 *   `jitter.tick` and `jitter.warmup` received, after recording it
 * @returns {BenchWindow}
 */
export function openWindow({ index, url, key, now, onSignal }) {
  const link = createLink(now);
  const timers = createTimers();
  let maxSeq = -1;
  let lastOpenAt = 0;
  let lostAt = -1;

  /** @type {BenchWindow} */
  const window = {
    index,
    link,
    client: /** @type {any} */ (null),
    receipts: new Map(),
    duplicates: 0,
    outOfOrder: 0,
    warmups: 0,
    resyncs: [],
    opens: 0,
    gaps: [],
    awaitingResync: false,
    warnings: 0,
    dispose() {
      link.shutDown();
      timers.stop();
    },
  };

  const quiet = () => {
    window.warnings += 1;
  };
  const client = createClient({
    WebSocket: link.WebSocket,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    now,
    random: Math.random,
    console: { info: () => {}, warn: quiet, error: quiet },
    // Not a page: `configure` below gives the endpoint.
    document: { querySelector: () => null, cookie: "" },
  });
  window.client = client;

  client.onStateChange((state) => {
    if (state === "closed" && lostAt < 0 && window.opens > 0) lostAt = now();
    if (state !== "open") return;
    window.opens += 1;
    lastOpenAt = now();
    if (lostAt >= 0) window.gaps.push(lastOpenAt - lostAt);
    lostAt = -1;
    // The first socket has nothing to recover; every later one ends with `df.resync`.
    window.awaitingResync = window.opens > 1;
  });
  client.connect(RESYNC, (opts) => {
    if (!window.awaitingResync) return;
    window.awaitingResync = false;
    window.resyncs.push({ recovered: opts.recovered === true, afterOpen: now() - lastOpenAt });
  });
  client.connect(WARMUP, () => {
    window.warmups += 1;
    onSignal?.(WARMUP);
  });
  client.connect(TICK, (opts, signalId) => {
    const seq = Number(opts.seq);
    const id = String(signalId);
    if (window.receipts.has(id)) {
      window.duplicates += 1;
    } else {
      window.receipts.set(id, { seq, at: now(), replayed: window.awaitingResync });
    }
    if (seq < maxSeq) window.outOfOrder += 1;
    maxSeq = Math.max(maxSeq, seq);
    onSignal?.(TICK);
  });

  client.configure(key === null ? { url } : { url, key });
  client.start();
  return window;
}

/**
 * The timers a client is given: Node's, remembered so that they can all be cleared when the
 * window is disposed (the client itself has no stop).
 */
function createTimers() {
  /** @type {Set<NodeJS.Timeout>} */
  const pending = new Set();
  let stopped = false;
  return {
    /**
     * @param {() => void} fn
     * @param {number} ms
     */
    setTimeout(fn, ms) {
      if (stopped) return null;
      const timer = setTimeout(() => {
        pending.delete(timer);
        fn();
      }, ms);
      pending.add(timer);
      return timer;
    },
    /** @param {unknown} timer */
    clearTimeout(timer) {
      const t = /** @type {NodeJS.Timeout} */ (timer);
      pending.delete(t);
      clearTimeout(t);
    },
    stop() {
      stopped = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}
