/**
 * Command-line options of the jitter benchmark, their defaults (the full run) and the
 * `--smoke` preset (the short CI run), which explicit options override.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { TARGET_NAMES } from "./targets.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export const USAGE = `Usage: node bench/jitter/jitter.js [options]

N windows of the bundled JS client (js-client/src/client.js) in one Node process; every
window's socket is cut without a close frame about every --cut-every seconds (random phase)
and its network kept down for --offline seconds, while triggers are sent at --rate per
second for --duration seconds. Counts, per target, what every window's handlers received
against what was addressed to it.

Options (durations in seconds; relative paths are from the repository root):
  --targets LIST        comma-separated, from ${TARGET_NAMES.join(", ")}
                        (default: all)
  --windows N           windows per target (default 1000)
  --duration S          how long triggers are sent and sockets cut (default 60)
  --rate R              triggers per second (default 2)
  --cut-every S         period of each window's cuts (default 15)
  --offline S           how long the network stays down after a cut (default 2)
  --final-wait S        longest wait after the last trigger for the windows to reconnect
                        and catch up (default 30)
  --quiet S             the final wait also ends once every window is connected and no
                        signal arrived for S (targets that cannot catch up) (default 2)
  --warmup-timeout S    longest wait for every window to connect (default 120)
  --seed N              seed of the cut schedule (default 1)
  --switchboard-bin P   the server binary (default target/release/switchboard)
  --venv DIR            virtualenv of the Django Channels peer (default target/bench-venv)
  --out FILE            JSON results (default bench/results/jitter.json)
  --check               exit 1 unless switchboard delivered 100.00% with no duplicate,
                        out-of-order or unexpected delivery and no recovery failure, and
                        switchboard-nohistory (when run) lost something
  --smoke               the CI preset: 200 windows, 10 s, one cut per window (every
                        10 s), targets
                        switchboard,switchboard-nohistory, target/debug/switchboard,
                        --out target/jitter-smoke.json, --check
  -h, --help            this text
`;

/** The defaults, in command-line units. */
const DEFAULTS = {
  targets: TARGET_NAMES.join(","),
  windows: "1000",
  duration: "60",
  rate: "2",
  "cut-every": "15",
  offline: "2",
  "final-wait": "30",
  quiet: "2",
  "warmup-timeout": "120",
  seed: "1",
  "switchboard-bin": "target/release/switchboard",
  venv: "target/bench-venv",
  out: "bench/results/jitter.json",
};

/** What `--smoke` changes. */
const SMOKE = {
  targets: "switchboard,switchboard-nohistory",
  windows: "200",
  duration: "10",
  "cut-every": "10",
  "switchboard-bin": "target/debug/switchboard",
  out: "target/jitter-smoke.json",
};

/**
 * @typedef {object} Options
 * @property {string[]} targets
 * @property {string} out
 * @property {boolean} check
 * @property {boolean} smoke
 * @property {import("./run.js").RunOptions} run
 */

/**
 * @param {string[]} argv the arguments after the script
 * @returns {Options | null} null when help was asked for
 */
export function parseOptions(argv) {
  const stringOptions = Object.fromEntries(Object.keys(DEFAULTS).map((name) => [name, { type: "string" }]));
  const { values } = parseArgs({
    args: argv,
    options: {
      ...stringOptions,
      check: { type: "boolean" },
      smoke: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return null;
  const smoke = values.smoke === true;
  /** @type {Record<string, string>} */
  const given = { ...DEFAULTS, ...(smoke ? SMOKE : {}) };
  for (const name of Object.keys(DEFAULTS)) {
    const value = values[name];
    if (typeof value === "string") given[name] = value;
  }

  const targets = given.targets.split(",").map((t) => t.trim()).filter((t) => t !== "");
  for (const target of targets) {
    if (!TARGET_NAMES.includes(target)) throw new Error(`--targets: unknown target ${target}`);
  }
  if (targets.length === 0) throw new Error("--targets: no target");
  const seconds = (/** @type {string} */ name) => Math.round(positive(name, given[name]) * 1000);
  return {
    targets,
    out: fromRepo(given.out),
    check: smoke || values.check === true,
    smoke,
    run: {
      windows: integer("windows", given.windows),
      durationMs: seconds("duration"),
      rate: positive("rate", given.rate),
      cutEveryMs: seconds("cut-every"),
      offlineMs: seconds("offline"),
      finalWaitMs: seconds("final-wait"),
      quietMs: seconds("quiet"),
      warmupTimeoutMs: seconds("warmup-timeout"),
      seed: integer("seed", given.seed),
      target: { switchboardBin: fromRepo(given["switchboard-bin"]), venv: fromRepo(given.venv) },
    },
  };
}

/**
 * @param {string} name
 * @param {string} text
 * @returns {number} a number above zero
 */
function positive(name, text) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a number above 0, not ${text}`);
  return value;
}

/**
 * @param {string} name
 * @param {string} text
 * @returns {number} a whole number above zero
 */
function integer(name, text) {
  const value = positive(name, text);
  if (!Number.isInteger(value)) throw new Error(`--${name}: expected a whole number, not ${text}`);
  return value;
}

/**
 * @param {string} file relative to the repository root, or absolute
 * @returns {string} absolute
 */
function fromRepo(file) {
  return path.resolve(REPO, file);
}
