// ESLint flat config of the jitter benchmark: the JS client's rules (js-client/eslint.config.js),
// with Node's globals. Run with the client's ESLint (`npm run lint`, after `npm ci` in js-client/).
import base from "../../js-client/eslint.config.js";

/** The Node globals these files use (js-client's `globals` package is not resolvable from here). */
const NODE_GLOBALS = Object.fromEntries(
  ["process", "console", "setTimeout", "clearTimeout", "setImmediate", "performance", "fetch", "URL"].map((name) => [
    name,
    "readonly",
  ]),
);

export default [
  { ignores: ["node_modules/"] },
  ...base.filter((entry) => entry.files === undefined && entry.ignores === undefined),
  { files: ["**/*.js"], languageOptions: { globals: NODE_GLOBALS } },
];
