/**
 * One target's run, start to end: start the server, open N windows and wait until every one
 * receives signals, then send triggers at a steady rate while each window's socket is cut
 * on its own schedule, wait for the windows to come back and catch up, count, stop.
 */
import { setTimeout as delay } from "node:timers/promises";
import { cutTimes } from "./plan.js";
import { residentKib } from "./processes.js";
import { seededRandom } from "./random.js";
import { expectations, missing, tally } from "./tally.js";
import { startTarget } from "./targets.js";
import { TICK, WARMUP, openWindow } from "./window.js";

/** ms without a warm-up arriving before the next one is sent (or the measurement starts). */
const WARMUP_EVERY = 500;
/** ms between two looks at the windows while waiting. */
const POLL = 100;

/**
 * @typedef {object} RunOptions
 * @property {number} windows N
 * @property {number} durationMs how long triggers are sent (and sockets cut)
 * @property {number} rate triggers per second
 * @property {number} cutEveryMs period of each window's cuts
 * @property {number} offlineMs how long a cut keeps a window's network down
 * @property {number} finalWaitMs longest wait after the last trigger
 * @property {number} quietMs a final wait also ends once every window is connected and no
 *   delivery came for this long (targets that cannot catch up)
 * @property {number} warmupTimeoutMs longest wait for every window to be connected
 * @property {number} seed of the cut schedule
 * @property {import("./targets.js").TargetOptions} target
 */

/**
 * @typedef {object} FinalWait
 * @property {number} ms how long it took
 * @property {boolean} timedOut it ended at `finalWaitMs`, not because the windows settled
 * @property {number} notOpen windows without an open socket at its end
 * @property {number} recovering windows whose reconnected socket had not dispatched
 *   `df.resync` yet at its end
 */

/**
 * @typedef {object} TargetResult
 * @property {string} name
 * @property {string} description how the server was started
 * @property {{ms: number, triggers: number}} warmup
 * @property {FinalWait} finalWait
 * @property {number | null} serverRssKib at the end, before the windows close
 * @property {import("./tally.js").Tally} tally
 * @property {Record<string, number>} triggersByKind
 */

/**
 * @param {string} name the target
 * @param {RunOptions} options
 * @param {(line: string) => void} progress
 * @returns {Promise<TargetResult>}
 */
export async function runTarget(name, options, progress) {
  const now = () => performance.now();
  const target = await startTarget(name, options.target);
  /** @type {import("./window.js").BenchWindow[]} */
  let windows = [];
  try {
    progress(`${name}: started (pid ${target.pid}), opening ${options.windows} windows`);
    const keys = await target.windowKeys(options.windows);
    /** When the last signal of each kind reached a handler (harness clock). */
    const last = { [TICK]: now(), [WARMUP]: now() };
    /** @param {string} signal */
    const onSignal = (signal) => {
      last[signal] = now();
    };
    windows = keys.map((key, index) => openWindow({ index, url: target.wsUrl, key, now, onSignal }));
    const warmup = await warmUp(target, windows, options.warmupTimeoutMs, () => last[WARMUP]);
    progress(`${name}: every window connected and receiving (${warmup.ms} ms); measuring`);

    const start = now();
    scheduleCuts(windows, start, options);
    const triggers = await sendTriggers(target, options, start);
    await delay(Math.max(0, start + options.durationMs - now()));
    progress(`${name}: ${triggers.length} triggers sent; waiting for the windows to settle`);

    const wanted = expectations(triggers, windows.length);
    const finalWait = await settle(windows, wanted, options, () => last[TICK]);
    const serverRssKib = residentKib(target.pid);
    /** @type {Record<string, number>} */
    const triggersByKind = {};
    for (const t of triggers) triggersByKind[t.kind] = (triggersByKind[t.kind] ?? 0) + 1;
    return {
      name,
      description: target.description,
      warmup,
      finalWait,
      serverRssKib,
      tally: tally(windows, triggers),
      triggersByKind,
    };
  } finally {
    for (const window of windows) window.dispose();
    await target.stop();
  }
}

