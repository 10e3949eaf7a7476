/**
 * The run's output: two plain-text tables (delivery; reconnections and latency), one row per
 * target, and the JSON results document with every figure, the options and the machine.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";

/**
 * A target that could not be measured.
 * @typedef {{name: string, error: string}} FailedTarget
 */

/** @param {number} n */
const count = (n) => n.toLocaleString("en-US");

/** @param {number | null} ms */
const millis = (ms) => (ms === null ? "—" : ms >= 100 ? count(Math.round(ms)) : ms.toFixed(1));

/**
 * The delivered share, truncated (not rounded) to two decimals, so that `100.00%` means
 * that nothing at all was lost.
 * @param {import("./tally.js").Tally} t
 */
export function deliveredText(t) {
  if (t.expected === 0) return "—";
  if (t.received === t.expected) return "100.00%";
  return `${(Math.floor(t.deliveredPercent * 100) / 100).toFixed(2)}%`;
}

/**
 * @param {string[]} headers
 * @param {string[][]} rows
 * @returns {string} aligned columns: the first to the left, the others to the right
 */
function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  /** @param {string[]} cells */
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * @param {Array<import("./run.js").TargetResult | FailedTarget>} results
 * @returns {string} the tables and notes for stdout
 */
export function formatTables(results) {
  const measured = /** @type {import("./run.js").TargetResult[]} */ (results.filter((r) => !("error" in r)));
  const delivery = table(
    ["target", "windows", "triggers", "expected", "received", "delivered", "lost", "windows w/ loss", "duplicates", "out of order", "unexpected"],
    measured.map(({ name, tally: t }) => [
      name,
      count(t.windows),
      count(t.triggers),
      count(t.expected),
      count(t.received),
      deliveredText(t),
      count(t.lost),
      count(t.windowsWithLoss),
      count(t.duplicates),
      count(t.outOfOrder),
      count(t.unexpected),
    ]),
  );
  const reconnections = table(
    ["target", "cuts", "reconnects", "offline p50 ms", "offline p99 ms", "recoveries", "recovery failures", "replayed", "replay p50 ms", "replay p99 ms", "delivery p50 ms", "delivery p99 ms", "final wait s", "server RSS MiB"],
    measured.map(({ name, tally: t, finalWait, serverRssKib }) => [
      name,
      count(t.cuts),
      count(t.reconnects),
      millis(t.offlineMs.p50),
      millis(t.offlineMs.p99),
      count(t.recoveries),
      count(t.recoveryFailures),
      count(t.replayed),
      millis(t.replayMs.p50),
      millis(t.replayMs.p99),
      millis(t.deliveryMs.p50),
      millis(t.deliveryMs.p99),
      `${(finalWait.ms / 1000).toFixed(1)}${finalWait.timedOut ? " (timed out)" : ""}`,
      serverRssKib === null ? "—" : (serverRssKib / 1024).toFixed(1),
    ]),
  );
  const notes = [];
  for (const r of results) {
    if ("error" in r) {
      notes.push(`${r.name}: NOT MEASURED: ${r.error}`);
      continue;
    }
    const t = r.tally;
    if (t.triggerErrors > 0) notes.push(`${r.name}: ${t.triggerErrors} triggers refused by the server`);
    if (r.finalWait.timedOut) {
      notes.push(`${r.name}: the final wait timed out (${r.finalWait.notOpen} windows not open, ${r.finalWait.recovering} awaiting df.resync)`);
    }
    if (t.clientWarnings > 0) notes.push(`${r.name}: the clients logged ${t.clientWarnings} warnings or errors`);
    if (t.triggerLagMaxMs > 250) notes.push(`${r.name}: a trigger left up to ${Math.round(t.triggerLagMaxMs)} ms late`);
  }
  return [
    "Delivery (over every window: received ÷ addressed to it)",
    "",
    delivery,
    "",
    "Reconnections and latency (offline: socket lost → next socket open, the cut's downtime plus",
    "the client's backoff; replay: reconnected socket open → df.resync {recovered: true};",
    "delivery: trigger sent → page handler, replayed signals included)",
    "",
    reconnections,
    ...(notes.length > 0 ? ["", ...notes] : []),
  ].join("\n");
}

/**
 * The JSON results document.
 * @param {object} options
 * @param {string} options.started ISO time
 * @param {import("./options.js").Options} options.options
 * @param {Array<import("./run.js").TargetResult | FailedTarget>} options.results
 * @param {string[]} options.checkFailures empty when the checks passed or were not asked
 */
export function resultsDocument({ started, options, results, checkFailures }) {
  return {
    benchmark: "jitter",
    started,
    git: gitState(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      kernel: os.release(),
      node: process.version,
    },
    options: { targets: options.targets, smoke: options.smoke, check: options.check, ...options.run },
    results,
    checks: options.check ? { passed: checkFailures.length === 0, failures: checkFailures } : null,
  };
}

/** @returns {{commit: string | null, dirty: boolean | null}} read-only look at the checkout */
function gitState() {
  try {
    const git = (/** @type {string[]} */ ...args) => execFileSync("git", args, { encoding: "utf8" }).trim();
    return { commit: git("rev-parse", "--short", "HEAD"), dirty: git("status", "--porcelain") !== "" };
  } catch {
    return { commit: null, dirty: null };
  }
}
