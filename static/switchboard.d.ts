/* Type declarations of the Switchboard JS client 0.1.0 (switchboard.mjs, and switchboard.js,
 * which sets window.DFSignals). Generated from the JSDoc of js-client/src by `npm run build`:
 * do not edit. */

/**
 * What the client does after the socket closed with `code`: `stay-away` for the codes by
 * which the server refuses the window or its frames (1002, 1007, 1008, 1009), `backoff` for
 * any other, known or not.
 * @param {number} code a close code
 * @returns {Reconnect}
 */
declare function reconnectAfter(code: number): Reconnect;
/**
 * Every code the client deals in, in one place: the error codes a `SignalError` carries (the
 * server's, PROTOCOL.md §5, and the client's own) and the websocket close codes, each with
 * what the client does after it. The rest of the client reads its codes from here, and the
 * package exports these tables so that pages can compare `err.code` with `ErrorCode.X`.
 */
/**
 * The error codes of a `SignalError`, by name.
 *
 * | code | from | meaning |
 * |---|---|---|
 * | `bad_frame` | server, client | the frame is not a well-formed call; the client refuses such a call (bad signal name, opts not a JSON object) before sending it |
 * | `unknown_signal` | server | no handler of that name may be called from a browser |
 * | `forbidden` | server | handlers exist and allow browsers, but none allows this window |
 * | `invalid_arguments` | server | the opts do not fit the handler's arguments (the message names it) |
 * | `handler_error` | server | the handler returned an error or panicked (the message is safe to show) |
 * | `rate_limited` | server | the window exceeded its call rate, or a handler queue is full |
 * | `timeout` | server, client | the handler did not finish within its time limit; or no reply came within the request's timeout |
 * | `disconnected` | client | the connection closed after the call was sent: no reply can come |
 * | `unknown_error` | client | a failed reply or error frame that carries no code |
 */
declare const ErrorCode: Readonly<{
    BAD_FRAME: "bad_frame";
    UNKNOWN_SIGNAL: "unknown_signal";
    FORBIDDEN: "forbidden";
    INVALID_ARGUMENTS: "invalid_arguments";
    HANDLER_ERROR: "handler_error";
    RATE_LIMITED: "rate_limited";
    TIMEOUT: "timeout";
    DISCONNECTED: "disconnected";
    UNKNOWN_ERROR: "unknown_error";
}>;
/** @typedef {typeof ErrorCode[keyof typeof ErrorCode]} KnownErrorCode the codes above */
/**
 * The `code` of a SignalError: one of the codes above, or a code that a newer server added
 * (kept as it came).
 * @typedef {KnownErrorCode | (string & {})} SignalErrorCode
 */
/**
 * The websocket close codes the client may see, by name, and the one it sends itself.
 *
 * | code | sent by | meaning | what the client does |
 * |---|---|---|---|
 * | 1000 | server | normal closure | reconnects with backoff (the page is still open) |
 * | 1001 | server | the server is shutting down | reconnects with backoff |
 * | 1002 | server | protocol error: the client broke RFC 6455 | waits at least `refusedDelay` (1 min), like 1008 |
 * | 1006 | browser | the connection was lost without a close frame | reconnects with backoff |
 * | 1007 | server | a text frame is not valid UTF-8 | waits at least `refusedDelay` (1 min), like 1008 |
 * | 1008 | server | policy violation: revoked (deleted) window, persistent abuse of the rate limit | waits at least `refusedDelay` (1 min); `online` and page visibility do not shorten it |
 * | 1009 | server | a frame exceeded the size limit | waits at least `refusedDelay` (1 min), likewise |
 * | 1011 | server | internal error | reconnects with backoff |
 * | 1013 | server | too slow: the window's outbound queue overflowed | reconnects with backoff |
 * | 4000 | client | no frame for 75 s: the client closes the silent socket | reconnects with backoff |
 *
 * PROTOCOL.md §5.5 lists the server's codes. 1002 and 1007 mean a broken client (this one
 * never sends such frames, a page's code cannot make it): retrying at once would only fail
 * again, so it stays away as after 1008.
 */
