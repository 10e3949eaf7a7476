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
export const ErrorCode = Object.freeze({
  BAD_FRAME: "bad_frame",
  UNKNOWN_SIGNAL: "unknown_signal",
  FORBIDDEN: "forbidden",
  INVALID_ARGUMENTS: "invalid_arguments",
  HANDLER_ERROR: "handler_error",
  RATE_LIMITED: "rate_limited",
  TIMEOUT: "timeout",
  DISCONNECTED: "disconnected",
  UNKNOWN_ERROR: "unknown_error",
});

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
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  TRY_AGAIN_LATER: 1013,
  SILENT: 4000,
});

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
export const CLOSE_CODES = Object.freeze(
  /** @type {Array<[keyof typeof CloseCode, CloseCodeInfo["sentBy"], string, Reconnect]>} */ ([
    ["NORMAL", "server", "normal closure", "backoff"],
    ["GOING_AWAY", "server", "the server is shutting down", "backoff"],
    ["PROTOCOL_ERROR", "server", "protocol error: the client broke RFC 6455", "stay-away"],
    ["ABNORMAL", "browser", "the connection was lost without a close frame", "backoff"],
    ["INVALID_PAYLOAD", "server", "a text frame is not valid UTF-8", "stay-away"],
    ["POLICY_VIOLATION", "server", "policy violation: revoked window or persistent abuse", "stay-away"],
    ["MESSAGE_TOO_BIG", "server", "a frame exceeded the size limit", "stay-away"],
    ["INTERNAL_ERROR", "server", "the server failed", "backoff"],
    ["TRY_AGAIN_LATER", "server", "too slow: the window's outbound queue overflowed", "backoff"],
    ["SILENT", "client", "no frame for a while: the client closed the silent socket", "backoff"],
  ]).map(([name, sentBy, meaning, reconnect]) =>
    Object.freeze({ code: CloseCode[name], name, sentBy, meaning, reconnect }),
  ),
);

/**
 * What the client does after the socket closed with `code`: `stay-away` for the codes by
 * which the server refuses the window or its frames (1002, 1007, 1008, 1009), `backoff` for
 * any other, known or not.
 * @param {number} code a close code
 * @returns {Reconnect}
 */
export function reconnectAfter(code) {
  return CLOSE_CODES.find((row) => row.code === code)?.reconnect ?? "backoff";
}
