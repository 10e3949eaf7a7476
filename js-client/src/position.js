/**
 * Positions in the server's history (PROTOCOL.md §5.6): reading them from frames and from
 * the page (`E:N`), writing them for the `since` query parameter, and the client's current
 * position, which only moves forward within its epoch.
 */

/** @typedef {import("./types.js").Position} Position */

/**
 * @param {unknown} value
 * @returns {value is number} whether `value` is an offset: an integer, 0 ≤ value < 2^53
 */
export function isOffset(value) {
  return Number.isSafeInteger(value) && /** @type {number} */ (value) >= 0;
}

/**
 * Reads a position object, as the `position` frame and `configure` carry it.
 * @param {unknown} value
 * @returns {Position | null} a fresh, frozen copy; null unless `value` is an object with a
 *   non-empty string `epoch` and an offset `offset`
 */
export function readPosition(value) {
  if (value === null || typeof value !== "object") return null;
  const { epoch, offset } = /** @type {{epoch?: unknown, offset?: unknown}} */ (value);
  if (typeof epoch !== "string" || epoch === "" || !isOffset(offset)) return null;
  return Object.freeze({ epoch, offset });
}

/**
 * Reads a position written as `E:N` (the `since` parameter, the `df-ws-position` meta tag).
 * The offset is the decimal number after the last colon, so an epoch may contain colons.
 * @param {string} text
 * @returns {Position | null} null unless `text` is a non-empty epoch, a colon and an offset
 */
export function parsePosition(text) {
  const trimmed = text.trim();
  const colon = trimmed.lastIndexOf(":");
  const digits = trimmed.slice(colon + 1);
  if (colon < 1 || !/^[0-9]+$/.test(digits)) return null;
  return readPosition({ epoch: trimmed.slice(0, colon), offset: Number(digits) });
}

/**
 * @param {Position} position
 * @returns {string} `E:N`, the form `since` carries (before percent-encoding)
 */
export function formatPosition({ epoch, offset }) {
  return `${epoch}:${offset}`;
}

/**
 * The client's position: null until one is set, then moved forward by the offsets of the
 * signal frames that arrive.
 */
export function createPosition() {
  /** @type {Position | null} */
  let current = null;
  return {
    /** @returns {Position | null} the position (frozen), or null when none is known */
    get current() {
      return current;
    },

    /**
     * Replaces the position: with a `position` frame's (null: the server keeps no history),
     * or with the one the page gives.
     * @param {Position | null} position
     */
    set(position) {
      current = position === null ? null : Object.freeze({ epoch: position.epoch, offset: position.offset });
    },

    /**
     * Moves the position to `offset`, the offset of a signal frame, if that is further on.
     * Never moves it back, and does nothing while no position is known.
     * @param {number} offset
     */
    raise(offset) {
      if (current !== null && offset > current.offset) current = Object.freeze({ epoch: current.epoch, offset });
    },
  };
}