declare const CloseCode: Readonly<{
    NORMAL: 1000;
    GOING_AWAY: 1001;
    PROTOCOL_ERROR: 1002;
    ABNORMAL: 1006;
    INVALID_PAYLOAD: 1007;
    POLICY_VIOLATION: 1008;
    MESSAGE_TOO_BIG: 1009;
    INTERNAL_ERROR: 1011;
    TRY_AGAIN_LATER: 1013;
    SILENT: 4000;
}>;
/**
 * What the client does after a close: `backoff`, reconnect after the usual exponential
 * backoff; `stay-away`, the server refused the window: wait at least a minute, which neither
 * the network coming back nor the page being shown again shortens.
 * @typedef {"backoff" | "stay-away"} Reconnect
 */
/**
 * One row of `CLOSE_CODES`.
 * @typedef {object} CloseCodeInfo
 * @property {number} code the close code
 * @property {keyof typeof CloseCode} name its name in `CloseCode`
 * @property {"server" | "browser" | "client"} sentBy who closes with it
 * @property {string} meaning why
 * @property {Reconnect} reconnect what the client does next
 */
/**
 * The close codes table, one row per `CloseCode`, in code order.
 * @type {ReadonlyArray<Readonly<CloseCodeInfo>>}
 */
declare const CLOSE_CODES: ReadonlyArray<Readonly<CloseCodeInfo>>;
/**
 * the codes above
 */
type KnownErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
/**
 * The `code` of a SignalError: one of the codes above, or a code that a newer server added
 * (kept as it came).
 */
type SignalErrorCode = KnownErrorCode | (string & {});
/**
 * What the client does after a close: `backoff`, reconnect after the usual exponential
 * backoff; `stay-away`, the server refused the window: wait at least a minute, which neither
 * the network coming back nor the page being shown again shortens.
 */
type Reconnect = "backoff" | "stay-away";
/**
 * One row of `CLOSE_CODES`.
 */
type CloseCodeInfo = {
    /**
     * the close code
     */
    code: number;
    /**
     * its name in `CloseCode`
     */
    name: keyof typeof CloseCode;
    /**
     * who closes with it
     */
    sentBy: "server" | "browser" | "client";
    /**
     * why
     */
    meaning: string;
    /**
     * what the client does next
     */
    reconnect: Reconnect;
};

/**
 * The connection state: `closed` means no socket (waiting to retry, or no URL).
 */
type ConnectionState = "connecting" | "open" | "closed";
/**
 * Options of a signal: a JSON object.
 */
type SignalOptions = Record<string, unknown>;
/**
 * A local handler, run for local calls (`signalId` undefined) and for signals pushed by the
 * server (`signalId` is the server's `signal_id`).
 */
type SignalHandler<Opts extends object = any> = (opts: Opts, signalId?: string) => void;
/**
 * Options of `request`.
 */
type RequestOptions = {
    /**
     * Milliseconds before the promise rejects with code `timeout`,
     * from the call. Default 10 000.
     */
    timeout?: number | undefined;
};
/**
 * A position in the server's history (PROTOCOL.md §5.6): the window has received every
 * trigger addressed to it up to `offset`, in the history named `epoch`. Written `E:N` in the
 * `df-ws-position` meta tag and the `since` query parameter.
 */
type Position = {
    /**
     * Names the server's history; a new epoch means the history was lost.
     */
    epoch: string;
    /**
     * Counts the server's triggers (to every window): an integer, 0 or
     * more, below 2^53.
     */
    offset: number;
};
/**
 * What `stats()` returns.
 */
type Stats = {
    /**
     * The connection state.
     */
    state: ConnectionState;
    /**
     * Calls and requests waiting for a connection.
     */
    queued: number;
    /**
     * Calls dropped, oldest first, because more than 1000 waited.
     */
    dropped: number;
    /**
     * Requests waiting for their reply.
     */
    pendingRequests: number;
    /**
     * Connections opened after the first one.
     */
    reconnects: number;
    /**
     * The position the next connection resumes from (a
     * copy); null until the server sent one (or the page gave one), and while the server keeps
     * no history.
     */
    position: Position | null;
    /**
     * Connections on which the server replayed everything missed
     * (`df.resync` with `{recovered: true}`).
     */
    recoveries: number;
    /**
     * Connections on which it could not, and reconnections
     * without a position (`df.resync` with `{recovered: false}`).
     */
    recoveryFailures: number;
};
/**
 * Where to connect: the `url` and `key` of `ConfigureOptions`.
 */
