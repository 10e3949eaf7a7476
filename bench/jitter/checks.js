/**
 * What `--check` (and so the CI smoke run) demands of a run: Switchboard with history must
 * have delivered everything, once, in order; Switchboard without history must have lost
 * something, or the cuts did not bite and the run proves nothing.
 */
import { deliveredText } from "./report.js";

/**
 * @param {Array<import("./run.js").TargetResult | import("./report.js").FailedTarget>} results
 * @returns {string[]} one line per failed requirement; empty when all hold
 */
export function checkFailures(results) {
  const failures = [];
  const byName = new Map(results.map((r) => [r.name, r]));

  const history = byName.get("switchboard");
  if (history === undefined) {
    failures.push("switchboard (history on) was not run: nothing to check");
  } else if ("error" in history) {
    failures.push(`switchboard: not measured: ${history.error}`);
  } else {
    const t = history.tally;
    /** @type {Array<[boolean, string]>} */
    const rules = [
      [t.expected > 0 && t.received === t.expected, `delivered ${deliveredText(t)} (${t.lost} of ${t.expected} lost, in ${t.windowsWithLoss} windows), expected 100.00%`],
      [t.duplicates === 0, `${t.duplicates} duplicate deliveries, expected 0`],
      [t.outOfOrder === 0, `${t.outOfOrder} out-of-order deliveries, expected 0`],
      [t.unexpected === 0, `${t.unexpected} deliveries to windows they were not addressed to, expected 0`],
      [t.recoveryFailures === 0, `${t.recoveryFailures} recovery failures, expected 0`],
      [t.triggerErrors === 0, `${t.triggerErrors} triggers refused, expected 0`],
      [t.reconnects > 0, "no reconnection at all: the cuts did not happen"],
    ];
    for (const [ok, message] of rules) if (!ok) failures.push(`switchboard: ${message}`);
  }

  const noHistory = byName.get("switchboard-nohistory");
  if (noHistory !== undefined) {
    if ("error" in noHistory) {
      failures.push(`switchboard-nohistory: not measured: ${noHistory.error}`);
    } else if (noHistory.tally.lost === 0) {
      failures.push(
        "switchboard-nohistory: lost nothing although nothing can be recovered: the cuts " +
          `did not make any window miss a trigger (${noHistory.tally.reconnects} reconnects), ` +
          "so this run cannot tell recovery from luck",
      );
    }
  }
  return failures;
}
