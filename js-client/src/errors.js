/**
 * The error type of DFSignals: every failure a caller can see carries a machine-readable
 * `code`, either one of PROTOCOL.md §5's error codes or one of the client's own
 * (`timeout`, `disconnected`); `ErrorCode` in codes.js lists them.
 */

/** An error with a protocol error code, e.g. `forbidden`, `invalid_arguments`, `timeout`. */
export class SignalError extends Error {
  /**
   * Always `SignalError` (an own property, as `this.name = ...` in the constructor would set).
   * @readonly
   * @type {"SignalError"}
   */
  name = "SignalError";

  /**
   * @param {import("./codes.js").SignalErrorCode} code the error code, from the server's
   *   reply or from the client (see `ErrorCode`)
   * @param {string} message a human-readable explanation, safe to show
   */
  constructor(code, message) {
    super(message);
    /**
     * The error code: compare it with `ErrorCode`'s values.
     * @readonly
     * @type {import("./codes.js").SignalErrorCode}
     */
    this.code = code;
  }
}
