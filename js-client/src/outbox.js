/**
 * The bounded queue of frames written while the socket is not open, flushed in order once it
 * opens. When it is full the oldest frame is dropped: a page that stays offline for long
 * keeps its latest intentions, not its first ones.
 */

/**
 * @template T
 * @param {object} options
 * @param {number} options.capacity the most items kept
 * @param {(capacity: number) => void} options.onOverflow called on the first drop after
 *   the queue was last emptied, so a long outage warns once rather than once per frame
 */
export function createOutbox({ capacity, onOverflow }) {
  /** @type {T[]} */
  let items = [];
  let overflowed = false;
  let dropped = 0;
  return {
    /** @returns {number} how many items wait */
    get size() {
      return items.length;
    },

    /** @returns {number} how many items were dropped, in all, to make room */
    get dropped() {
      return dropped;
    },

    /** @param {T} item */
    push(item) {
      items.push(item);
      if (items.length <= capacity) return;
      items.shift();
      dropped += 1;
      if (!overflowed) {
        overflowed = true;
        onOverflow(capacity);
      }
    },

    /**
     * Hands the items to `send` oldest first, removing each one it accepts. Stops at the first
     * item `send` refuses, which stays first in the queue.
     * @param {(item: T) => boolean} send
     */
    drain(send) {
      let sent = 0;
      while (sent < items.length && send(items[sent])) sent += 1;
      items = items.slice(sent);
      if (items.length === 0) overflowed = false;
    },
  };
}
