/**
 * The server processes under test: starting one, waiting until it serves, reading its
 * resident memory, stopping it. Every process started here is killed if the benchmark
 * exits first, whatever the reason.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";

/** The last lines of output kept per process, to explain a failure. */
const KEPT_LINES = 40;
/** ms a process has to exit after SIGTERM, before SIGKILL. */
const STOP_GRACE = 15_000;

/** @type {Set<import("node:child_process").ChildProcess>} */
const running = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * @typedef {object} ServerProcess
 * @property {number} pid
 * @property {boolean} exited whether it has already ended
 * @property {(pattern: RegExp, ms: number) => Promise<RegExpMatchArray>} waitForLine the
 *   first output line (stdout or stderr, from the start) that matches
 * @property {() => Promise<void>} stop SIGTERM, then SIGKILL after a grace period
 * @property {() => string} recentOutput the last lines it wrote
 */

/**
 * Starts `command`, its output collected (not shown).
 * @param {string} name for error messages
 * @param {string} command
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} [env] added to this process's environment
 * @returns {ServerProcess}
 */
export function startProcess(name, command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  /** @type {string[]} */
  const lines = [];
  /** @type {Set<(line: string) => void>} */
  const watchers = new Set();
  let exited = false;
  /** @type {Promise<void>} */
  const exit = new Promise((resolve) => {
    const ended = () => {
      exited = true;
      running.delete(child);
      resolve();
    };
    child.on("exit", ended);
    child.on("error", (err) => {
      lines.push(`${name}: ${err.message}`);
      // No pid: it never started (ENOENT, EACCES), and may never report an exit.
      if (child.pid === undefined) ended();
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
      for (const watch of watchers) watch(line);
    });
  }
  const recentOutput = () => lines.join("\n");

  return {
    get pid() {
      return child.pid ?? 0;
    },
    get exited() {
      return exited;
    },
    waitForLine(pattern, ms) {
      const seen = lines.map((line) => line.match(pattern)).find((m) => m !== null);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        /** @param {string} line */
        const watch = (line) => {
          const match = line.match(pattern);
          if (match === null) return;
          done();
          resolve(match);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not print ${pattern} within ${ms} ms:\n${recentOutput()}`));
        }, ms);
        exit.then(() => {
          done();
          reject(new Error(`${name} exited (code ${child.exitCode}):\n${recentOutput()}`));
        });
        function done() {
          clearTimeout(timer);
          watchers.delete(watch);
        }
        watchers.add(watch);
      });
    },
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE);
      await exit;
      clearTimeout(timer);
    },
    recentOutput,
  };
}

/**
 * Waits until `url` answers 200 to a GET.
 * @param {string} url
 * @param {number} ms
 * @param {ServerProcess} server whose output explains a failure
 */
export async function waitForHttp(url, ms, server) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (server.exited) throw new Error(`the server exited before serving ${url}:\n${server.recentOutput()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  throw new Error(`${url} did not answer 200 within ${ms} ms:\n${server.recentOutput()}`);
}

/** @returns {Promise<number>} a TCP port of 127.0.0.1 that was free a moment ago */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param {number} pid
 * @returns {number | null} the process's resident memory (`VmRSS`), in KiB; null when it
 *   cannot be read (not Linux, process gone)
 */
export function residentKib(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = status.match(/^VmRSS:\s+(\d+)\s+kB$/m);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
