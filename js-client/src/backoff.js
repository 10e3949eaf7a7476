/**
 * Reconnect delays: exponential backoff with full jitter, so that the windows a restarted
 * server dropped all at once do not come back all at once.
 */

/**
 * @param {object} options
 * @param {number} options.base ceiling of the first delay, in ms
 * @param {number} options.cap highest ceiling, in ms
 * @param {() => number} options.random uniform in [0, 1), like Math.random
 */
export function createBackoff({ base, cap, random }) {
  let attempt = 0;
  return {
    /**
     * The delay before the next attempt: `floor` plus a random share of a ceiling that
     * doubles with every attempt since the last reset, up to `cap`.
     * @param {number} [floor] a minimum delay, in ms, e.g. after the server refused the window
     * @returns {number} ms
     */
    next(floor = 0) {
      const ceiling = Math.min(cap, base * 2 ** attempt);
      attempt += 1;
      return floor + Math.floor(random() * ceiling);
    },

    /** Starts over from the smallest ceiling, once a connection has proved stable. */
    reset() {
      attempt = 0;
    },
  };
}
