/**
 * Tests the package as it is published (`make js-pack`, `npm run pack-test`): `npm pack`
 * (whose `prepack` builds dist/), a check of the tarball's file list, then a scratch project
 * that installs the tarball, offline, and uses it as a user would:
 * - imports the ES module `switchboard-client` in Node, with a stand-in page, and checks its
 *   exports: the client, SignalError, the code tables;
 * - runs the classic script `switchboard-client/global`, resolved through the package's
 *   `exports`, in a `node:vm` context standing in for a window, which must get `DFSignals`;
 * - type-checks a TypeScript file against the published declarations with this package's tsc,
 *   under `bundler` and `nodenext` module resolution, without skipLibCheck.
 * Exits non-zero at the first failure. The scratch folder is removed unless KEEP_PACK_TEST=1.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { name, version } = JSON.parse(await readFile(path.join(root, "package.json"), "utf8"));
const expectedFiles = [
  "README.md",
  "dist/global.d.ts",
  "dist/switchboard.d.ts",
  "dist/switchboard.js",
  "dist/switchboard.mjs",
  "package.json",
];

/**
 * Runs a command, failing with its output when it fails.
 * @param {string} cwd
 * @param {string} command
 * @param {string[]} args
 * @returns {string} its standard output
 */
function run(cwd, command, args) {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const { stdout, stderr } = /** @type {{stdout?: string, stderr?: string}} */ (err);
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}${stderr ?? ""}`, { cause: err });
  }
}

/**
 * @param {string} output `npm pack --json` output, after whatever the lifecycle scripts printed
 * @returns {{filename: string, files: Array<{path: string}>}}
 */
function packInfo(output) {
  const [info] = JSON.parse(output.slice(output.indexOf("[")));
  return info;
}

// Imports the ES module. It creates the page's client at import time, so a stand-in page
// comes first: a document still loading (the client starts once it is ready, which here it
// never is, so no socket is opened).
const ESM_CHECK = `
import assert from "node:assert/strict";
const listeners = [];
globalThis.document = {
  readyState: "loading",
  cookie: "",
  querySelector: () => null,
  addEventListener: (type) => listeners.push(type),
};
globalThis.WebSocket = class { constructor() { throw new Error("no socket expected"); } };
const pkg = await import("switchboard-client");
const { DFSignals, SignalError, ErrorCode, CloseCode, CLOSE_CODES, reconnectAfter } = pkg;
assert.equal(pkg.default, DFSignals);
for (const method of ["connect", "disconnect", "call", "request", "onStateChange", "stats", "configure", "start"]) {
  assert.equal(typeof DFSignals[method], "function", method);
}
assert.ok(Object.isFrozen(DFSignals));
assert.equal(DFSignals.state, "closed");
assert.ok(listeners.includes("DOMContentLoaded"), "starts once the DOM is ready");

const error = new SignalError(ErrorCode.FORBIDDEN, "join the room first");
assert.ok(error instanceof Error);
assert.deepEqual([error.name, error.code, error.message], ["SignalError", "forbidden", "join the room first"]);
assert.equal(ErrorCode.TIMEOUT, "timeout");
assert.equal(ErrorCode.DISCONNECTED, "disconnected");
assert.equal(CloseCode.POLICY_VIOLATION, 1008);
assert.deepEqual(CLOSE_CODES.filter((row) => row.reconnect === "stay-away").map((row) => row.code), [1002, 1007, 1008, 1009]);
assert.equal(reconnectAfter(1013), "backoff");