type Endpoint = {
    /**
     * The websocket URL, e.g. `wss://example.com/ws/`.
     */
    url?: string | undefined;
    /**
     * The window key, sent as `?dfwskey=`.
     */
    key?: string | undefined;
};
/**
 * What `configure` sets: where to connect, and the position to resume from.
 */
type ConfigureOptions = {
    /**
     * The websocket URL, e.g. `wss://example.com/ws/`.
     */
    url?: string | undefined;
    /**
     * The window key, sent as `?dfwskey=`.
     */
    key?: string | undefined;
    /**
     * The position the page's state was loaded at,
     * `"E:N"` or `{epoch, offset}`: the next connection (the first one, when given before the
     * DOM is ready) asks the server to replay what came after it, and `df.resync` says whether
     * it could. Overrides the `df-ws-position` meta tag.
     */
    position?: string | Position | undefined;
};
/**
 * Arguments of `df.resync`. The client runs it on a reconnection, and on a first connection
 * that resumes from a position the page gave: when the server's `position` frame says whether
 * it replayed what was missed, or at once when there was no position to resume from. The
 * server sends it too, with `{recovered: false}` (an older server: `{}`).
 */
type ResyncOptions = {
    /**
     * True when the server replayed every signal missed meanwhile,
     * so there is nothing to refetch; false when signals may have been missed: refetch state.
     */
    recovered: boolean;
};
/**
 * The levels of `df.notify`; any other shows as `info`.
 */
type NotifyLevel = "info" | "success" | "warning" | "error";
/**
 * Arguments of `df.notify`: a toast showing text only.
 */
type NotifyOptions = {
    /**
     * The toast's colour; default `info`.
     */
    level?: (string & {}) | NotifyLevel | undefined;
    /**
     * Shown first, when not empty.
     */
    title?: string | undefined;
    /**
     * The text.
     */
    message?: string | undefined;
    /**
     * Milliseconds before it goes by itself; 0 keeps it until
     * dismissed. Default 5000.
     */
    timeout?: number | undefined;
};
/**
 * A form field as `html.forms.set` sets it and `data-df-signal`'s `value` reads it.
 */
type FieldValue = string | boolean | string[];
/**
 * The arguments of the built-in signals, by name (df_websockets' names). `df.resync` is run
 * by the client itself, after reconnecting (see `ResyncOptions`).
 */
type BuiltinSignals = {
    "html.after": {
        selector: string;
        content: string;
    };
    "html.append": {
        selector: string;
        content: string;
    };
    "html.prepend": {
        selector: string;
        content: string;
    };
    "html.before": {
        selector: string;
        content: string;
    };
    "html.content": {
        selector: string;
        content: string;
    };
    "html.replace_with": {
        selector: string;
        content: string;
    };
    "html.text": {
        selector: string;
        content: string;
    };
    "html.empty": {
        selector: string;
    };
    "html.remove": {
        selector: string;
    };
    "html.focus": {
        selector: string;
    };
    "html.add_class": {
        selector: string;
        class_name: string;
    };
    "html.remove_class": {
        selector: string;
        class_name: string;
    };
    "html.add_attribute": {
        selector: string;
        attr_name: string;
        attr_value: string;
    };
    "html.remove_attr": {
        selector: string;
        attr_name: string;
    };
    "html.boolean_attribute": {
        selector: string;
        name: string;
        value: unknown;
    };
    "html.download_file": {
        url: string;
        filename?: string;
    };
    "html.forms.set": {
        selector: string;
        values: Array<{
            name: string;
            value: FieldValue;
        }>;
    };
    "df.notify": NotifyOptions;
    "df.resync": ResyncOptions;
};
/**
 * One entry of a `data-df-signal` attribute's JSON list.
 */
type DataSignalBinding = {
    /**
     * The signal to call.
     */
    name: string;
    /**
     * The event to listen to; default `submit` (form), `change` (field),
     * `click` (other).
     */
    on?: string | undefined;
    /**
     * Options sent with every call.
     */
    opts?: SignalOptions | undefined;
    /**
     * The option that receives the form, as a list of `{name, value}`.
     */
    form?: string | undefined;
    /**
     * The option that receives the element's value.
     */
    value?: string | undefined;
    /**
     * Cancel the default action; default: yes, except for
     * `change`.
     */
    prevent?: boolean | null | undefined;
};
/**
 * The members of the page's client; see `DFSignalsClient`.
 */
