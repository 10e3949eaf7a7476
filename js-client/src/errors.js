/**
 * The error type of DFSignals: every failure a caller can see carries a machine-readable
 * `code`, either one of PROTOCOL.md §5's error codes or one of the client's own
 * (`timeout`, `disconnected`).
 */

/** An error with a protocol error code, e.g. `forbidden`, `invalid_arguments`, `timeout`. */
export class SignalError extends Error {
  /**
   * @param {string} code the error code, from the server's reply or from the client
   * @param {string} message a human-readable explanation, safe to show
   */
  constructor(code, message) {
    super(message);
    this.name = "SignalError";
    this.code = code;
  }
}
