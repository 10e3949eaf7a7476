/**
 * The wire format of PROTOCOL.md §4 and §5: encoding call frames for the server and
 * classifying the JSON frames it sends. Nothing here touches a socket.
 */
import { ErrorCode } from "./codes.js";
import { SignalError } from "./errors.js";
import { isOffset, readPosition } from "./position.js";

/** The literal keep-alive frame, sent by the client and echoed by the server. */
export const HEARTBEAT = "--heartbeat--";

const SIGNAL_NAME = /^[_A-Za-z][_A-Za-z0-9]*(\.[_A-Za-z][_A-Za-z0-9]*)*$/;
// The pattern only admits ASCII, so the length in characters is the length in bytes.
const MAX_SIGNAL_NAME_BYTES = 128;

/**
 * Encodes a call frame: `{"signal", "opts"}`, plus `"id"` when a reply is wanted.
 *
 * @param {string} name the signal name
 * @param {object} opts the options; must be a plain JSON object
 * @param {string} [id] the call id that the reply's `reply_to` will carry
 * @returns {string} the frame text
 * @throws {SignalError} with code `bad_frame` when the server would refuse the frame
 */
export function encodeCall(name, opts, id) {
  if (typeof name !== "string" || name.length > MAX_SIGNAL_NAME_BYTES || !SIGNAL_NAME.test(name)) {
    throw new SignalError(ErrorCode.BAD_FRAME, `invalid signal name: ${JSON.stringify(name)}`);
  }
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new SignalError(ErrorCode.BAD_FRAME, `the opts of "${name}" must be an object`);
  }
  const frame = id === undefined ? { signal: name, opts } : { signal: name, opts, id };
  try {
    return JSON.stringify(frame);
  } catch (err) {
    const error = /** @type {Error} */ (err);
    throw new SignalError(ErrorCode.BAD_FRAME, `the opts of "${name}" are not JSON: ${error.message}`);
  }
}

/**
 * A signal frame's `offset` is null when it has none (history off, an older server) or when
 * it is not an offset. A position frame's `recovered` is null when the frame has none (a
 * connection that did not ask to recover).
 * @typedef {{type: "signal", name: string, opts: object, signalId: string,
 *   offset: number | null}} SignalFrame
 * @typedef {{type: "reply", id: string | number, ok: true, result: unknown}} ReplyOk
 * @typedef {{type: "reply", id: string | number, ok: false, error: SignalError}} ReplyError
 * @typedef {{type: "error", error: SignalError}} ErrorFrame
 * @typedef {{type: "position", position: import("./types.js").Position | null,
 *   recovered: boolean | null}} PositionFrame
 * @typedef {{type: "invalid", reason: string}} InvalidFrame a known kind of frame, malformed
 * @typedef {{type: "other"}} OtherFrame
 * @typedef {SignalFrame | ReplyOk | ReplyError | ErrorFrame | PositionFrame | InvalidFrame |
 *   OtherFrame} Inbound
 */

/**
 * Classifies a JSON text frame from the server. Frames of an unknown shape are `other`, so
 * that a newer server's additions are ignored rather than misread. A `position` frame
 * (§5.6) whose fields do not have their documented types is `invalid`.
 *
 * @param {string} text the frame text (never the heartbeat)
 * @returns {Inbound}
 * @throws {SyntaxError} when the text is not JSON
 */
export function parseFrame(text) {
  const frame = JSON.parse(text);
  if (frame === null || typeof frame !== "object" || Array.isArray(frame)) {
    return { type: "other" };
  }
  if ("reply_to" in frame) {
    return frame.ok === true
      ? { type: "reply", id: frame.reply_to, ok: true, result: frame.result }
      : { type: "reply", id: frame.reply_to, ok: false, error: toSignalError(frame.error) };
  }
  if (frame.signal && frame.signal_id) {
    const opts = frame.opts !== null && typeof frame.opts === "object" ? frame.opts : {};
    const offset = isOffset(frame.offset) ? frame.offset : null;
    return { type: "signal", name: frame.signal, opts, signalId: frame.signal_id, offset };
  }
  if (frame.error) {
    return { type: "error", error: toSignalError(frame.error) };
  }
  if ("position" in frame) {
    return toPositionFrame(frame.position, frame.recovered);
  }
  return { type: "other" };
}

/**
 * @param {unknown} position the `position` member: `{epoch, offset}`, or null
 * @param {unknown} recovered the `recovered` member: a boolean, or absent
 * @returns {PositionFrame | InvalidFrame}
 */
function toPositionFrame(position, recovered) {
  const read = position === null ? null : readPosition(position);
  if (position !== null && read === null) {
    return { type: "invalid", reason: `a position must be null or {epoch, offset}, not ${preview(position)}` };
  }
  if (recovered !== undefined && typeof recovered !== "boolean") {
    return { type: "invalid", reason: `\`recovered\` must be a boolean, not ${preview(recovered)}` };
  }
  if (read === null && recovered === true) {
    return { type: "invalid", reason: "`recovered` cannot be true without a position" };
  }
  return { type: "position", position: read, recovered: recovered ?? null };
}

/**
 * @param {unknown} value a JSON value from a frame
 * @returns {string} its start, for a log message
 */
function preview(value) {
  return JSON.stringify(value).slice(0, 100);
}

/**
 * @param {any} error the `error` member of a frame: `{code, message}`, or anything else
 * @returns {SignalError}
 */
function toSignalError(error) {
  const code = typeof error?.code === "string" ? error.code : ErrorCode.UNKNOWN_ERROR;
  const message = typeof error?.message === "string" ? error.message : code;
  return new SignalError(code, message);
}
