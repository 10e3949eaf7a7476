/**
 * The client's TypeScript declarations, generated from the JSDoc of src/: runs the project
 * of tsconfig.json (`allowJs`, `checkJs`, `strict`, `declaration`, `emitDeclarationOnly`)
 * in memory, failing on any type error, then joins the per-module declarations that the
 * entry point src/browser.js needs into one self-contained file, the `switchboard.d.ts` that
 * the server serves next to switchboard.mjs and that the package's `types` name.
 *
 * Joining is deliberately simple, and refuses what it does not handle rather than guessing:
 * every relative `import`/`export ... from` and `import("./x.js").Name` type between the
 * modules is dropped in favour of the one declaration of `Name`, which must be unique across
 * the joined modules; `export` modifiers are dropped and the entry's exports listed once at
 * the end. src/globals.d.ts, the `declare global` part that JSDoc cannot express, comes last.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = path.join(root, "src");

/**
 * @param {string} fileName a path under src/ (a source, or its emitted declarations)
 * @returns {string} the module's name: its path under src/ without extension, e.g. `types`
 */
function moduleName(fileName) {
  return path.relative(src, fileName).replace(/\\/g, "/").replace(/(\.d\.ts|\.js)$/, "");
}

/**
 * @param {string} from the importing module's name
 * @param {string} specifier e.g. `./types.js`
 * @returns {string} the imported module's name
 */
function resolve(from, specifier) {
  if (!specifier.startsWith("./") || !specifier.endsWith(".js")) {
    throw new Error(`${from}: only relative imports of .js modules are supported, not ${JSON.stringify(specifier)}`);
  }
  return path.posix.join(path.posix.dirname(from), specifier.slice(0, -".js".length));
}

