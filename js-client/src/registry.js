/**
 * Local signal handlers: who listens to which signal name, and running them. A failing
 * handler is reported and does not stop the others.
 */

/**
 * @callback Handler
 * @param {object} opts the signal's options
 * @param {string} [signalId] the server's `signal_id`; undefined for a local call
 * @returns {void}
 */

/**
 * @param {object} deps
 * @param {(name: string, error: unknown) => void} deps.onError called when a handler throws
 */
export function createRegistry({ onError }) {
  /** @type {Map<string, Array<{fn: Handler}>>} */
  const byName = new Map();

  /**
   * @param {string} name
   * @param {(entries: Array<{fn: Handler}>) => Array<{fn: Handler}>} change
   */
  function update(name, change) {
    const entries = change(byName.get(name) ?? []);
    if (entries.length > 0) byName.set(name, entries);
    else byName.delete(name);
  }

  return {
    /**
     * Registers `fn` for `name`.
     * @param {string} name
     * @param {Handler} fn
     * @returns {() => void} removes this registration (and only this one)
     */
    add(name, fn) {
      if (typeof name !== "string") throw new TypeError("a signal name must be a string");
      if (typeof fn !== "function") throw new TypeError(`the handler of "${name}" must be a function`);
      const entry = { fn };
      update(name, (entries) => [...entries, entry]);
      return () => update(name, (entries) => entries.filter((e) => e !== entry));
    },

    /**
     * Removes every registration of `fn` for `name`, or every handler of `name` when `fn`
     * is not given.
     * @param {string} name
     * @param {Handler} [fn]
     */
    remove(name, fn) {
      update(name, (entries) => (fn === undefined ? [] : entries.filter((e) => e.fn !== fn)));
    },

    /**
     * Runs the handlers of `name`, in registration order. Handlers added or removed while it
     * runs take effect from the next dispatch.
     * @param {string} name
     * @param {object} opts
     * @param {string} [signalId]
     */
    dispatch(name, opts, signalId) {
      for (const { fn } of byName.get(name) ?? []) {
        try {
          fn(opts, signalId);
        } catch (err) {
          onError(name, err);
        }
      }
    },
  };
}