type DFSignalsMembers = {
    /**
     * The connection state.
     */
    state: ConnectionState;
    /**
     * Registers a local handler; returns a function that unregisters it.
     */
    connect: {
        <K extends keyof BuiltinSignals>(name: K, fn: SignalHandler<BuiltinSignals[K]>): () => void;
        <Opts extends object = any>(name: string, fn: SignalHandler<Opts>): () => void;
    };
    /**
     * Unregisters `fn`, or
     * every handler of `name` (built-in ones included) without `fn`.
     */
    disconnect: (name: string, fn?: SignalHandler<any>) => void;
    /**
     * Runs the local handlers at once and sends the call to the server (queued while
     * offline). Returns false, so that `onclick="return DFSignals.call(...)"` cancels the
     * default action.
     */
    call: {
        <K extends keyof BuiltinSignals>(name: K, opts: BuiltinSignals[K]): false;
        (name: string, opts?: SignalOptions): false;
    };
    /**
     * Calls the server handlers and resolves with their result; local
     * handlers do not run. Rejects with a SignalError.
     */
    request: <Result = unknown>(name: string, opts?: SignalOptions, options?: RequestOptions) => Promise<Result>;
    /**
     * Calls `fn` on
     * every state change; returns a function that stops it.
     */
    onStateChange: (fn: (state: ConnectionState) => void) => () => void;
    /**
     * Counters: queue, drops, pending requests, reconnections,
     * recoveries; and the position.
     */
    stats: () => Stats;
    /**
     * Connects elsewhere than the
     * page's meta tags or cookies say, or resumes from another position (best before the DOM
     * is ready).
     */
    configure: (options?: ConfigureOptions) => void;
    /**
     * Reads the endpoint and connects; runs by itself once the DOM is
     * ready.
     */
    start: () => void;
};
/**
 * The page's client, `DFSignals`: a frozen object, so every member is read-only.
 */
type DFSignalsClient = Readonly<DFSignalsMembers>;

/**
 * The error type of DFSignals: every failure a caller can see carries a machine-readable
 * `code`, either one of PROTOCOL.md §5's error codes or one of the client's own
 * (`timeout`, `disconnected`); `ErrorCode` in codes.js lists them.
 */
/** An error with a protocol error code, e.g. `forbidden`, `invalid_arguments`, `timeout`. */
declare class SignalError extends Error {
    /**
     * @param {import("./codes.js").SignalErrorCode} code the error code, from the server's
     *   reply or from the client (see `ErrorCode`)
     * @param {string} message a human-readable explanation, safe to show
     */
    constructor(code: SignalErrorCode, message: string);
    /**
     * Always `SignalError` (an own property, as `this.name = ...` in the constructor would set).
     * @readonly
     * @type {"SignalError"}
     */
    readonly name: "SignalError";
    /**
     * The error code: compare it with `ErrorCode`'s values.
     * @readonly
     * @type {import("./codes.js").SignalErrorCode}
     */
    readonly code: SignalErrorCode;
}

export default DFSignals;
/**
 * The page's one client (see README.md for the API).
 * @type {import("./types.js").DFSignalsClient}
 */
declare const DFSignals: DFSignalsClient;

export { BuiltinSignals, CLOSE_CODES, CloseCode, CloseCodeInfo, ConfigureOptions, ConnectionState, DFSignals, DFSignalsClient, DFSignalsMembers, DataSignalBinding, Endpoint, ErrorCode, FieldValue, KnownErrorCode, NotifyLevel, NotifyOptions, Position, Reconnect, RequestOptions, ResyncOptions, SignalError, SignalErrorCode, SignalHandler, SignalOptions, Stats, reconnectAfter };

// What the client adds to the browser's global types: the one part of the declarations that
// JSDoc cannot express (a `declare global` augmentation), so it is written here in
// TypeScript and appended to the generated declarations by scripts/declarations.js.

declare global {
  interface Window {
    /** Set by the classic script (`static/switchboard.js`, `switchboard-client/global`). */
    DFSignals: DFSignalsClient;
  }

  interface WindowEventMap {
    "dfsignals:state": CustomEvent<{ state: ConnectionState }>;
  }

  interface DocumentEventMap {
    /** Dispatched, bubbling, on every element the `html.*` insertions add. */
    DOMContentAdded: Event;
  }

  interface ElementEventMap {
    DOMContentAdded: Event;
  }
}