/** @returns {Map<string, string>} each module's declarations, by module name */
function emitModules() {
  const configFile = path.join(root, "tsconfig.json");
  const config = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (!config) throw new Error(`cannot read ${configFile}`);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const diagnostics = [...config.errors, ...ts.getPreEmitDiagnostics(program)];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (/** @type {string} */ f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
    throw new Error(`type errors in src/:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
  const outDir = /** @type {string} */ (config.options.outDir);
  /** @type {Map<string, string>} */
  const modules = new Map();
  const result = program.emit(undefined, (fileName, text) => {
    modules.set(moduleName(path.join(src, path.relative(outDir, fileName))), text);
  }, undefined, true);
  if (result.emitSkipped) throw new Error("tsc emitted no declarations");
  // Declaration files among the sources are not emitted: take them as they are.
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile && !path.relative(src, file.fileName).startsWith("..")) {
      modules.set(moduleName(file.fileName), file.text);
    }
  }
  return modules;
}

/**
 * @typedef {object} Parsed
 * @property {string} name
 * @property {ts.SourceFile} file
 * @property {Array<{start: number, end: number, text: string}>} edits
 * @property {Set<string>} declared the names it declares at the top level
 * @property {Set<string>} exported the names it exports, its re-exports included
 * @property {Set<string>} deps the modules it refers to
 */

/**
 * Reads one module's declarations: what it declares, exports and refers to, and the edits
 * that make it a part of the joined file.
 * @param {string} name
 * @param {string} text
 * @param {boolean} isEntry
 * @returns {Parsed}
 */
function parse(name, text, isEntry) {
  const file = ts.createSourceFile(`${name}.d.ts`, text, ts.ScriptTarget.Latest, true);
  /** @type {Parsed} */
  const parsed = { name, file, edits: [], declared: new Set(), exported: new Set(), deps: new Set() };
  const fail = (/** @type {ts.Node} */ node, /** @type {string} */ why) => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart());
    throw new Error(`${name}.d.ts:${line + 1}: ${why}: ${node.getText()}`);
  };
  if (file.referencedFiles.length + file.typeReferenceDirectives.length + file.libReferenceDirectives.length > 0) {
    throw new Error(`${name}.d.ts: triple-slash references are not supported`);
  }
  const remove = (/** @type {ts.Node} */ node) => parsed.edits.push({ start: node.getFullStart(), end: node.getEnd(), text: "" });

  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      const from = resolve(name, /** @type {ts.StringLiteral} */ (statement.moduleSpecifier).text);
      parsed.deps.add(from);
      const bindings = statement.importClause?.namedBindings;
      if (statement.importClause?.name || (bindings && !ts.isNamedImports(bindings))) {
        fail(statement, "only named imports are supported");
      }
      for (const element of bindings && ts.isNamedImports(bindings) ? bindings.elements : []) {
        if (element.propertyName) fail(statement, "renamed imports are not supported");
      }
      remove(statement);
    } else if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (clause && !ts.isNamedExports(clause)) fail(statement, "`export * as` is not supported");
      for (const element of clause && ts.isNamedExports(clause) ? clause.elements : []) {
        if (element.propertyName) fail(statement, "renamed exports are not supported");
        parsed.exported.add(element.name.text);
      }
      if (statement.moduleSpecifier) {
        const from = resolve(name, /** @type {ts.StringLiteral} */ (statement.moduleSpecifier).text);
        parsed.deps.add(from);
        if (!clause) parsed.exported.add(`*${from}`);
      }
      remove(statement);
    } else if (ts.isExportAssignment(statement)) {
      if (!isEntry || statement.isExportEquals) fail(statement, "only the entry point may have `export default`");
    } else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name) && statement.name.text === "global") {
      // `declare global { ... }`: kept as it is.
    } else {
      const names = ts.isVariableStatement(statement)
        ? statement.declarationList.declarations.map((d) => d.name)
        : [/** @type {ts.DeclarationStatement} */ (statement).name];
      for (const id of names) {
        if (!id || !ts.isIdentifier(id)) fail(statement, "unsupported declaration");
        parsed.declared.add(/** @type {ts.Identifier} */ (id).text);
      }
      const modifiers = ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : [];
      const kinds = modifiers.map((modifier) => modifier.kind);
      if (kinds.includes(ts.SyntaxKind.DefaultKeyword)) fail(statement, "`export default` declarations are not supported");
      const exportKeyword = modifiers.find((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
      if (exportKeyword) {
        for (const id of names) parsed.exported.add(/** @type {ts.Identifier} */ (id).text);
        // Top-level values of a declaration file need `declare` once `export` goes; types do not.
        const isType = ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement);
        const replacement = isType || kinds.includes(ts.SyntaxKind.DeclareKeyword) ? "" : "declare ";
        parsed.edits.push({ start: exportKeyword.getStart(), end: exportKeyword.getEnd() + 1, text: replacement });
      }
    }
  }

  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (!ts.isLiteralTypeNode(argument) || !ts.isStringLiteral(argument.literal)) fail(node, "unsupported import type");
      const literal = /** @type {ts.StringLiteral} */ (/** @type {ts.LiteralTypeNode} */ (argument).literal);
      if (node.isTypeOf || !node.qualifier || !ts.isIdentifier(node.qualifier)) fail(node, "only `import(\"./x.js\").Name` is supported");
      parsed.deps.add(resolve(name, literal.text));
      const qualifier = /** @type {ts.Identifier} */ (node.qualifier);
      parsed.edits.push({ start: node.getStart(), end: qualifier.getStart(), text: "" });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return parsed;
}

/**
 * @param {Map<string, Parsed>} parsed
 * @param {string} name
 * @param {Set<string>} [seen]
 * @returns {Set<string>} the names `name` exports, with its `export *` resolved
 */
function exportsOf(parsed, name, seen = new Set()) {
  if (seen.has(name)) return new Set();
  seen.add(name);
  const names = new Set();
  for (const exported of /** @type {Parsed} */ (parsed.get(name)).exported) {
    if (exported.startsWith("*")) exportsOf(parsed, exported.slice(1), seen).forEach((n) => names.add(n));
    else names.add(exported);
  }
  return names;
}

/**
 * @param {Parsed} module
 * @returns {string} its text with the edits applied
 */
function applyEdits(module) {
  let text = module.file.text;
  const edits = [...module.edits].sort((a, b) => b.start - a.start);
  for (const { start, end, text: replacement } of edits) text = text.slice(0, start) + replacement + text.slice(end);
  return text.trim();
}

/**
 * @param {object} options
 * @param {string} options.header a comment for the top of the file
 * @param {string} [options.entry] the module whose exports the file exports
 * @param {string[]} [options.extra] modules appended whatever refers to them
 * @returns {string} the declarations, as one file
 */
export function declarations({ header, entry = "browser", extra = ["globals"] }) {
  const texts = emitModules();
  /** @type {Map<string, Parsed>} */
  const parsed = new Map();
  /** @type {string[]} */
  const order = [];
  /** @param {string} name */
  const visit = (name) => {
    if (parsed.has(name)) return;
    const text = texts.get(name);
    if (text === undefined) throw new Error(`no declarations for src/${name}`);
    const module = parse(name, text, name === entry);
    parsed.set(name, module);
    for (const dep of module.deps) visit(dep);
    order.push(name);
  };
  visit(entry);
  for (const name of extra) visit(name);

  /** @type {Map<string, string>} */
  const declaredBy = new Map();
  for (const name of order) {
    for (const declared of /** @type {Parsed} */ (parsed.get(name)).declared) {
      const other = declaredBy.get(declared);
      if (other !== undefined) throw new Error(`${declared} is declared by both src/${other} and src/${name}`);
      declaredBy.set(declared, name);
    }
  }
  const exported = [...exportsOf(parsed, entry)];
  for (const name of exported) {
    if (!declaredBy.has(name)) throw new Error(`src/${entry} exports ${name}, which no joined module declares`);
  }

  const parts = order.filter((name) => !extra.includes(name)).map((name) => applyEdits(/** @type {Parsed} */ (parsed.get(name))));
  const globals = extra.map((name) => applyEdits(/** @type {Parsed} */ (parsed.get(name))));
  const body = [header, ...parts, `export { ${exported.sort().join(", ")} };`, ...globals].filter((part) => part !== "").join("\n\n");
  return `${body.replace(/\n{3,}/g, "\n\n")}\n`;
}
