/**
 * Counting a run: what each window was sent (every trigger the server accepted, by its
 * addressing) against what its page handlers were called with, and the figures of the
 * report (delivery, duplicates, order, reconnections, replay and delivery latency).
 */
import { reaches } from "./plan.js";

/**
 * One trigger sent during the measurement.
 * @typedef {object} TriggerRecord
 * @property {number} seq 0, 1, 2, … in sending order (triggers are sent one at a time)
 * @property {string} kind the addressing's kind
 * @property {import("./plan.js").Audience} audience
 * @property {string | null} signalId null when the server refused it
 * @property {string | null} error why it was refused
 * @property {number} sentAt when the request was sent (ms, harness clock)
 * @property {number} lag ms it was sent after its planned time (the previous one was slow)
 */

/**
 * For each window, the `signal_id`s it must receive: every accepted trigger addressed to it.
 * @param {TriggerRecord[]} triggers
 * @param {number} windows N
 * @returns {Set<string>[]}
 */
export function expectations(triggers, windows) {
  const accepted = triggers.filter((t) => t.signalId !== null);
  return Array.from({ length: windows }, (_, index) => {
    const ids = accepted.filter((t) => reaches(t.audience, index)).map((t) => /** @type {string} */ (t.signalId));
    return new Set(ids);
  });
}

/**
 * @param {import("./window.js").BenchWindow} window
 * @param {Set<string>} expected
 * @returns {number} how many expected signals it has not received
 */
export function missing(window, expected) {
  let count = 0;
  for (const id of expected) if (!window.receipts.has(id)) count += 1;
  return count;
}

/**
 * Percentiles by nearest rank over every sample, to the microsecond.
 * @param {number[]} samples
 * @returns {{count: number, p50: number | null, p99: number | null, max: number | null}}
 */
export function distribution(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  /** @param {number} q */
  const rank = (q) => {
    if (sorted.length === 0) return null;
    const value = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
    return Math.round(value * 1000) / 1000;
  };
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: rank(1) };
}

/**
 * @typedef {object} Tally
 * @property {number} windows
 * @property {number} triggers sent
 * @property {number} triggerErrors refused by the server (not expected anywhere)
 * @property {number} triggerLagMaxMs the latest a trigger left after its planned time
 * @property {number} expected deliveries: Σ over windows of the triggers addressed to it
 * @property {number} received of those, the ones its handler was called for
 * @property {number} lost expected − received
 * @property {number} deliveredPercent received ÷ expected × 100
 * @property {number} windowsWithLoss
 * @property {number} duplicates handler calls for a signal_id the window had already seen
 * @property {number} outOfOrder handler calls whose seq is below one the window saw before
 * @property {number} unexpected signals received that were not addressed to the window
 * @property {number} replayed receipts between a reconnected socket's open and its
 *   `df.resync` (with history: the replay)
 * @property {number} cuts sockets cut by the harness (one per scheduled cut)
 * @property {number} reconnects the clients' own count (`stats().reconnects`)
 * @property {number} recoveries `stats().recoveries`: `df.resync` with recovered true
 * @property {number} recoveryFailures `stats().recoveryFailures`
 * @property {number} attemptsWhileOffline connection attempts that failed at once, offline
 * @property {number} clientWarnings console.warn/error calls of the clients
 * @property {ReturnType<typeof distribution>} offlineMs from the loss of an open socket to
 *   the next open (the cut's downtime plus the client's backoff)
 * @property {ReturnType<typeof distribution>} replayMs from a reconnected socket's open to
 *   `df.resync` with recovered true
 * @property {ReturnType<typeof distribution>} deliveryMs from a trigger's send to the
 *   handler call, every first receipt (replayed ones include the time offline)
 * @property {LossSample[]} lossSample the first windows with a loss, to see why
 */

/**
 * One window that missed something, as the results file shows it.
 * @typedef {object} LossSample
 * @property {number} window its index
 * @property {number[]} missedSeqs the seq of every trigger addressed to it and not received
 * @property {number} reconnects
 * @property {number[]} offlineMs its gaps without a socket
 * @property {Array<{recovered: boolean, afterOpen: number}>} resyncs
 */

/** How many windows with a loss the results file describes. */
const LOSS_SAMPLE = 10;

/**
 * @param {import("./window.js").BenchWindow[]} windows
 * @param {TriggerRecord[]} triggers
 * @returns {Tally}
 */
export function tally(windows, triggers) {
  const wanted = expectations(triggers, windows.length);
  const sentAt = new Map(triggers.map((t) => [t.signalId, t.sentAt]));
  const seqOf = new Map(triggers.map((t) => [t.signalId, t.seq]));
  let expected = 0;
  let received = 0;
  let windowsWithLoss = 0;
  let unexpected = 0;
  /** @type {number[]} */
  const delivery = [];
  /** @type {number[]} */
  const replay = [];
  /** @type {LossSample[]} */
  const lossSample = [];
  const sum = (/** @type {(w: import("./window.js").BenchWindow) => number} */ pick) =>
    windows.reduce((total, w) => total + pick(w), 0);

  windows.forEach((window, index) => {
    const ids = wanted[index];
    expected += ids.size;
    const got = ids.size - missing(window, ids);
    received += got;
    if (got < ids.size) {
      windowsWithLoss += 1;
      if (lossSample.length < LOSS_SAMPLE) {
        lossSample.push({
          window: index,
          missedSeqs: [...ids].filter((id) => !window.receipts.has(id)).map((id) => Number(seqOf.get(id))),
          reconnects: window.client.stats().reconnects,
          offlineMs: window.gaps.map((ms) => Math.round(ms)),
          resyncs: window.resyncs.map((r) => ({ recovered: r.recovered, afterOpen: Math.round(r.afterOpen * 10) / 10 })),
        });
      }
    }
    for (const [id, receipt] of window.receipts) {
      if (!ids.has(id)) unexpected += 1;
      const sent = sentAt.get(id);
      if (sent !== undefined) delivery.push(receipt.at - sent);
    }
    for (const resync of window.resyncs) if (resync.recovered) replay.push(resync.afterOpen);
  });

  return {
    windows: windows.length,
    triggers: triggers.length,
    triggerErrors: triggers.filter((t) => t.signalId === null).length,
    triggerLagMaxMs: Math.round(Math.max(0, ...triggers.map((t) => t.lag))),
    expected,
    received,
    lost: expected - received,
    deliveredPercent: expected === 0 ? 0 : (received / expected) * 100,
    windowsWithLoss,
    duplicates: sum((w) => w.duplicates),
    outOfOrder: sum((w) => w.outOfOrder),
    unexpected,
    replayed: sum((w) => [...w.receipts.values()].filter((r) => r.replayed).length),
    cuts: sum((w) => w.link.counters().cuts),
    reconnects: sum((w) => w.client.stats().reconnects),
    recoveries: sum((w) => w.client.stats().recoveries),
    recoveryFailures: sum((w) => w.client.stats().recoveryFailures),
    attemptsWhileOffline: sum((w) => w.link.counters().failedWhileDown),
    clientWarnings: sum((w) => w.warnings),
    offlineMs: distribution(windows.flatMap((w) => w.gaps)),
    replayMs: distribution(replay),
    deliveryMs: distribution(delivery),
    lossSample,
  };
}