// Offline, a call waits in the queue; a request for an invalid name fails with bad_frame.
let heard = null;
DFSignals.connect("pack.test", (opts) => { heard = opts; });
assert.equal(DFSignals.call("pack.test", { n: 1 }), false);
assert.deepEqual(heard, { n: 1 });
assert.equal(DFSignals.stats().queued, 1);
await assert.rejects(DFSignals.request("not a name"), (err) => err instanceof SignalError && err.code === ErrorCode.BAD_FRAME);
console.log("ok: import from \\"switchboard-client\\" (ES module)");
`;

// Runs the classic script, found through the package's exports, as a page would.
const CLASSIC_CHECK = `
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
const file = fileURLToPath(import.meta.resolve("switchboard-client/global"));
assert.equal(createRequire(import.meta.url).resolve("switchboard-client/global"), file);
assert.match(file, /switchboard\\.js$/);
const window = new EventTarget();
const context = vm.createContext({
  document: { readyState: "loading", cookie: "", querySelector: () => null, addEventListener: () => {} },
  WebSocket: class {},
  console,
  performance: { now: () => 0 },
  setTimeout: () => 0,
  clearTimeout: () => {},
  CustomEvent,
  addEventListener: window.addEventListener.bind(window),
  dispatchEvent: window.dispatchEvent.bind(window),
});
assert.equal(context.DFSignals, undefined);
vm.runInContext(readFileSync(file, "utf8"), context, { filename: file });
const { DFSignals } = context;
assert.equal(typeof DFSignals, "object", "window.DFSignals is set");
for (const method of ["connect", "disconnect", "call", "request", "onStateChange", "stats", "configure", "start"]) {
  assert.equal(typeof DFSignals[method], "function", method);
}
assert.equal(DFSignals.state, "closed");
console.log("ok: switchboard-client/global (classic script) sets window.DFSignals");
`;

// Uses the published types as a TypeScript user would; each @ts-expect-error must be needed.
const TS_CHECK = `
import DFSignals, { CloseCode, ErrorCode, SignalError } from "switchboard-client";
import type { ConnectionState, SignalErrorCode, Stats } from "switchboard-client";
import "switchboard-client/global";

const state: ConnectionState = DFSignals.state;
const stats: Stats = window.DFSignals.stats();
DFSignals.connect("html.add_class", (opts) => console.log(opts.class_name, state, stats.queued));
DFSignals.request<number>("demo.add", { a: 1 }, { timeout: 100 }).catch((err: unknown) => {
  if (err instanceof SignalError && err.code === ErrorCode.RATE_LIMITED) {
    const code: SignalErrorCode = err.code;
    console.log(code, CloseCode.TRY_AGAIN_LATER);
  }
});
window.addEventListener("dfsignals:state", (event) => console.log(event.detail.state));
// @ts-expect-error: the client is read-only
DFSignals.state = "open";
// @ts-expect-error: a built-in's handler gets its documented arguments
DFSignals.connect("html.add_class", (opts) => opts.className);
`;

const scratch = await mkdtemp(path.join(tmpdir(), "switchboard-pack-"));
try {
  // The tarball, built by `prepack`; and what a dry run would publish.
  const packed = packInfo(run(root, "npm", ["pack", "--json", "--pack-destination", scratch]));
  assert.equal(packed.filename, `${name}-${version}.tgz`);
  assert.deepEqual(packed.files.map((f) => f.path).sort(), expectedFiles, "files in the tarball");
  const dryRun = packInfo(run(root, "npm", ["pack", "--dry-run", "--json", "--ignore-scripts"]));
  assert.deepEqual(dryRun.files.map((f) => f.path).sort(), expectedFiles, "files of `npm pack --dry-run`");
  // The package ships what the server serves.
  for (const file of ["switchboard.js", "switchboard.mjs", "switchboard.d.ts"]) {
    const shipped = await readFile(path.join(root, "dist", file), "utf8");
    assert.equal(shipped, await readFile(path.join(root, "..", "static", file), "utf8"), `dist/${file} is static/${file}`);
  }

  // A scratch project with the tarball installed: no dependencies, so no registry needed.
  await writeFile(
    path.join(scratch, "package.json"),
    JSON.stringify({ name: "pack-test", version: "1.0.0", private: true, type: "module" }, null, 2),
  );
  run(scratch, "npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-package-lock", `./${packed.filename}`]);

  await writeFile(path.join(scratch, "esm.mjs"), ESM_CHECK);
  process.stdout.write(run(scratch, process.execPath, ["esm.mjs"]));
  await writeFile(path.join(scratch, "classic.mjs"), CLASSIC_CHECK);
  process.stdout.write(run(scratch, process.execPath, ["classic.mjs"]));

  await writeFile(path.join(scratch, "usage.ts"), TS_CHECK);
  const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");
  for (const resolution of ["bundler", "nodenext"]) {
    const module = resolution === "bundler" ? "es2022" : "nodenext";
    run(scratch, process.execPath, [
      tsc, "--noEmit", "--strict", "--skipLibCheck", "false",
      "--target", "es2022", "--lib", "es2022,dom", "--module", module, "--moduleResolution", resolution,
      "usage.ts",
    ]);
    process.stdout.write(`ok: the published declarations type-check (moduleResolution ${resolution})\n`);
  }
  process.stdout.write(`ok: ${packed.filename} (${expectedFiles.length} files) installs and works as published\n`);
} finally {
  if (process.env.KEEP_PACK_TEST === "1") process.stdout.write(`scratch project kept in ${scratch}\n`);
  else await rm(scratch, { recursive: true, force: true });
}
