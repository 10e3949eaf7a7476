/**
 * The public types of the client, as JSDoc: the DFSignals API, its options and results, the
 * built-in signals' arguments. There is no code here; the build turns these into the
 * package's TypeScript declarations (`tsc --declaration`, see scripts/declarations.js), and
 * the modules that implement the API are checked against them.
 */

/**
 * The connection state: `closed` means no socket (waiting to retry, or no URL).
 * @typedef {"connecting" | "open" | "closed"} ConnectionState
 */

/**
 * Options of a signal: a JSON object.
 * @typedef {Record<string, unknown>} SignalOptions
 */

/**
 * A local handler, run for local calls (`signalId` undefined) and for signals pushed by the
 * server (`signalId` is the server's `signal_id`).
 * @template {object} [Opts=any]
 * @typedef {(opts: Opts, signalId?: string) => void} SignalHandler
 */

/**
 * Options of `request`.
 * @typedef {object} RequestOptions
 * @property {number} [timeout] Milliseconds before the promise rejects with code `timeout`,
 *   from the call. Default 10 000.
 */

/**
 * A position in the server's history (PROTOCOL.md §5.6): the window has received every
 * trigger addressed to it up to `offset`, in the history named `epoch`. Written `E:N` in the
 * `df-ws-position` meta tag and the `since` query parameter.
 * @typedef {object} Position
 * @property {string} epoch Names the server's history; a new epoch means the history was lost.
 * @property {number} offset Counts the server's triggers (to every window): an integer, 0 or
 *   more, below 2^53.
 */

/**
 * What `stats()` returns.
 * @typedef {object} Stats
 * @property {ConnectionState} state The connection state.
 * @property {number} queued Calls and requests waiting for a connection.
 * @property {number} dropped Calls dropped, oldest first, because more than 1000 waited.
 * @property {number} pendingRequests Requests waiting for their reply.
 * @property {number} reconnects Connections opened after the first one.
 * @property {Position | null} position The position the next connection resumes from (a
 *   copy); null until the server sent one (or the page gave one), and while the server keeps
 *   no history.
 * @property {number} recoveries Connections on which the server replayed everything missed
 *   (`df.resync` with `{recovered: true}`).
 * @property {number} recoveryFailures Connections on which it could not, and reconnections
 *   without a position (`df.resync` with `{recovered: false}`).
 */

/**
 * Where to connect: the `url` and `key` of `ConfigureOptions`.
 * @typedef {object} Endpoint
 * @property {string} [url] The websocket URL, e.g. `wss://example.com/ws/`.
 * @property {string} [key] The window key, sent as `?dfwskey=`.
 */

/**
 * What `configure` sets: where to connect, and the position to resume from.
 * @typedef {object} ConfigureOptions
 * @property {string} [url] The websocket URL, e.g. `wss://example.com/ws/`.
 * @property {string} [key] The window key, sent as `?dfwskey=`.
 * @property {string | Position} [position] The position the page's state was loaded at,
 *   `"E:N"` or `{epoch, offset}`: the next connection (the first one, when given before the
 *   DOM is ready) asks the server to replay what came after it, and `df.resync` says whether
 *   it could. Overrides the `df-ws-position` meta tag.
 */

/**
 * Arguments of `df.resync`. The client runs it on a reconnection, and on a first connection
 * that resumes from a position the page gave: when the server's `position` frame says whether
 * it replayed what was missed, or at once when there was no position to resume from. The
 * server sends it too, with `{recovered: false}` (an older server: `{}`).
 * @typedef {object} ResyncOptions
 * @property {boolean} recovered True when the server replayed every signal missed meanwhile,
 *   so there is nothing to refetch; false when signals may have been missed: refetch state.
 */

/**
 * The levels of `df.notify`; any other shows as `info`.
 * @typedef {"info" | "success" | "warning" | "error"} NotifyLevel
 */

/**
 * Arguments of `df.notify`: a toast showing text only.
 * @typedef {object} NotifyOptions
 * @property {NotifyLevel | (string & {})} [level] The toast's colour; default `info`.
 * @property {string} [title] Shown first, when not empty.
 * @property {string} [message] The text.
 * @property {number} [timeout] Milliseconds before it goes by itself; 0 keeps it until
 *   dismissed. Default 5000.
 */

