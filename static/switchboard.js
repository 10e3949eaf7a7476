/* Switchboard JS client 0.1.0. Generated from js-client/src by `npm run build`: do not edit. */
(() => {
  // src/backoff.js
  function createBackoff({ base, cap, random }) {
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
      }
    };
  }

  // src/errors.js
  var SignalError = class extends Error {
    /**
     * @param {string} code the error code, from the server's reply or from the client
     * @param {string} message a human-readable explanation, safe to show
     */
    constructor(code, message) {
      super(message);
      this.name = "SignalError";
      this.code = code;
    }
  };

  // src/protocol.js
  var HEARTBEAT = "--heartbeat--";
  var SIGNAL_NAME = /^[_A-Za-z][_A-Za-z0-9]*(\.[_A-Za-z][_A-Za-z0-9]*)*$/;
  var MAX_SIGNAL_NAME_BYTES = 128;
  function encodeCall(name, opts, id) {
    if (typeof name !== "string" || name.length > MAX_SIGNAL_NAME_BYTES || !SIGNAL_NAME.test(name)) {
      throw new SignalError("bad_frame", `invalid signal name: ${JSON.stringify(name)}`);
    }
    if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
      throw new SignalError("bad_frame", `the opts of "${name}" must be an object`);
    }
    const frame = id === void 0 ? { signal: name, opts } : { signal: name, opts, id };
    try {
      return JSON.stringify(frame);
    } catch (err) {
      throw new SignalError("bad_frame", `the opts of "${name}" are not JSON: ${err.message}`);
    }
  }
  function parseFrame(text) {
    const frame = JSON.parse(text);
    if (frame === null || typeof frame !== "object" || Array.isArray(frame)) {
      return { type: "other" };
    }
    if ("reply_to" in frame) {
      return frame.ok === true ? { type: "reply", id: frame.reply_to, ok: true, result: frame.result } : { type: "reply", id: frame.reply_to, ok: false, error: toSignalError(frame.error) };
    }
    if (frame.signal && frame.signal_id) {
      const opts = frame.opts !== null && typeof frame.opts === "object" ? frame.opts : {};
      return { type: "signal", name: frame.signal, opts, signalId: frame.signal_id };
    }
    if (frame.error) {
      return { type: "error", error: toSignalError(frame.error) };
    }
    return { type: "other" };
  }
  function toSignalError(error) {
    const code = typeof error?.code === "string" ? error.code : "unknown_error";
    const message = typeof error?.message === "string" ? error.message : code;
    return new SignalError(code, message);
  }

  // src/connection.js
  var OPEN = 1;
  var REFUSED_CODES = /* @__PURE__ */ new Set([1008, 1009]);
  var SILENT_CLOSE_CODE = 4e3;
  function createConnection(deps) {
    const { setTimeout, clearTimeout, now, timing, console: log } = deps;
    const backoff = createBackoff({
      base: timing.reconnectBase,
      cap: timing.reconnectCap,
      random: deps.random
    });
    let state = "closed";
    let socket = null;
    let started = false;
    let hasOpened = false;
    let lastHeard = 0;
    const timers = { retry: null, heartbeat: null, watchdog: null, stable: null };
    function setState(next) {
      if (next === state) return;
      state = next;
      deps.onStateChange(next);
    }
    function stopTimer(name) {
      if (timers[name] !== null) clearTimeout(timers[name]);
      timers[name] = null;
    }
    function startTimer(name, ms, fn) {
      stopTimer(name);
      timers[name] = setTimeout(() => {
        timers[name] = null;
        fn();
      }, ms);
    }
    function open() {
      let ws;
      try {
        ws = new deps.WebSocket(deps.url());
      } catch (err) {
        log.error("DFSignals: cannot open the websocket:", err);
        setState("closed");
        return;
      }
      socket = ws;
      lastHeard = now();
      watch(ws);
      ws.onopen = () => {
        if (ws !== socket) return;
        lastHeard = now();
        const reconnected = hasOpened;
        hasOpened = true;
        setState("open");
        startTimer("stable", timing.stableAfter, () => backoff.reset());
        startTimer("heartbeat", timing.heartbeatInterval, beat);
        deps.onOpen({ reconnected });
      };
      ws.onmessage = (event) => {
        if (ws !== socket) return;
        lastHeard = now();
        if (typeof event.data !== "string") {
          log.warn("DFSignals: ignored a binary frame");
        } else if (event.data !== HEARTBEAT) {
          deps.onText(event.data);
        }
      };
      ws.onclose = (event) => {
        if (ws === socket) lost(event.code);
      };
      setState("connecting");
    }
    function beat() {
      send(HEARTBEAT);
      startTimer("heartbeat", timing.heartbeatInterval, beat);
    }
    function watch(ws) {
      const silence = now() - lastHeard;
      if (silence < timing.deadAfter) {
        startTimer("watchdog", timing.deadAfter - silence, () => watch(ws));
        return;
      }
      log.warn(`DFSignals: no frame for ${silence} ms, reconnecting`);
      lost(SILENT_CLOSE_CODE);
      try {
        ws.close(SILENT_CLOSE_CODE, "no frame received");
      } catch {
      }
    }
    function lost(code) {
      socket = null;
      for (const name of Object.keys(timers)) stopTimer(
        /** @type {keyof typeof timers} */
        name
      );
      const delay = backoff.next(REFUSED_CODES.has(code) ? timing.refusedDelay : 0);
      startTimer("retry", delay, open);
      setState("closed");
      deps.onClose(code);
    }
    function send(text) {
      if (socket === null || socket.readyState !== OPEN) return false;
      try {
        socket.send(text);
        return true;
      } catch (err) {
        log.warn("DFSignals: send failed:", err);
        return false;
      }
    }
    return {
      /** @returns {State} */
      get state() {
        return state;
      },
      /** Opens the first socket; later calls do nothing. */
      start() {
        if (started) return;
        started = true;
        open();
      },
      send
    };
  }

  // src/discovery.js
  function discoverEndpoint(doc) {
    return {
      url: readMeta(doc, "df-ws-url") ?? readCookie(doc.cookie, "dfwsurl"),
      key: readMeta(doc, "df-window-key") ?? readCookie(doc.cookie, "dfwskey")
    };
  }
  function readMeta(doc, name) {
    return doc.querySelector(`meta[name="${name}"]`)?.getAttribute("content") || null;
  }
  function readCookie(cookies, name) {
    for (const pair of cookies.split(";")) {
      const eq = pair.indexOf("=");
      if (eq > 0 && pair.slice(0, eq).trim() === name) {
        return decodeQuotePlus(pair.slice(eq + 1).trim()) || null;
      }
    }
    return null;
  }
  function decodeQuotePlus(encoded) {
    const text = encoded.replaceAll("+", " ");
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  }
  function socketUrl(url, key) {
    if (!key || /[?&]dfwskey=/.test(url)) return url;
    const separator = url.includes("?") ? "&" : "?";
    return `${url}${separator}dfwskey=${encodeURIComponent(key)}`;
  }

  // src/outbox.js
  function createOutbox({ capacity, onOverflow }) {
    let items = [];
    let overflowed = false;
    return {
      /** @param {T} item */
      push(item) {
        items.push(item);
        if (items.length <= capacity) return;
        items.shift();
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
      }
    };
  }

  // src/recent-ids.js
  function createRecentIds(capacity) {
    const ids = /* @__PURE__ */ new Set();
    return {
      /**
       * Records `id`.
       * @param {string} id
       * @returns {boolean} true the first time `id` is recorded, false for a repeat
       */
      record(id) {
        if (ids.has(id)) return false;
        ids.add(id);
        if (ids.size > capacity) ids.delete(ids.values().next().value);
        return true;
      }
    };
  }

  // src/registry.js
  function createRegistry({ onError }) {
    const byName = /* @__PURE__ */ new Map();
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
       * Removes every registration of `fn` for `name`.
       * @param {string} name
       * @param {Handler} fn
       */
      remove(name, fn) {
        update(name, (entries) => entries.filter((e) => e.fn !== fn));
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
      }
    };
  }

  // src/requests.js
  function createRequests({ setTimeout, clearTimeout }) {
    const pending = /* @__PURE__ */ new Map();
    let lastId = 0;
    function finish(id, settle) {
      const entry = pending.get(id);
      if (!entry) return;
      pending.delete(id);
      clearTimeout(entry.timer);
      settle(entry);
    }
    return {
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
            finish(id, (entry) => entry.reject(new SignalError("timeout", message)));
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
          if (reply.ok) entry.resolve(reply.result);
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
          finish(id, (e) => e.reject(new SignalError("disconnected", message)));
        }
      }
    };
  }

  // src/client.js
  var RESYNC = "df.resync";
  var DEFAULTS = Object.freeze({
    heartbeatInterval: 3e4,
    deadAfter: 75e3,
    reconnectBase: 500,
    reconnectCap: 3e4,
    stableAfter: 5e3,
    refusedDelay: 6e4,
    requestTimeout: 1e4,
    queueLimit: 1e3,
    recentSignals: 1e3
  });
  function createClient(env) {
    const log = env.console;
    const settings = { ...DEFAULTS, ...env.settings };
    const overrides = {};
    let found = null;
    const stateListeners = /* @__PURE__ */ new Set();
    const registry = createRegistry({
      onError: (name, err) => log.error(`DFSignals: a handler of "${name}" failed:`, err)
    });
    const recentSignals = createRecentIds(settings.recentSignals);
    const requests = createRequests(env);
    const outbox = createOutbox({
      capacity: settings.queueLimit,
      onOverflow: (capacity) => log.warn(`DFSignals: more than ${capacity} calls waiting for a connection, dropping the oldest`)
    });
    const connection = createConnection({
      ...env,
      timing: settings,
      url: () => {
        const { url, key } = endpoint();
        return socketUrl(
          /** @type {string} */
          url,
          key
        );
      },
      onOpen: ({ reconnected }) => {
        outbox.drain(transmit);
        if (reconnected) registry.dispatch(RESYNC, {});
      },
      onText: receive,
      onClose: () => requests.failSent(),
      onStateChange: announce
    });
    function transmit(item) {
      const { frame, requestId } = item;
      if (requestId !== void 0 && !requests.isPending(requestId)) return true;
      if (!connection.send(frame)) return false;
      if (requestId !== void 0) requests.markSent(requestId);
      return true;
    }
    function transmitOrQueue(item) {
      if (!transmit(item)) outbox.push(item);
    }
    function receive(text) {
      let frame;
      try {
        frame = parseFrame(text);
      } catch {
        log.warn("DFSignals: ignored a frame that is not JSON:", text.slice(0, 200));
        return;
      }
      switch (frame.type) {
        case "signal":
          if (recentSignals.record(frame.signalId)) {
            registry.dispatch(frame.name, frame.opts, frame.signalId);
          }
          break;
        case "reply":
          requests.settle(frame);
          break;
        case "error":
          log.warn(`DFSignals: the server refused a frame (${frame.error.code}): ${frame.error.message}`);
          break;
        default:
          break;
      }
    }
    function announce(state) {
      for (const listener of [...stateListeners]) {
        try {
          listener(state);
        } catch (err) {
          log.error("DFSignals: a state listener failed:", err);
        }
      }
      env.eventTarget?.dispatchEvent(new CustomEvent("dfsignals:state", { detail: { state } }));
    }
    function endpoint() {
      return { url: overrides.url ?? found?.url ?? null, key: overrides.key ?? found?.key ?? null };
    }
    function connectIfReady() {
      if (found === null) return;
      if (endpoint().url) {
        connection.start();
      } else {
        log.info("DFSignals: no websocket URL (df-ws-url meta tag or dfwsurl cookie), not connecting");
      }
    }
    return Object.freeze({
      /**
       * The connection state: `connecting`, `open`, or `closed` (no socket: waiting to retry,
       * or no URL to connect to).
       * @returns {import("./connection.js").State}
       */
      get state() {
        return connection.state;
      },
      /**
       * Registers a local handler, called as `fn(opts, signalId)` for local calls and for
       * signals from the server.
       * @param {string} name the signal name
       * @param {import("./registry.js").Handler} fn
       * @returns {() => void} unregisters this handler
       */
      connect(name, fn) {
        return registry.add(name, fn);
      },
      /**
       * Unregisters `fn` from `name`.
       * @param {string} name
       * @param {import("./registry.js").Handler} fn
       */
      disconnect(name, fn) {
        registry.remove(name, fn);
      },
      /**
       * Runs the local handlers of `name` at once and sends the call to the server (queued
       * while disconnected). The server does not answer; use `request` for that.
       * @param {string} name the signal name
       * @param {object} [opts] JSON-serialisable options
       * @returns {false} so that `onclick="return DFSignals.call(...)"` cancels the default action
       */
      call(name, opts = {}) {
        registry.dispatch(name, opts);
        try {
          transmitOrQueue({ frame: encodeCall(name, opts) });
        } catch (err) {
          log.warn(`DFSignals: not sent: ${err.message}`);
        }
        return false;
      },
      /**
       * Calls the server handlers of `name` and waits for their result. Local handlers do not
       * run. While disconnected the call waits in the queue; its timeout runs from now.
       * @param {string} name the signal name
       * @param {object} [opts] JSON-serialisable options
       * @param {{timeout?: number}} [options] `timeout` in ms (default 10 000)
       * @returns {Promise<unknown>} the handlers' result; rejects with a SignalError whose
       *   `code` is the server's error code, `timeout`, or `disconnected` (the connection
       *   closed after the call was sent)
       */
      request(name, opts = {}, { timeout = settings.requestTimeout } = {}) {
        const { id, promise } = requests.open(name, timeout);
        try {
          transmitOrQueue({ frame: encodeCall(name, opts, id), requestId: id });
        } catch (err) {
          requests.settle({ id, ok: false, error: err });
        }
        return promise;
      },
      /**
       * Calls `fn(state)` on every state change.
       * @param {(state: import("./connection.js").State) => void} fn
       * @returns {() => void} stops calling it
       */
      onStateChange(fn) {
        if (typeof fn !== "function") throw new TypeError("a state listener must be a function");
        const listener = (state) => fn(state);
        stateListeners.add(listener);
        return () => {
          stateListeners.delete(listener);
        };
      },
      /**
       * Sets the URL and/or window key instead of reading them from the page. Call it before
       * the DOM is ready; values given later are used from the next connection attempt on.
       * @param {{url?: string, key?: string}} options
       */
      configure({ url, key } = {}) {
        if (url !== void 0) overrides.url = url;
        if (key !== void 0) overrides.key = key;
        connectIfReady();
      },
      /**
       * Reads the endpoint from the page and connects. Runs by itself once the DOM is ready;
       * later calls do nothing.
       */
      start() {
        if (found !== null) return;
        found = discoverEndpoint(env.document);
        connectIfReady();
      }
    });
  }

  // src/browser.js
  var DFSignals = createClient({
    WebSocket: globalThis.WebSocket,
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
    clearTimeout: (timer) => globalThis.clearTimeout(timer),
    // Monotonic: a wall-clock jump must not make a live socket look silent.
    now: () => globalThis.performance.now(),
    random: Math.random,
    console: globalThis.console,
    document: globalThis.document,
    eventTarget: globalThis
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => DFSignals.start(), { once: true });
  } else {
    DFSignals.start();
  }

  // src/global.js
  globalThis.DFSignals = DFSignals;
})();
