/**
 * Deduplication of server signals: the `signal_id`s seen lately, in bounded memory. A window
 * that is in several targeted topics may receive one trigger more than once (df_websockets),
 * and its handlers must run once.
 */

/**
 * @param {number} capacity how many ids to remember; the oldest are forgotten first
 */
export function createRecentIds(capacity) {
  /** @type {Set<string>} insertion-ordered, so the first value is the oldest */
  const ids = new Set();
  return {
    /**
     * Records `id`.
     * @param {string} id
     * @returns {boolean} true the first time `id` is recorded, false for a repeat
     */
    record(id) {
      if (ids.has(id)) return false;
      ids.add(id);
      if (ids.size > capacity) {
        const oldest = /** @type {string} */ (ids.values().next().value);
        ids.delete(oldest);
      }
      return true;
    },
  };
}
