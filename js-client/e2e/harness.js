// Shared lifecycle of the browser tests: a real Switchboard server (a child process serving
// the demo) and Debian's headless Chromium driven by playwright-core, plus small helpers to
// open demo pages, wait for conditions and trigger signals through the HTTP API.
//
// Every server started here is killed when its suite ends, and again (SIGKILL) if the test
// process exits or is interrupted first: no test leaves a server running.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The server binary: `SWITCHBOARD_BIN`, else the debug build of the repository. */
export const SERVER_BIN = process.env.SWITCHBOARD_BIN || path.join(REPO, "target", "debug", "switchboard");

/** Debian's Chromium; playwright-core never downloads a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** `redis-server`: `REDIS_SERVER`, else the first on `PATH`. */
export const REDIS_SERVER = process.env.REDIS_SERVER || "redis-server";

/** Time limits (ms) of the waits below. */
export const TIMEOUT = {
  /** the server printing its address */
  serverStart: 20_000,
  /** the server exiting after SIGTERM, before SIGKILL */
  serverStop: 10_000,
  /** a page loading and its socket opening */
  open: 10_000,
  /** a signal or a UI update arriving */
  signal: 5_000,
  /** a DOM change of a signal the page has already handled (see `settle`) */
  settled: 1_000,
};

/** Children still running, killed on exit whatever happens. */
const children = new Set();

function killChildren() {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
  children.clear();
}

process.once("exit", killChildren);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killChildren();
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

/** A fresh 32-character API key. */
export function newApiKey() {
  return randomBytes(16).toString("hex");
}

/**
 * The environment of a server: ours, without any `SWITCHBOARD_*` setting that could change
 * what the tests expect (the command line says everything).
 */
function serverEnv() {
  const env = { NO_COLOR: "1" };
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("SWITCHBOARD_")) env[name] = value;
  }
  return env;
}

/**
 * A running server process.
 * @typedef {object} Server
 * @property {string} baseURL e.g. http://127.0.0.1:41234
 * @property {number} port
 * @property {string} apiKey
 * @property {string[]} args the options it was started with beyond `--bind`, `--demo` and
 *   `--api-key`, to restart it alike
 * @property {import("node:child_process").ChildProcess} child
 * @property {() => string} logs the process's recent output, for failure messages
 * @property {Promise<{code: number | null, signal: string | null}>} exited settles when the
 *   process ends
 * @property {() => Promise<void>} stop SIGTERM, then SIGKILL if it does not exit in time
 */

/**
 * Starts one server process and waits for `listening on http://ADDR`.
 * @param {{port: number, apiKey: string, args: string[]}} options
 * @returns {Promise<Server>}
 */
function spawnServer({ port, apiKey, args: extraArgs }) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`no server binary at ${SERVER_BIN}: run \`cargo build\` or set SWITCHBOARD_BIN`);
  }
  const args = ["serve", "--bind", `127.0.0.1:${port}`, "--demo", "--api-key", apiKey, ...extraArgs];
  const child = spawn(SERVER_BIN, args, { env: serverEnv(), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const lines = [];
  const remember = (line) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
  };
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  createInterface({ input: child.stderr }).on("line", remember);
  const stdout = createInterface({ input: child.stdout });
  const logs = () => lines.join("\n");

  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not print its address within ${TIMEOUT.serverStart} ms\n${logs()}`));
    }, TIMEOUT.serverStart);
    stdout.on("line", (line) => {
      remember(line);
      const match = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`the server exited (${signal ?? code}) before listening\n${logs()}`), { logs: logs() }));
    });
  });

  return ready.then((baseURL) => ({
    baseURL,
    port: Number(new URL(baseURL).port),
    apiKey,
    args: extraArgs,
    child,
    logs,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT.serverStop);
        await exited;
        clearTimeout(timer);
      }
    },
  }));
}

/**
 * Starts a server serving the demo, with the HTTP API enabled.
 *
 * With a `port`, binds exactly that port, retrying for a few seconds while the old listener's
 * port is still taken (a restart on the same address). `args` are more `switchboard serve`
 * options, e.g. `["--history-size", "2"]`.
 * @param {{port?: number, apiKey?: string, args?: string[]}} [options]
 * @returns {Promise<Server>}
 */
export async function startServer({ port = 0, apiKey = newApiKey(), args = [] } = {}) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await spawnServer({ port, apiKey, args });
    } catch (err) {
      const busy = /address already in use|AddrInUse|os error 98/i.test(err.logs ?? "");
      if (port === 0 || !busy || Date.now() > deadline) throw err;
      await delay(100);
    }
  }
}

/**
 * Launches headless Chromium. Fails loudly when it cannot start: the browser tests are never
 * skipped.
 * @returns {Promise<import("playwright-core").Browser>}
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium (or \`make deps\`)`);
  }
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 30_000,
    });
  } catch (err) {
    throw new Error(`Chromium at ${CHROMIUM} could not start: the browser tests cannot run\n${err.message}`, {
      cause: err,
    });
  }
}

