// What the client adds to the browser's global types: the one part of the declarations that
// JSDoc cannot express (a `declare global` augmentation), so it is written here in
// TypeScript and appended to the generated declarations by scripts/declarations.js.

declare global {
  interface Window {
    /** Set by the classic script (`static/switchboard.js`, `switchboard-client/global`). */
    DFSignals: import("./types.js").DFSignalsClient;
  }

  interface WindowEventMap {
    "dfsignals:state": CustomEvent<{ state: import("./types.js").ConnectionState }>;
  }

  interface DocumentEventMap {
    /** Dispatched, bubbling, on every element the `html.*` insertions add. */
    DOMContentAdded: Event;
  }

  interface ElementEventMap {
    DOMContentAdded: Event;
  }
}

export {};