/**
 * Sends warm-up triggers (not counted) until every window has an open socket and has
 * received one, so that the measurement starts with every window in its topics; then waits
 * until none has arrived for a while, so that no backlog of them delays the measured ones.
 * A warm-up is sent only once the previous one stopped arriving: a slow server is not
 * buried under them while windows connect.
 * @param {import("./targets.js").Target} target
 * @param {import("./window.js").BenchWindow[]} windows
 * @param {number} timeoutMs
 * @param {() => number} lastWarmup when the last warm-up reached a handler
 * @returns {Promise<{ms: number, triggers: number}>}
 */
async function warmUp(target, windows, timeoutMs, lastWarmup) {
  const started = performance.now();
  let triggers = 0;
  let sentAt = -Infinity;
  for (;;) {
    const now = performance.now();
    const waiting = windows.filter((w) => w.warmups === 0 || w.client.state !== "open").length;
    const quiet = now - Math.max(sentAt, lastWarmup()) >= WARMUP_EVERY;
    if (waiting === 0 && quiet) return { ms: Math.round(now - started), triggers };
    if (now - started > timeoutMs) {
      throw new Error(`${target.name}: ${waiting} of ${windows.length} windows not connected and receiving after ${timeoutMs} ms`);
    }
    if (waiting > 0 && quiet) {
      await target.trigger(WARMUP, {}, target.warmup);
      triggers += 1;
      sentAt = performance.now();
    }
    await delay(POLL);
  }
}

/**
 * Arms every window's cuts (cutTimes, from a generator seeded with `options.seed`).
 * @param {import("./window.js").BenchWindow[]} windows
 * @param {number} start the measurement's start (harness clock)
 * @param {RunOptions} options
 */
function scheduleCuts(windows, start, options) {
  const random = seededRandom(options.seed);
  for (const window of windows) {
    for (const at of cutTimes({ period: options.cutEveryMs, until: options.durationMs, random })) {
      const timer = setTimeout(() => window.link.cut(options.offlineMs), Math.max(0, start + at - performance.now()));
      timer.unref();
    }
  }
}

/**
 * Sends `rate × duration` triggers, one at a time (each after the previous one was
 * accepted, so that their order is the order of their sequence numbers), at planned times
 * `start + seq / rate`.
 * @param {import("./targets.js").Target} target
 * @param {RunOptions} options
 * @param {number} start
 * @returns {Promise<import("./tally.js").TriggerRecord[]>}
 */
async function sendTriggers(target, options, start) {
  const count = Math.round((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;
  /** @type {import("./tally.js").TriggerRecord[]} */
  const records = [];
  for (let seq = 0; seq < count; seq += 1) {
    const planned = start + seq * interval;
    await delay(Math.max(0, planned - performance.now()));
    const addressing = target.addressing(seq, options.windows);
    const sentAt = performance.now();
    /** @type {import("./tally.js").TriggerRecord} */
    const record = {
      seq,
      kind: addressing.kind,
      audience: addressing.audience,
      signalId: null,
      error: null,
      sentAt,
      lag: sentAt - planned,
    };
    try {
      record.signalId = await target.trigger(TICK, { seq }, addressing);
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
    records.push(record);
  }
  return records;
}

/**
 * Waits until every window has an open socket, no reconnected socket still awaits its
 * `df.resync`, and either every window has received everything addressed to it or no
 * delivery came for `quietMs`; at most `finalWaitMs`.
 * @param {import("./window.js").BenchWindow[]} windows
 * @param {Set<string>[]} wanted per window, what it must receive
 * @param {RunOptions} options
 * @param {() => number} lastDelivery when the last signal reached a handler
 * @returns {Promise<FinalWait>}
 */
async function settle(windows, wanted, options, lastDelivery) {
  const started = performance.now();
  for (;;) {
    const notOpen = windows.filter((w) => w.client.state !== "open").length;
    const recovering = windows.filter((w) => w.awaitingResync).length;
    const elapsed = performance.now() - started;
    if (notOpen === 0 && recovering === 0) {
      const caughtUp = windows.every((w, i) => missing(w, wanted[i]) === 0);
      if (caughtUp || performance.now() - lastDelivery() >= options.quietMs) {
        return { ms: Math.round(elapsed), timedOut: false, notOpen, recovering };
      }
    }
    if (elapsed >= options.finalWaitMs) return { ms: Math.round(elapsed), timedOut: true, notOpen, recovering };
    await delay(POLL);
  }
}
