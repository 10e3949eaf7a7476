/**
 * A small seeded pseudo-random generator, so that a run's schedule (when each window's socket
 * is cut, which windows a user-addressed trigger reaches) can be repeated with `--seed`.
 * Not for anything secret.
 */

/**
 * xorshift32 (Marsaglia, 2003), seeded through an integer hash so that close seeds give
 * unrelated sequences.
 * @param {number} seed any integer
 * @returns {() => number} uniform in [0, 1), like Math.random
 */
export function seededRandom(seed) {
  let state = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}