/**
 * One test file's server and browser. `context()` opens a browser context (a separate
 * cookie jar: another demo user); everything is closed by `close()`.
 */
export class Suite {
  /** @type {Server} */
  server;
  /** @type {import("playwright-core").Browser} */
  browser;
  /** Errors thrown by page scripts, with the page's URL. */
  pageErrors = [];
  /** Extra servers to stop on close (restarts). */
  #servers = new Set();

  /**
   * @param {{args?: string[], apiKey?: string}} [options] more `switchboard serve` options
   *   for the server, and its API key (a fresh one by default; give one to start more nodes
   *   with the same key)
   * @returns {Promise<Suite>} a started server and browser
   */
  static async start({ args = [], apiKey = newApiKey() } = {}) {
    const suite = new Suite();
    const [server, browser] = await Promise.allSettled([startServer({ args, apiKey }), launchBrowser()]);
    if (server.status === "fulfilled") suite.adopt(server.value);
    if (browser.status === "fulfilled") suite.browser = browser.value;
    const failure = [server, browser].find((r) => r.status === "rejected");
    if (failure) {
      await suite.close();
      throw failure.reason;
    }
    return suite;
  }

  /** @param {Server} server the suite's current server, stopped on close */
  adopt(server) {
    this.server = server;
    this.#servers.add(server);
  }

  get baseURL() {
    return this.server.baseURL;
  }

  /**
   * A new browser context on the server (its own cookies: another demo user).
   * @returns {Promise<import("playwright-core").BrowserContext>}
   */
  async context() {
    const context = await this.browser.newContext({ baseURL: this.baseURL });
    context.setDefaultTimeout(TIMEOUT.signal);
    context.on("page", (page) => this.watch(page));
    return context;
  }

  /** @param {import("playwright-core").Page} page */
  watch(page) {
    page.on("pageerror", (err) => this.pageErrors.push(`${page.url()}: ${err.message}`));
  }