/**
 * A form field as `html.forms.set` sets it and `data-df-signal`'s `value` reads it.
 * @typedef {string | boolean | string[]} FieldValue
 */

/**
 * The arguments of the built-in signals, by name (df_websockets' names). `df.resync` is run
 * by the client itself, after reconnecting (see `ResyncOptions`).
 * @typedef {{
 *   "html.after": {selector: string, content: string},
 *   "html.append": {selector: string, content: string},
 *   "html.prepend": {selector: string, content: string},
 *   "html.before": {selector: string, content: string},
 *   "html.content": {selector: string, content: string},
 *   "html.replace_with": {selector: string, content: string},
 *   "html.text": {selector: string, content: string},
 *   "html.empty": {selector: string},
 *   "html.remove": {selector: string},
 *   "html.focus": {selector: string},
 *   "html.add_class": {selector: string, class_name: string},
 *   "html.remove_class": {selector: string, class_name: string},
 *   "html.add_attribute": {selector: string, attr_name: string, attr_value: string},
 *   "html.remove_attr": {selector: string, attr_name: string},
 *   "html.boolean_attribute": {selector: string, name: string, value: unknown},
 *   "html.download_file": {url: string, filename?: string},
 *   "html.forms.set": {selector: string, values: Array<{name: string, value: FieldValue}>},
 *   "df.notify": NotifyOptions,
 *   "df.resync": ResyncOptions,
 * }} BuiltinSignals
 */

/**
 * One entry of a `data-df-signal` attribute's JSON list.
 * @typedef {object} DataSignalBinding
 * @property {string} name The signal to call.
 * @property {string} [on] The event to listen to; default `submit` (form), `change` (field),
 *   `click` (other).
 * @property {SignalOptions} [opts] Options sent with every call.
 * @property {string} [form] The option that receives the form, as a list of `{name, value}`.
 * @property {string} [value] The option that receives the element's value.
 * @property {boolean | null} [prevent] Cancel the default action; default: yes, except for
 *   `change`.
 */

/**
 * The members of the page's client; see `DFSignalsClient`.
 * @typedef {object} DFSignalsMembers
 * @property {ConnectionState} state The connection state.
 * @property {{
 *   <K extends keyof BuiltinSignals>(name: K, fn: SignalHandler<BuiltinSignals[K]>): () => void;
 *   <Opts extends object = any>(name: string, fn: SignalHandler<Opts>): () => void;
 * }} connect Registers a local handler; returns a function that unregisters it.
 * @property {(name: string, fn?: SignalHandler<any>) => void} disconnect Unregisters `fn`, or
 *   every handler of `name` (built-in ones included) without `fn`.
 * @property {{
 *   <K extends keyof BuiltinSignals>(name: K, opts: BuiltinSignals[K]): false;
 *   (name: string, opts?: SignalOptions): false;
 * }} call Runs the local handlers at once and sends the call to the server (queued while
 *   offline). Returns false, so that `onclick="return DFSignals.call(...)"` cancels the
 *   default action.
 * @property {<Result = unknown>(name: string, opts?: SignalOptions, options?: RequestOptions) =>
 *   Promise<Result>} request Calls the server handlers and resolves with their result; local
 *   handlers do not run. Rejects with a SignalError.
 * @property {(fn: (state: ConnectionState) => void) => () => void} onStateChange Calls `fn` on
 *   every state change; returns a function that stops it.
 * @property {() => Stats} stats Counters: queue, drops, pending requests, reconnections,
 *   recoveries; and the position.
 * @property {(options?: ConfigureOptions) => void} configure Connects elsewhere than the
 *   page's meta tags or cookies say, or resumes from another position (best before the DOM
 *   is ready).
 * @property {() => void} start Reads the endpoint and connects; runs by itself once the DOM is
 *   ready.
 */

/**
 * The page's client, `DFSignals`: a frozen object, so every member is read-only.
 * @typedef {Readonly<DFSignalsMembers>} DFSignalsClient
 */

export {};
