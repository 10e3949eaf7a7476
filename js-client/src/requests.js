/**
 * Calls that wait for a reply (PROTOCOL.md §4 `id`, §5 `reply_to`): their ids, their timers,
 * and settling their promises with a result or a SignalError.
 */
import { ErrorCode } from "./codes.js";
import { SignalError } from "./errors.js";

/**
 * @param {object} deps
 * @param {(fn: () => void, ms: number) => unknown} deps.setTimeout
 * @param {(timer: unknown) => void} deps.clearTimeout
 */
export function createRequests({ setTimeout, clearTimeout }) {
  /**
   * @typedef {object} Pending
   * @property {string} name the signal name, for error messages
   * @property {(result: unknown) => void} resolve
   * @property {(error: SignalError) => void} reject
   * @property {unknown} timer
   * @property {boolean} sent whether the frame went out on the current socket
   */
  /** @type {Map<string, Pending>} */
  const pending = new Map();
  let lastId = 0;

  /**
   * @param {string} id
   * @param {(entry: Pending) => void} settle
   */
  function finish(id, settle) {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    clearTimeout(entry.timer);
    settle(entry);
  }

  return {
    /** @returns {number} how many calls wait for their reply */
    get size() {
      return pending.size;
    },

    /**
     * Starts waiting for the reply to a new call.
     * @param {string} name the signal name
     * @param {number} timeout ms before the promise rejects with code `timeout`
     * @returns {{id: string, promise: Promise<unknown>}} the id to send, and the outcome
     */
    open(name, timeout) {
      lastId += 1;
      const id = String(lastId);
      const promise = new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const message = `"${name}" got no reply within ${timeout} ms`;
          finish(id, (entry) => entry.reject(new SignalError(ErrorCode.TIMEOUT, message)));
        }, timeout);
        pending.set(id, { name, resolve, reject, timer, sent: false });
      });
      return { id, promise };
    },

    /**
     * @param {string} id
     * @returns {boolean} whether the call still waits (false once answered, timed out or failed)
     */
    isPending(id) {
      return pending.has(id);
    },

    /**
     * Notes that the frame of call `id` went out on the socket.
     * @param {string} id
     */
    markSent(id) {
      const entry = pending.get(id);
      if (entry) entry.sent = true;
    },

    /**
     * Settles a call with its reply frame; a reply to no waiting call (e.g. one that timed
     * out) is ignored.
     * @param {import("./protocol.js").ReplyOk | import("./protocol.js").ReplyError} reply
     */
    settle(reply) {
      finish(String(reply.id), (entry) => {
        if (reply.ok === true) entry.resolve(reply.result);
        else entry.reject(reply.error);
      });
    },

    /**
     * Rejects, with code `disconnected`, every call whose frame went out on a socket that
     * has now closed: the server answers on the connection a call came in on, so no reply can
     * come. Calls still queued keep waiting for the next connection.
     */
    failSent() {
      for (const [id, entry] of pending) {
        if (!entry.sent) continue;
        const message = `the connection closed before "${entry.name}" got a reply`;
        finish(id, (e) => e.reject(new SignalError(ErrorCode.DISCONNECTED, message)));
      }
    },
  };
}
