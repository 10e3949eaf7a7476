#!/usr/bin/env node
/**
 * The jitter benchmark's entry point (`node bench/jitter/jitter.js --help`): runs each target
 * in turn, prints the tables, writes the JSON results file, and with `--check` exits 1
 * unless history-on Switchboard delivered everything exactly once and in order while
 * history-off Switchboard showed the losses that make the comparison meaningful. Progress
 * goes to stderr, the tables to stdout.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { checkFailures } from "./checks.js";
import { USAGE, parseOptions } from "./options.js";
import { formatTables, resultsDocument } from "./report.js";
import { runTarget } from "./run.js";

/** @param {string} text */
const out = (text) => process.stdout.write(`${text}\n`);
/** @param {string} text */
const progress = (text) => process.stderr.write(`[jitter ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : err}\n\n${USAGE}`);
    return 2;
  }
  if (options === null) {
    out(USAGE);
    return 0;
  }
  const { run } = options;
  const started = new Date().toISOString();
  progress(
    `${run.windows} windows, ${run.rate} triggers/s for ${run.durationMs / 1000} s, each socket cut every ` +
      `${run.cutEveryMs / 1000} s for ${run.offlineMs / 1000} s; targets: ${options.targets.join(", ")}`,
  );

  /** @type {Array<import("./run.js").TargetResult | import("./report.js").FailedTarget>} */
  const results = [];
  for (const name of options.targets) {
    try {
      results.push(await runTarget(name, run, progress));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      progress(`${name}: failed: ${message}`);
      results.push({ name, error: message });
    }
  }

  const failures = options.check ? checkFailures(results) : [];
  out("");
  out(formatTables(results));
  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(resultsDocument({ started, options, results, checkFailures: failures }), null, 2)}\n`);
  out(`\nresults: ${path.relative(process.cwd(), options.out) || options.out}`);

  if (options.check) {
    if (failures.length > 0) {
      out("\nCHECK FAILED:");
      for (const failure of failures) out(`  - ${failure}`);
      return 1;
    }
    const lossCheck = options.targets.includes("switchboard-nohistory") ? "; switchboard-nohistory lost some" : "";
    out(`check passed: switchboard delivered 100.00%, once each, in order${lossCheck}`);
  }
  return results.some((r) => "error" in r) ? 1 : 0;
}

// Exit explicitly: the disposed clients leave nothing running, but a server's closing
// socket could otherwise keep the process waiting.
main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : err}\n`);
    process.exit(1);
  },
);
