/**
 * Builds the browser bundles into ../static/:
 * - switchboard.js, a classic script that sets `window.DFSignals` (from src/);
 * - switchboard.mjs, an ES module exporting `DFSignals` (default and named) and `SignalError`,
 *   which names its type declarations (`@ts-self-types`, read by Deno; TypeScript users point
 *   a `paths` entry or a `/// <reference>` at them);
 * - switchboard.d.ts, those declarations, copied from switchboard.d.ts;
 * - demo/demo.js, the demo page's script (from demo/), which uses `window.DFSignals`.
 *
 * The output depends only on the sources, package.json's version and the pinned esbuild (no
 * timestamps, no absolute paths, same bytes from any working directory), so CI can rebuild
 * and compare with the committed files (`npm run check-build`).
 */
import { copyFile, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const { version } = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));

/**
 * @param {string} what the bundle's description, for its banner
 * @param {string} from the sources' folder, for its banner
 */
const banner = (what, from) => ({
  js: `/* ${what} ${version}. Generated from js-client/${from} by \`npm run build\`: do not edit. */`,
});

/** @type {import("esbuild").BuildOptions} */
const common = {
  absWorkingDir: root,
  bundle: true,
  target: "es2021",
  charset: "utf8",
  legalComments: "none",
  logLevel: "warning",
};
const client = { ...common, banner: banner("Switchboard JS client", "src") };
const typed = { js: `${client.banner.js}\n// @ts-self-types="./switchboard.d.ts"` };

await Promise.all([
  build({ ...client, entryPoints: ["src/global.js"], format: "iife", outfile: "../static/switchboard.js" }),
  build({ ...client, banner: typed, entryPoints: ["src/browser.js"], format: "esm", outfile: "../static/switchboard.mjs" }),
  copyFile(new URL("../switchboard.d.ts", import.meta.url), new URL("../../static/switchboard.d.ts", import.meta.url)),
  build({
    ...common,
    banner: banner("Switchboard demo page", "demo"),
    entryPoints: ["demo/main.js"],
    format: "iife",
    outfile: "../static/demo/demo.js",
  }),
]);