  async close() {
    try {
      await this.browser?.close();
    } finally {
      await Promise.all([...this.#servers].map((s) => s.stop()));
    }
  }
}

/**
 * Waits until the page's client reports `open`.
 * @param {import("playwright-core").Page} page
 * @param {number} [timeout]
 */
export async function waitOpen(page, timeout = TIMEOUT.open) {
  await page.waitForFunction(() => window.DFSignals?.state === "open", null, { timeout });
}

/**
 * Opens `pathname` in a new tab of `context` and waits for its socket to open.
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} [pathname]
 * @returns {Promise<import("playwright-core").Page>}
 */
export async function openPage(context, pathname = "/") {
  const page = await context.newPage();
  await page.goto(pathname, { timeout: TIMEOUT.open });
  await waitOpen(page);
  return page;
}

/**
 * Opens the demo page and waits until it is settled: socket open, its user known
 * (`demo.whoami` answered) and the lobby joined (the composer is enabled).
 * @param {import("playwright-core").BrowserContext} context
 * @returns {Promise<import("playwright-core").Page>}
 */
export async function openDemo(context) {
  const page = await openPage(context, "/");
  await page.waitForFunction(
    () =>
      document.getElementById("me-detail")?.textContent.startsWith("User id ") &&
      document.getElementById("room-title")?.textContent === "# lobby" &&
      !document.getElementById("composer-input").disabled,
    null,
    { timeout: TIMEOUT.open },
  );
  return page;
}

/**
 * The page's window key, from its `df-window-key` meta tag.
 * @param {import("playwright-core").Page} page
 * @returns {Promise<string>}
 */
export async function windowKey(page) {
  const key = await page.locator('meta[name="df-window-key"]').getAttribute("content");
  assert.match(key ?? "", /^[a-z0-9]{32}$/, "the page carries a 32-character window key");
  return key;
}

/**
 * Triggers a signal through the HTTP API (`POST /api/v1/trigger`) and checks the 202.
 * @param {Server} server
 * @param {string} signal
 * @param {object} opts
 * @param {unknown[]} to destinations, e.g. `[{window: key}]`
 * @returns {Promise<{signal_id: string}>}
 */
export async function trigger(server, signal, opts, to) {
  const response = await fetch(`${server.baseURL}/api/v1/trigger`, {
    method: "POST",
    headers: { Authorization: `Bearer ${server.apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ signal, opts, to }),
  });
  const text = await response.text();
  assert.equal(response.status, 202, `POST /api/v1/trigger ${signal}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/**
 * Triggers a signal to one page's window.
 * @param {Server} server
 * @param {import("playwright-core").Page} page
 * @param {string} signal
 * @param {object} opts
 */
export async function triggerToPage(server, page, signal, opts) {
  return trigger(server, signal, opts, [{ window: await windowKey(page) }]);
}

/**
 * Waits until the page has handled every signal triggered to it so far through the HTTP API:
 * triggers the test's own marker signal `e2e.mark` to the page and waits for it. Triggers
 * from one sender to one window arrive in the order they were sent (PROTOCOL.md §5), so once
 * the marker is there, the signals before it have been dispatched to their handlers.
 * @param {Server} server
 * @param {import("playwright-core").Page} page
 */
export async function settle(server, page) {
  const token = randomBytes(8).toString("hex");
  await page.evaluate(() => {
    if (window.__e2eMarks) return;
    window.__e2eMarks = [];
    window.DFSignals.connect("e2e.mark", (opts) => window.__e2eMarks.push(opts.token));
  });
  await triggerToPage(server, page, "e2e.mark", { token });
  await waitFor(page, (t) => window.__e2eMarks.includes(t), token, {
    message: "the page receives the marker signal triggered after the signals under test",
  });
}

/**
 * Triggers a signal to one page's window, then waits until the page has handled it.
 * @param {Server} server
 * @param {import("playwright-core").Page} page
 * @param {string} signal
 * @param {object} opts
 */
export async function triggerAndSettle(server, page, signal, opts) {
  await triggerToPage(server, page, signal, opts);
  await settle(server, page);
}

/**
 * A round trip over the page's socket (`demo.add`): once it resolves, every signal the
 * server queued for this window before answering has been handled by the page.
 * @param {import("playwright-core").Page} page
 */
export async function roundTrip(page) {
  const sum = await page.evaluate(() => window.DFSignals.request("demo.add", { a: 20, b: 22 }, { timeout: 5000 }));
  assert.equal(sum, 42);
}

/**
 * Waits until `fn(arg)` is truthy in the page; on timeout, fails with `describe()`'s
 * result, which says what the page shows instead.
 * @template A
 * @param {import("playwright-core").Page} page
 * @param {(arg: A) => unknown} fn
 * @param {A} arg
 * @param {{timeout?: number, message: string, describe?: () => Promise<string>}} options
 */
export async function waitFor(page, fn, arg, { timeout = TIMEOUT.signal, message, describe }) {
  try {
    await page.waitForFunction(fn, arg, { timeout });
  } catch (err) {
    const detail = describe ? await describe().catch((e) => `(could not describe: ${e.message})`) : err.message;
    assert.fail(`${message} (within ${timeout} ms)\n${detail}`);
  }
}

/**
 * Reads the Prometheus text of `/metrics` and returns the value of a sample, or 0.
 * @param {Server} server
 * @param {string} sample the sample's name and labels, e.g. `x_total{code="y"}`
 */
export async function metric(server, sample) {
  const response = await fetch(`${server.baseURL}/metrics`);
  assert.equal(response.status, 200, "GET /metrics");
  const text = await response.text();
  for (const line of text.split("\n")) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return 0;
}

/**
 * Waits until `check()` (run in Node) resolves truthy, polling every 50 ms.
 * @param {() => Promise<unknown>} check
 * @param {{timeout?: number, message: string, describe?: () => Promise<string>}} options
 */
export async function until(check, { timeout = TIMEOUT.signal, message, describe }) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const detail = describe ? await describe().catch((e) => `(could not describe: ${e.message})`) : "";
      assert.fail(`${message} (within ${timeout} ms)\n${detail}`);
    }
    await delay(50);
  }
}

/**
 * A private `redis-server`.
 * @typedef {object} Redis
 * @property {number} port
 * @property {string} url `redis://127.0.0.1:PORT/`, for `switchboard serve --redis`
 * @property {() => string} logs its recent output, for failure messages
 * @property {() => Promise<void>} stop SIGTERM, then SIGKILL if it does not exit in time
 */

/**
 * Whether something on `127.0.0.1:port` answers `PING` with `+PONG`.
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function redisPong(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

/**
 * A port of 127.0.0.1 nobody listens on now, below the usual ephemeral range (32768-60999)
 * so that no outgoing connection takes it meanwhile.
 * @returns {Promise<number>}
 */
async function freeRedisPort() {
  for (;;) {
    const port = 20_000 + randomBytes(2).readUInt16LE(0) % 12_000;
    const free = await new Promise((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/**
 * Starts `redis-server` on `port` (no persistence) and waits until it answers PING.
 * @param {number} port
 * @returns {Promise<Redis>}
 */
async function spawnRedis(port) {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", os.tmpdir()];
  const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const lines = [];
  const remember = (line) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
  };
  createInterface({ input: child.stdout }).on("line", remember);
  createInterface({ input: child.stderr }).on("line", remember);
  const logs = () => lines.join("\n");
  let failure = null;
  const exited = new Promise((resolve) => {
    child.once("error", (err) => {
      failure = err;
      children.delete(child);
      resolve({ code: null, signal: null });
    });
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  let gone = false;
  exited.then(() => (gone = true));
  const stop = async () => {
    if (!gone && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT.serverStop);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + TIMEOUT.serverStart;
  while (!(await redisPong(port))) {
    if (gone) {
      if (failure?.code === "ENOENT") {
        throw new Error(`${REDIS_SERVER} not found: apt-get install redis-server, or set REDIS_SERVER`);
      }
      throw new Error(`redis-server on port ${port} exited before answering PING\n${failure?.message ?? logs()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${port} did not answer PING within ${TIMEOUT.serverStart} ms\n${logs()}`);
    }
    await delay(20);
  }
  if (gone) throw new Error(`redis-server on port ${port} exited: another process answers there\n${logs()}`);
  return { port, url: `redis://127.0.0.1:${port}/`, logs, stop };
}

/**
 * Starts a private, empty `redis-server` on a free port of 127.0.0.1 and waits until it
 * answers PING. Killed with the servers if the test process ends first; fails (never skips)
 * when `redis-server` is missing.
 * @returns {Promise<Redis>}
 */
export async function startRedis() {
  const failures = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await spawnRedis(await freeRedisPort());
    } catch (err) {
      if (/not found/.test(err.message)) throw err;
      failures.push(err.message);
    }
  }
  throw new Error(`redis-server did not start:\n${failures.join("\n")}`);
}

/**
 * An init script (`context.addInitScript(recordCloseCodes)`) that records the close code of
 * every websocket the page opens, in order, in `window.__wsCloseCodes`.
 */
export function recordCloseCodes() {
  const NativeWebSocket = window.WebSocket;
  window.__wsCloseCodes = [];
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("close", (event) => window.__wsCloseCodes.push(event.code));
    }
  };
}
