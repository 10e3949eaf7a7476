/**
 * The servers a run compares, each behind one interface: start it, get a websocket URL and
 * key per window, address and send a trigger (learning its `signal_id`), stop it.
 *
 * - `switchboard`: the Switchboard binary with its defaults (history on), the HTTP API on,
 *   and the per-address connection limits opened up (every window comes from 127.0.0.1).
 * - `switchboard-nohistory`: the same with `--history-size 0`.
 * - `channels-memory`: the Django Channels peer (bench/peers/channels/, daphne, in-memory
 *   layer). It has no windows, users or history: every socket is in one group, and a
 *   trigger is a df frame POSTed to /trigger, its `signal_id` made here.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { groupAddressing, switchboardAddressing, userOf } from "./plan.js";
import { freePort, startProcess, waitForHttp } from "./processes.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const API_KEY = "jitter-bench-api-key-0123456789";
/** ms a server has to start serving. */
const START_TIMEOUT = 60_000;
/** Registrations in flight at once. */
const REGISTER_CONCURRENCY = 16;

/** Every target this harness knows, in report order. */
export const TARGET_NAMES = Object.freeze(["switchboard", "switchboard-nohistory", "channels-memory"]);

/**
 * @typedef {object} Target
 * @property {string} name
 * @property {number} pid the server process, for its RSS
 * @property {string} description how it was started, for the results file
 * @property {string} wsUrl the websocket URL, without a key
 * @property {(count: number) => Promise<Array<string | null>>} windowKeys registers `count`
 *   windows (in topic `jitter` and each with a user of its own), one key each; null keys
 *   when the target has no registration
 * @property {(seq: number, windows: number) => import("./plan.js").Addressing} addressing
 *   of the measured trigger `seq`
 * @property {import("./plan.js").Addressing} warmup of the warm-up triggers: every window
 * @property {(signal: string, opts: object, addressing: import("./plan.js").Addressing) =>
 *   Promise<string>} trigger sends a signal and resolves with its `signal_id` once accepted
 * @property {() => Promise<void>} stop
 */

/**
 * @typedef {object} TargetOptions
 * @property {string} switchboardBin
 * @property {string} venv the virtualenv of the Django Channels peer
 */

/**
 * Starts target `name`.
 * @param {string} name one of TARGET_NAMES
 * @param {TargetOptions} options
 * @returns {Promise<Target>}
 */
export function startTarget(name, options) {
  switch (name) {
    case "switchboard":
      return startSwitchboard(name, options.switchboardBin, []);
    case "switchboard-nohistory":
      return startSwitchboard(name, options.switchboardBin, ["--history-size", "0"]);
    case "channels-memory":
      return startChannels(name, options.venv);
    default:
      throw new Error(`unknown target ${name} (known: ${TARGET_NAMES.join(", ")})`);
  }
}

/**
 * @param {string} name
 * @param {string} bin
 * @param {string[]} extraArgs
 * @returns {Promise<Target>}
 */
async function startSwitchboard(name, bin, extraArgs) {
  const args = [
    "serve",
    "--bind", "127.0.0.1:0",
    "--api-key", API_KEY,
    "--max-connections-per-ip", "0",
    "--connections-per-second-per-ip", "0",
    "--connection-burst-per-ip", "1000000",
    ...extraArgs,
  ];
  const server = startProcess(name, bin, args, { RUST_LOG: "warn" });
  const [, addr] = await stopOnFailure(server, server.waitForLine(/listening on http:\/\/(\S+)/, START_TIMEOUT));
  const api = `http://${addr}/api/v1`;
  const headers = { "content-type": "application/json", authorization: `Bearer ${API_KEY}` };

  /**
   * @param {string} route
   * @param {object} body
   */
  async function post(route, body) {
    const response = await fetch(`${api}${route}`, { method: "POST", headers, body: JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${name}: POST ${route} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  }

  return {
    name,
    pid: server.pid,
    description: `${bin} ${args.map((arg) => (arg === API_KEY ? "KEY" : arg)).join(" ")}`,
    wsUrl: `ws://${addr}/ws/`,
    async windowKeys(count) {
      return mapConcurrently(count, REGISTER_CONCURRENCY, async (i) => {
        const { window_key: key } = await post("/windows", { user: { id: userOf(i) }, topics: ["jitter"] });
        return String(key);
      });
    },
    addressing: switchboardAddressing,
    warmup: { kind: "topic", to: [{ topic: "jitter" }], audience: { all: true } },
    async trigger(signal, opts, addressing) {
      const { signal_id: id } = await post("/trigger", { signal, opts, to: addressing.to });
      return String(id);
    },
    stop: () => server.stop(),
  };
}

/**
 * @param {string} name
 * @param {string} venv
 * @returns {Promise<Target>}
 */
async function startChannels(name, venv) {
  const port = await freePort();
  const script = path.join(REPO, "bench", "peers", "channels", "run.sh");
  const server = startProcess(name, "bash", [script], { PORT: String(port), LAYER: "memory", VENV: venv });
  await stopOnFailure(server, waitForHttp(`http://127.0.0.1:${port}/stats`, START_TIMEOUT, server));
  return {
    name,
    pid: server.pid,
    description: `PORT=${port} LAYER=memory bench/peers/channels/run.sh (daphne, InMemoryChannelLayer)`,
    wsUrl: `ws://127.0.0.1:${port}/ws/`,
    windowKeys: async (count) => Array.from({ length: count }, () => null),
    addressing: groupAddressing,
    warmup: groupAddressing(),
    async trigger(signal, opts) {
      const id = randomUUID();
      const response = await fetch(`http://127.0.0.1:${port}/trigger`, {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: JSON.stringify({ signal, opts, signal_id: id }),
      });
      if (response.status !== 202) {
        throw new Error(`${name}: POST /trigger answered ${response.status}: ${await response.text()}`);
      }
      return id;
    },
    stop: () => server.stop(),
  };
}

/**
 * @template T
 * @param {import("./processes.js").ServerProcess} server
 * @param {Promise<T>} starting resolves once the server serves
 * @returns {Promise<T>} the same, after stopping the server if it failed
 */
async function stopOnFailure(server, starting) {
  try {
    return await starting;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/**
 * Runs `fn(0)` … `fn(count - 1)`, at most `limit` at once.
 * @template T
 * @param {number} count
 * @param {number} limit
 * @param {(i: number) => Promise<T>} fn
 * @returns {Promise<T[]>} the results, in index order
 */
async function mapConcurrently(count, limit, fn) {
  /** @type {T[]} */
  const results = new Array(count);
  let next = 0;
  async function worker() {
    while (next < count) {
      const i = next;
      next += 1;
      results[i] = await fn(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
