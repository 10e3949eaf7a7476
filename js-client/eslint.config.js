// ESLint flat config: the recommended rules plus a few that keep the code plain and explicit.
import js from "@eslint/js";
import globals from "globals";

export default [
  // The package's build output (npm run build), like ../static/.
  { ignores: ["dist/"] },
  js.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    rules: {
      "default-case-last": "error",
      "eqeqeq": "error",
      "no-console": "error",
      "no-implicit-coercion": "error",
      "no-shadow": "error",
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  { files: ["src/**/*.js", "demo/**/*.js"], languageOptions: { globals: globals.browser } },
  {
    files: ["scripts/**/*.js", "test/**/*.js", "eslint.config.js"],
    languageOptions: { globals: globals.node },
  },
  // Browser tests run in Node and hand functions to the page, which run there.
  { files: ["e2e/**/*.js"], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
];
