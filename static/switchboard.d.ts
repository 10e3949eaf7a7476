/**
 * Type declarations of the Switchboard JS client (`static/switchboard.mjs` and the classic
 * `static/switchboard.js`, which sets `window.DFSignals`). Hand-written to match `src/`; the
 * build copies this file to `static/switchboard.d.ts`.
 */

/** The connection state: `closed` means no socket (waiting to retry, or no URL). */
export type ConnectionState = "connecting" | "open" | "closed";

/** Options of a signal: a JSON object. */
export type SignalOptions = Record<string, unknown>;

/**
 * A local handler, run for local calls (`signalId` undefined) and for signals pushed by the
 * server (`signalId` is the server's `signal_id`).
 */
export type SignalHandler<Opts extends object = any> = (opts: Opts, signalId?: string) => void;

/** Error codes: the server's (PROTOCOL.md §5) and the client's own (`timeout`, `disconnected`). */
export type SignalErrorCode =
  | "bad_frame"
  | "unknown_signal"
  | "forbidden"
  | "invalid_arguments"
  | "handler_error"
  | "rate_limited"
  | "timeout"
  | "disconnected"
  | "unknown_error"
  | (string & {});

/** How a `request` failed; `message` is safe to show. */
export declare class SignalError extends Error {
  constructor(code: SignalErrorCode, message: string);
  readonly name: "SignalError";
  readonly code: SignalErrorCode;
}

export interface RequestOptions {
  /** Milliseconds before the promise rejects with code `timeout`, from the call. Default 10 000. */
  timeout?: number;
}

export interface Stats {
  state: ConnectionState;
  /** Calls and requests waiting for a connection. */
  queued: number;
  /** Calls dropped, oldest first, because more than 1000 waited. */
  dropped: number;
  /** Requests waiting for their reply. */
  pendingRequests: number;
  /** Connections opened after the first one. */
  reconnects: number;
}

export interface Endpoint {
  /** The websocket URL, e.g. `wss://example.com/ws/`. */
  url?: string;
  /** The window key, sent as `?dfwskey=`. */
  key?: string;
}

/** The levels of `df.notify`; any other shows as `info`. */
export type NotifyLevel = "info" | "success" | "warning" | "error";

/** Arguments of `df.notify`: a toast showing text only. */
export interface NotifyOptions {
  level?: NotifyLevel | (string & {});
  title?: string;
  message?: string;
  /** Milliseconds before it goes by itself; 0 keeps it until dismissed. Default 5000. */
  timeout?: number;
}

/** A form field as `html.forms.set` sets it and `data-df-signal`'s `value` reads it. */
export type FieldValue = string | boolean | string[];

/** The arguments of the built-in signals, by name (df_websockets' names). */
export interface BuiltinSignals {
  "html.after": { selector: string; content: string };
  "html.append": { selector: string; content: string };
  "html.prepend": { selector: string; content: string };
  "html.before": { selector: string; content: string };
  "html.content": { selector: string; content: string };
  "html.replace_with": { selector: string; content: string };
  "html.text": { selector: string; content: string };
  "html.empty": { selector: string };
  "html.remove": { selector: string };
  "html.focus": { selector: string };
  "html.add_class": { selector: string; class_name: string };
  "html.remove_class": { selector: string; class_name: string };
  "html.add_attribute": { selector: string; attr_name: string; attr_value: string };
  "html.remove_attr": { selector: string; attr_name: string };
  "html.boolean_attribute": { selector: string; name: string; value: unknown };
  "html.download_file": { url: string; filename?: string };
  "html.forms.set": { selector: string; values: Array<{ name: string; value: FieldValue }> };
  "df.notify": NotifyOptions;
  /** Run locally after every reconnect (not the first connection). */
  "df.resync": Record<string, never>;
}

/** One entry of a `data-df-signal` attribute's JSON list. */
export interface DataSignalBinding {
  /** The signal to call. */
  name: string;
  /** The event to listen to; default `submit` (form), `change` (field), `click` (other). */
  on?: string;
  /** Options sent with every call. */
  opts?: SignalOptions;
  /** The option that receives the form, as a list of `{name, value}`. */
  form?: string;
  /** The option that receives the element's value. */
  value?: string;
  /** Cancel the default action; default: yes, except for `change`. */
  prevent?: boolean | null;
}

export interface DFSignalsClient {
  /** The connection state. */
  readonly state: ConnectionState;

  /** Registers a local handler; returns a function that unregisters it. */
  connect<K extends keyof BuiltinSignals>(name: K, fn: SignalHandler<BuiltinSignals[K]>): () => void;
  connect<Opts extends object = any>(name: string, fn: SignalHandler<Opts>): () => void;

  /** Unregisters `fn`, or every handler of `name` (built-in ones included) without `fn`. */
  disconnect(name: string, fn?: SignalHandler<any>): void;

  /**
   * Runs the local handlers at once and sends the call to the server (queued while offline).
   * Returns false, so that `onclick="return DFSignals.call(...)"` cancels the default action.
   */
  call<K extends keyof BuiltinSignals>(name: K, opts: BuiltinSignals[K]): false;
  call(name: string, opts?: SignalOptions): false;

  /**
   * Calls the server handlers and resolves with their result; local handlers do not run.
   * Rejects with a SignalError.
   */
  request<Result = unknown>(name: string, opts?: SignalOptions, options?: RequestOptions): Promise<Result>;

  /** Calls `fn` on every state change; returns a function that stops it. */
  onStateChange(fn: (state: ConnectionState) => void): () => void;

  /** Counters: queue, drops, pending requests, reconnections. */
  stats(): Stats;

  /** Connects elsewhere than the page's meta tags or cookies say (best before the DOM is ready). */
  configure(endpoint?: Endpoint): void;

  /** Reads the endpoint and connects; runs by itself once the DOM is ready. */
  start(): void;
}

/** The page's client. */
export declare const DFSignals: DFSignalsClient;
export default DFSignals;

declare global {
  interface Window {
    /** Set by the classic script `static/switchboard.js`. */
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
