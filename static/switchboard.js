/* Switchboard JS client 0.1.0. Generated from js-client/src by `npm run build`: do not edit. */
(() => {
  var __defProp = Object.defineProperty;
  var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
  var __publicField = (obj, key, value) => __defNormalProp(obj, typeof key !== "symbol" ? key + "" : key, value);

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

  // src/codes.js
  var ErrorCode = Object.freeze({
    BAD_FRAME: "bad_frame",
    UNKNOWN_SIGNAL: "unknown_signal",
    FORBIDDEN: "forbidden",
    INVALID_ARGUMENTS: "invalid_arguments",
    HANDLER_ERROR: "handler_error",
    RATE_LIMITED: "rate_limited",
    TIMEOUT: "timeout",
    DISCONNECTED: "disconnected",
    UNKNOWN_ERROR: "unknown_error"
  });
  var CloseCode = Object.freeze({
    NORMAL: 1e3,
    GOING_AWAY: 1001,
    PROTOCOL_ERROR: 1002,
    ABNORMAL: 1006,
    INVALID_PAYLOAD: 1007,
    POLICY_VIOLATION: 1008,
    MESSAGE_TOO_BIG: 1009,
    INTERNAL_ERROR: 1011,
    TRY_AGAIN_LATER: 1013,
    SILENT: 4e3
  });
  var CLOSE_CODES = Object.freeze(
    /** @type {Array<[keyof typeof CloseCode, CloseCodeInfo["sentBy"], string, Reconnect]>} */
    [
      ["NORMAL", "server", "normal closure", "backoff"],
      ["GOING_AWAY", "server", "the server is shutting down", "backoff"],
      ["PROTOCOL_ERROR", "server", "protocol error: the client broke RFC 6455", "stay-away"],
      ["ABNORMAL", "browser", "the connection was lost without a close frame", "backoff"],
      ["INVALID_PAYLOAD", "server", "a text frame is not valid UTF-8", "stay-away"],
      ["POLICY_VIOLATION", "server", "policy violation: revoked window or persistent abuse", "stay-away"],
      ["MESSAGE_TOO_BIG", "server", "a frame exceeded the size limit", "stay-away"],
      ["INTERNAL_ERROR", "server", "the server failed", "backoff"],
      ["TRY_AGAIN_LATER", "server", "too slow: the window's outbound queue overflowed", "backoff"],
      ["SILENT", "client", "no frame for a while: the client closed the silent socket", "backoff"]
    ].map(
      ([name, sentBy, meaning, reconnect]) => Object.freeze({ code: CloseCode[name], name, sentBy, meaning, reconnect })
    )
  );
  function reconnectAfter(code) {
    return CLOSE_CODES.find((row) => row.code === code)?.reconnect ?? "backoff";
  }

  // src/errors.js
  var SignalError = class extends Error {
    /**
     * @param {import("./codes.js").SignalErrorCode} code the error code, from the server's
     *   reply or from the client (see `ErrorCode`)
     * @param {string} message a human-readable explanation, safe to show
     */
    constructor(code, message) {
      super(message);
      /**
       * Always `SignalError` (an own property, as `this.name = ...` in the constructor would set).
       * @readonly
       * @type {"SignalError"}
       */
      __publicField(this, "name", "SignalError");
      this.code = code;
    }
  };

  // src/position.js
  function isOffset(value) {
    return Number.isSafeInteger(value) && /** @type {number} */
    value >= 0;
  }
  function readPosition(value) {
    if (value === null || typeof value !== "object") return null;
    const { epoch, offset } = (
      /** @type {{epoch?: unknown, offset?: unknown}} */
      value
    );
    if (typeof epoch !== "string" || epoch === "" || !isOffset(offset)) return null;
    return Object.freeze({ epoch, offset });
  }
  function parsePosition(text2) {
    const trimmed = text2.trim();
    const colon = trimmed.lastIndexOf(":");
    const digits = trimmed.slice(colon + 1);
    if (colon < 1 || !/^[0-9]+$/.test(digits)) return null;
    return readPosition({ epoch: trimmed.slice(0, colon), offset: Number(digits) });
  }
  function formatPosition({ epoch, offset }) {
    return `${epoch}:${offset}`;
  }
  function createPosition() {
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
      }
    };
  }

  // src/protocol.js
  var HEARTBEAT = "--heartbeat--";
  var SIGNAL_NAME = /^[_A-Za-z][_A-Za-z0-9]*(\.[_A-Za-z][_A-Za-z0-9]*)*$/;
  var MAX_SIGNAL_NAME_BYTES = 128;
  function encodeCall(name, opts, id) {
    if (typeof name !== "string" || name.length > MAX_SIGNAL_NAME_BYTES || !SIGNAL_NAME.test(name)) {
      throw new SignalError(ErrorCode.BAD_FRAME, `invalid signal name: ${JSON.stringify(name)}`);
    }
    if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
      throw new SignalError(ErrorCode.BAD_FRAME, `the opts of "${name}" must be an object`);
    }
    const frame = id === void 0 ? { signal: name, opts } : { signal: name, opts, id };
    try {
      return JSON.stringify(frame);
    } catch (err) {
      const error = (
        /** @type {Error} */
        err
      );
      throw new SignalError(ErrorCode.BAD_FRAME, `the opts of "${name}" are not JSON: ${error.message}`);
    }
  }
  function parseFrame(text2) {
    const frame = JSON.parse(text2);
    if (frame === null || typeof frame !== "object" || Array.isArray(frame)) {
      return { type: "other" };
    }
    if ("reply_to" in frame) {
      return frame.ok === true ? { type: "reply", id: frame.reply_to, ok: true, result: frame.result } : { type: "reply", id: frame.reply_to, ok: false, error: toSignalError(frame.error) };
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
  function toPositionFrame(position, recovered) {
    const read = position === null ? null : readPosition(position);
    if (position !== null && read === null) {
      return { type: "invalid", reason: `a position must be null or {epoch, offset}, not ${preview(position)}` };
    }
    if (recovered !== void 0 && typeof recovered !== "boolean") {
      return { type: "invalid", reason: `\`recovered\` must be a boolean, not ${preview(recovered)}` };
    }
    if (read === null && recovered === true) {
      return { type: "invalid", reason: "`recovered` cannot be true without a position" };
    }
    return { type: "position", position: read, recovered: recovered ?? null };
  }
  function preview(value) {
    return JSON.stringify(value).slice(0, 100);
  }
  function toSignalError(error) {
    const code = typeof error?.code === "string" ? error.code : ErrorCode.UNKNOWN_ERROR;
    const message = typeof error?.message === "string" ? error.message : code;
    return new SignalError(code, message);
  }

  // src/connection.js
  var OPEN = 1;
  var SILENT_CLOSE_CODE = CloseCode.SILENT;
  function createConnection(deps) {
    const { setTimeout: setTimeout2, clearTimeout: clearTimeout2, now, timing, console: log } = deps;
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
    let refused = false;
    const timers = { retry: null, heartbeat: null, watchdog: null, stable: null };
    function setState(next) {
      if (next === state) return;
      state = next;
      deps.onStateChange(next);
    }
    function stopTimer(name) {
      if (timers[name] !== null) clearTimeout2(timers[name]);
      timers[name] = null;
    }
    function startTimer(name, ms, fn) {
      stopTimer(name);
      timers[name] = setTimeout2(() => {
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
      refused = reconnectAfter(code) === "stay-away";
      const delay = backoff.next(refused ? timing.refusedDelay : 0);
      startTimer("retry", delay, open);
      setState("closed");
      deps.onClose(code);
    }
    function send(text2) {
      if (socket === null || socket.readyState !== OPEN) return false;
      try {
        socket.send(text2);
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
      /**
       * Opens a socket now instead of at the end of the current wait, e.g. because the
       * network came back. Does nothing unless waiting to retry, nor during the long wait
       * after close codes 1002, 1007, 1008 and 1009: the server asked this window to stay
       * away, and the network coming back does not change its mind.
       */
      retryNow() {
        if (timers.retry === null || refused) return;
        stopTimer("retry");
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
  function discoverPosition(doc) {
    return readMeta(doc, "df-ws-position");
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
    const text2 = encoded.replaceAll("+", " ");
    try {
      return decodeURIComponent(text2);
    } catch {
      return text2;
    }
  }
  function socketUrl(url, key) {
    return key ? withQuery(url, "dfwskey", key) : url;
  }
  function withQuery(url, name, value) {
    if (value === null || hasQuery(url, name)) return url;
    const separator = url.includes("?") ? "&" : "?";
    return `${url}${separator}${name}=${encodeURIComponent(value)}`;
  }
  function hasQuery(url, name) {
    return new RegExp(`[?&]${name}=`).test(url);
  }

  // src/outbox.js
  function createOutbox({ capacity, onOverflow }) {
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
        if (ids.size > capacity) {
          const oldest = (
            /** @type {string} */
            ids.values().next().value
          );
          ids.delete(oldest);
        }
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
       * Removes every registration of `fn` for `name`, or every handler of `name` when `fn`
       * is not given.
       * @param {string} name
       * @param {Handler} [fn]
       */
      remove(name, fn) {
        update(name, (entries) => fn === void 0 ? [] : entries.filter((e) => e.fn !== fn));
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
  function createRequests({ setTimeout: setTimeout2, clearTimeout: clearTimeout2 }) {
    const pending = /* @__PURE__ */ new Map();
    let lastId = 0;
    function finish(id, settle) {
      const entry = pending.get(id);
      if (!entry) return;
      pending.delete(id);
      clearTimeout2(entry.timer);
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
          const timer = setTimeout2(() => {
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
      }
    };
  }

  // src/client.js
  var RESYNC = "df.resync";
  var RESUMING = /[?&]since=[^&#]/;
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
    let reconnects = 0;
    let recoveries = 0;
    let recoveryFailures = 0;
    const position = createPosition();
    let resuming = false;
    let awaitingRecovery = false;
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
        const since = position.current ? formatPosition(position.current) : "";
        const full = withQuery(socketUrl(
          /** @type {string} */
          url,
          key
        ), "since", since);
        resuming = RESUMING.test(full);
        return full;
      },
      onOpen: ({ reconnected }) => {
        outbox.drain(transmit);
        if (reconnected) reconnects += 1;
        awaitingRecovery = resuming;
        if (reconnected && !resuming) resync(false);
      },
      onText: receive,
      onClose: () => requests.failSent(),
      onStateChange: announce2
    });
    function resync(recovered) {
      if (recovered) recoveries += 1;
      else recoveryFailures += 1;
      registry.dispatch(RESYNC, { recovered });
    }
    function resumeFrom(value) {
      const given = typeof value === "string" ? parsePosition(value) : readPosition(value);
      if (given === null) {
        log.warn('DFSignals: ignored a malformed position (expected "EPOCH:OFFSET"):', value);
      } else {
        position.set(given);
      }
    }
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
    function receive(text2) {
      let frame;
      try {
        frame = parseFrame(text2);
      } catch {
        log.warn("DFSignals: ignored a frame that is not JSON:", text2.slice(0, 200));
        return;
      }
      switch (frame.type) {
        case "signal":
          if (frame.offset !== null) position.raise(frame.offset);
          if (recentSignals.record(frame.signalId)) {
            registry.dispatch(frame.name, frame.opts, frame.signalId);
          }
          break;
        case "position":
          position.set(frame.position);
          if (awaitingRecovery) {
            awaitingRecovery = false;
            resync(frame.recovered === true);
          }
          break;
        case "invalid":
          log.warn(`DFSignals: ignored a malformed frame: ${frame.reason}`);
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
    function announce2(state) {
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
    function listenForWakeUps() {
      const { document: document2 } = env;
      env.eventTarget?.addEventListener("online", () => connection.retryNow());
      document2.addEventListener?.("visibilitychange", () => {
        if (document2.visibilityState === "visible") connection.retryNow();
      });
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
       * Unregisters `fn` from `name`; without `fn`, every handler of `name`, the built-in
       * one included (to replace, say, `html.content` with a sanitising version).
       * @param {string} name
       * @param {import("./registry.js").Handler} [fn]
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
          const error = (
            /** @type {Error} */
            err
          );
          log.warn(`DFSignals: not sent: ${error.message}`);
        }
        return false;
      },
      /**
       * Calls the server handlers of `name` and waits for their result. Local handlers do not
       * run. While disconnected the call waits in the queue; its timeout runs from now.
       * @param {string} name the signal name
       * @param {object} [opts] JSON-serialisable options
       * @param {import("./types.js").RequestOptions} [options] `timeout` in ms (default 10 000)
       * @returns {Promise<any>} the handlers' result, of the type the caller names; rejects
       *   with a SignalError whose `code` is the server's error code, `timeout`, or
       *   `disconnected` (the connection closed after the call was sent)
       */
      request(name, opts = {}, { timeout = settings.requestTimeout } = {}) {
        const { id, promise } = requests.open(name, timeout);
        try {
          transmitOrQueue({ frame: encodeCall(name, opts, id), requestId: id });
        } catch (err) {
          const error = (
            /** @type {import("./errors.js").SignalError} */
            err
          );
          requests.settle({ type: "reply", id, ok: false, error });
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
       * Counters, for a status page or a test: the state, the calls waiting for a connection,
       * the calls dropped because too many waited, the requests waiting for a reply, the
       * reconnections since the first connection, the position to resume from, and how many
       * connections recovered what was missed or could not.
       * @returns {import("./types.js").Stats}
       */
      stats() {
        const current = position.current;
        return {
          state: connection.state,
          queued: outbox.size,
          dropped: outbox.dropped,
          pendingRequests: requests.size,
          reconnects,
          position: current && { epoch: current.epoch, offset: current.offset },
          recoveries,
          recoveryFailures
        };
      },
      /**
       * Sets the URL, window key and/or position to resume from instead of reading them from
       * the page. Call it before the DOM is ready; values given later are used from the next
       * connection attempt on.
       * @param {import("./types.js").ConfigureOptions} [options]
       */
      configure({ url, key, position: resumeAt } = {}) {
        if (url !== void 0) overrides.url = url;
        if (key !== void 0) overrides.key = key;
        if (resumeAt !== void 0) resumeFrom(resumeAt);
        connectIfReady();
      },
      /**
       * Reads the endpoint (and the position, unless `configure` gave one) from the page and
       * connects. Runs by itself once the DOM is ready; later calls do nothing.
       */
      start() {
        if (found !== null) return;
        found = discoverEndpoint(env.document);
        const pagePosition = discoverPosition(env.document);
        if (pagePosition !== null && position.current === null) resumeFrom(pagePosition);
        listenForWakeUps();
        connectIfReady();
      }
    });
  }

  // src/forms.js
  var BUTTON_TYPES = /* @__PURE__ */ new Set(["button", "image", "reset", "submit"]);
  var FIELD_TAGS = /* @__PURE__ */ new Set(["INPUT", "SELECT", "TEXTAREA"]);
  function isButtonInput(element) {
    return element.tagName === "INPUT" && BUTTON_TYPES.has(
      /** @type {HTMLInputElement} */
      element.type
    );
  }
  function listValue(field) {
    if (field.type === "file") return Array.from(
      /** @type {HTMLInputElement} */
      field.files ?? [],
      (f) => f.name
    );
    if (field.type === "select-multiple") {
      return Array.from(
        /** @type {HTMLSelectElement} */
        field.selectedOptions,
        (o) => o.value
      );
    }
    return null;
  }
  function serializeForm(form) {
    const pairs = [];
    for (const field of Array.from(form.elements ?? [])) {
      const f = (
        /** @type {HTMLInputElement} */
        field
      );
      if (!FIELD_TAGS.has(f.tagName) || !f.name || f.disabled || isButtonInput(f)) continue;
      const list = listValue(f);
      if (list !== null) {
        for (const value of list) pairs.push({ name: f.name, value });
      } else if (f.type !== "checkbox" && f.type !== "radio" || f.checked) {
        pairs.push({ name: f.name, value: f.value });
      }
    }
    return pairs;
  }
  function fieldValue(field) {
    const list = listValue(field);
    if (list !== null) return list;
    if (field.type === "checkbox" || field.type === "radio") return (
      /** @type {HTMLInputElement} */
      field.checked
    );
    return field.value;
  }
  function setFormValues(form, values) {
    const fields = Array.from(form.elements ?? []);
    for (const { name, value } of values) {
      const named = fields.filter((field) => (
        /** @type {HTMLInputElement} */
        field.name === name
      ));
      const lone = (
        /** @type {HTMLInputElement | undefined} */
        named.length === 1 ? named[0] : void 0
      );
      if (lone?.type === "checkbox" && typeof value === "string") {
        lone.value = value;
        continue;
      }
      for (const field of named) setField(
        /** @type {HTMLInputElement} */
        field,
        value
      );
    }
  }
  function chooser(value) {
    if (Array.isArray(value)) {
      const chosen = new Set(value.map(String));
      return (candidate) => chosen.has(candidate);
    }
    return (candidate) => candidate === String(value);
  }
  function setField(field, value) {
    if (field.type === "checkbox" || field.type === "radio") {
      const input = (
        /** @type {HTMLInputElement} */
        field
      );
      input.checked = typeof value === "boolean" ? value : chooser(value)(input.value);
    } else if (field.tagName === "SELECT") {
      const chosen = chooser(value);
      for (const option of Array.from(
        /** @type {HTMLSelectElement} */
        field.options
      )) {
        option.selected = chosen(option.value);
      }
    } else if (field.type !== "file" && FIELD_TAGS.has(field.tagName)) {
      field.value = String(value ?? "");
    }
  }

  // src/html-signals.js
  var CONTENT_ADDED = "DOMContentAdded";
  var SLOTS = {
    beforebegin: (el) => [
      /** @type {Node} */
      el.parentNode,
      el.previousSibling,
      el
    ],
    afterbegin: (el) => [el, null, el.firstChild],
    beforeend: (el) => [el, el.lastChild, null],
    afterend: (el) => [
      /** @type {Node} */
      el.parentNode,
      el,
      el.nextSibling
    ]
  };
  function elementsBetween(parent, after, before) {
    const found = [];
    for (let node = after ? after.nextSibling : parent.firstChild; node && node !== before; node = node.nextSibling) {
      if (node.nodeType === 1) found.push(
        /** @type {Element} */
        node
      );
    }
    return found;
  }
  function announce(elements) {
    for (const element of elements) element.dispatchEvent(new Event(CONTENT_ADDED, { bubbles: true }));
  }
  function required(signal, value, argument) {
    if (typeof value !== "string" || value === "") {
      throw new TypeError(`${signal} needs a non-empty string "${argument}"`);
    }
    return value;
  }
  function text(content) {
    return content === void 0 || content === null ? "" : String(content);
  }
  function classList(classNames) {
    return text(classNames).split(/\s+/).filter(Boolean);
  }
  function htmlSignals(document2) {
    const matches = (signal, opts) => Array.from(document2.querySelectorAll(required(signal, opts.selector, "selector")));
    const eachMatch = (signal, change) => (opts) => {
      for (const element of matches(signal, opts)) change(element, opts);
    };
    const insertion = (signal, position) => eachMatch(signal, (element, { content }) => {
      const [parent, after, before] = SLOTS[position](element);
      element.insertAdjacentHTML(position, text(content));
      announce(elementsBetween(parent, after, before));
    });
    return {
      "html.after": insertion("html.after", "afterend"),
      "html.append": insertion("html.append", "beforeend"),
      "html.prepend": insertion("html.prepend", "afterbegin"),
      "html.before": insertion("html.before", "beforebegin"),
      "html.content": eachMatch("html.content", (element, { content }) => {
        element.innerHTML = text(content);
        announce(elementsBetween(element, null, null));
      }),
      "html.replace_with": eachMatch("html.replace_with", (element, { content }) => {
        const parent = element.parentNode;
        if (parent === null) return;
        const [after, before] = [element.previousSibling, element.nextSibling];
        element.outerHTML = text(content);
        announce(elementsBetween(parent, after, before));
      }),
      "html.text": eachMatch("html.text", (element, { content }) => {
        element.textContent = text(content);
      }),
      "html.empty": eachMatch("html.empty", (element) => element.replaceChildren()),
      "html.remove": eachMatch("html.remove", (element) => element.remove()),
      "html.focus": (opts) => {
        const first = (
          /** @type {HTMLElement | undefined} */
          matches("html.focus", opts)[0]
        );
        first?.focus();
      },
      "html.add_class": eachMatch("html.add_class", (element, { class_name }) => {
        element.classList.add(...classList(class_name));
      }),
      "html.remove_class": eachMatch("html.remove_class", (element, { class_name }) => {
        element.classList.remove(...classList(class_name));
      }),
      "html.add_attribute": eachMatch("html.add_attribute", (element, { attr_name, attr_value }) => {
        element.setAttribute(required("html.add_attribute", attr_name, "attr_name"), text(attr_value));
      }),
      "html.remove_attr": eachMatch("html.remove_attr", (element, { attr_name }) => {
        element.removeAttribute(required("html.remove_attr", attr_name, "attr_name"));
      }),
      "html.boolean_attribute": eachMatch("html.boolean_attribute", (element, { name, value }) => {
        required("html.boolean_attribute", name, "name");
        if (value) element.setAttribute(name, name);
        else element.removeAttribute(name);
      }),
      "html.download_file": ({ url, filename }) => {
        const link = document2.createElement("a");
        link.href = required("html.download_file", url, "url");
        link.download = text(filename) || "unknown";
        link.hidden = true;
        document2.body.append(link);
        link.click();
        link.remove();
      },
      "html.forms.set": eachMatch("html.forms.set", (form, { values }) => {
        setFormValues(
          /** @type {HTMLFormElement} */
          form,
          Array.isArray(values) ? values : []
        );
      })
    };
  }

  // src/bindings.js
  var ATTRIBUTE = "data-df-signal";
  function parseBindings(text2) {
    const parsed = JSON.parse(text2);
    if (!Array.isArray(parsed)) throw new TypeError(`${ATTRIBUTE} must be a JSON list`);
    return parsed.filter((entry) => typeof entry?.name === "string" && entry.name !== "");
  }
  function defaultEvent(element) {
    switch (element.tagName) {
      case "FORM":
        return "submit";
      case "TEXTAREA":
      case "SELECT":
        return "change";
      case "INPUT":
        return isButtonInput(element) ? "click" : "change";
      default:
        return "click";
    }
  }
  function shouldPrevent(binding, eventName) {
    return binding.prevent === true || (binding.prevent === void 0 || binding.prevent === null) && eventName !== "change";
  }
  function callOptions(binding, element) {
    const opts = { ...binding.opts };
    if (binding.form) {
      const el = (
        /** @type {HTMLInputElement} */
        element
      );
      const form = el.tagName === "FORM" ? (
        /** @type {HTMLFormElement} */
        element
      ) : el.form ?? element.closest("form");
      opts[binding.form] = form ? serializeForm(form) : [];
    }
    if (binding.value) opts[binding.value] = fieldValue(
      /** @type {HTMLInputElement} */
      element
    );
    return opts;
  }
  function bindTree(root, { call, bound, warn }) {
    const own = "matches" in root && root.matches(`[${ATTRIBUTE}]`) ? [root] : [];
    for (const element of [...own, ...Array.from(root.querySelectorAll(`[${ATTRIBUTE}]`))]) {
      if (bound.has(element)) continue;
      bound.add(element);
      let bindings;
      try {
        bindings = parseBindings(
          /** @type {string} */
          element.getAttribute(ATTRIBUTE)
        );
      } catch (err) {
        const error = (
          /** @type {Error} */
          err
        );
        warn(`ignored an invalid ${ATTRIBUTE} attribute (${error.message})`, element);
        continue;
      }
      for (const binding of bindings) {
        const eventName = binding.on || defaultEvent(element);
        element.addEventListener(eventName, (event) => {
          call(binding.name, callOptions(binding, element));
          if (shouldPrevent(binding, eventName)) event.preventDefault();
        });
      }
    }
  }
  function watchBindings({ document: document2, setTimeout: setTimeout2, call, warn }) {
    const bound = /* @__PURE__ */ new WeakSet();
    const later = (root) => setTimeout2(() => bindTree(root, { call, bound, warn }), 0);
    document2.addEventListener(CONTENT_ADDED, (event) => later(
      /** @type {Element} */
      event.target
    ));
    if (document2.readyState === "loading") {
      document2.addEventListener("DOMContentLoaded", () => later(document2), { once: true });
    } else {
      later(document2);
    }
  }

  // src/notify.js
  var LEVELS = Object.freeze(["info", "success", "warning", "error"]);
  var DEFAULT_TIMEOUT = 5e3;
  var STYLES = `
:where(.df-notify-region){position:fixed;z-index:2147483000;right:1rem;bottom:1rem;display:flex;flex-direction:column;gap:.5rem;width:min(24rem,calc(100vw - 2rem));pointer-events:none}
:where(.df-notify){--df-notify-accent:#2563eb;position:relative;box-sizing:border-box;padding:.75rem 2.5rem .75rem 1rem;border-left:4px solid var(--df-notify-accent);border-radius:.5rem;background:#fff;color:#1f2937;box-shadow:0 4px 16px rgb(0 0 0/.18);font:14px/1.4 system-ui,sans-serif;overflow-wrap:anywhere;pointer-events:auto}
:where(.df-notify-success){--df-notify-accent:#16a34a}
:where(.df-notify-warning){--df-notify-accent:#d97706}
:where(.df-notify-error){--df-notify-accent:#dc2626}
:where(.df-notify-title){font-weight:600}
:where(.df-notify-message){white-space:pre-line}
:where(.df-notify>button){position:absolute;top:.25rem;right:.25rem;width:2rem;height:2rem;border:0;border-radius:.25rem;background:none;color:inherit;font-size:1.25rem;line-height:1;cursor:pointer;opacity:.7}
:where(.df-notify>button:hover,.df-notify>button:focus-visible){opacity:1}
@media (prefers-color-scheme:dark){:where(.df-notify){--df-notify-accent:#60a5fa;background:#1f2937;color:#f3f4f6}:where(.df-notify-success){--df-notify-accent:#4ade80}:where(.df-notify-warning){--df-notify-accent:#fbbf24}:where(.df-notify-error){--df-notify-accent:#f87171}}
`;
  function notifyLevel(level) {
    return LEVELS.includes(
      /** @type {string} */
      level
    ) ? (
      /** @type {string} */
      level
    ) : "info";
  }
  function notifyTimeout(timeout) {
    return typeof timeout === "number" && Number.isFinite(timeout) && timeout >= 0 ? timeout : DEFAULT_TIMEOUT;
  }
  function asText(value) {
    return value === void 0 || value === null ? "" : String(value);
  }
  function createNotifier({ document: document2, setTimeout: setTimeout2, clearTimeout: clearTimeout2 }) {
    let region = null;
    function element(tag, className, content) {
      const el = document2.createElement(tag);
      if (className) el.className = className;
      if (content !== void 0) el.textContent = content;
      return el;
    }
    function ensureRegion() {
      if (!document2.querySelector("style[data-df-notify]")) {
        const style = element("style", "", STYLES);
        style.setAttribute("data-df-notify", "");
        document2.head.prepend(style);
      }
      if (region === null || !region.isConnected) {
        region = element("div", "df-notify-region");
        region.setAttribute("aria-live", "polite");
        document2.body.append(region);
      }
      return region;
    }
    return (opts) => {
      const { level, title, message, timeout } = opts ?? {};
      const toast = element("div", `df-notify df-notify-${notifyLevel(level)}`);
      toast.setAttribute("role", "status");
      if (asText(title)) toast.append(element("div", "df-notify-title", asText(title)));
      toast.append(element("div", "df-notify-message", asText(message)));
      const close = element("button", "", "×");
      close.setAttribute("type", "button");
      close.setAttribute("aria-label", "Dismiss");
      toast.append(close);
      const delay = notifyTimeout(timeout);
      let timer = null;
      const dismiss = () => {
        clearTimeout2(timer);
        toast.remove();
      };
      const pause = () => clearTimeout2(timer);
      const resume = () => {
        clearTimeout2(timer);
        if (delay > 0) timer = setTimeout2(dismiss, delay);
      };
      close.addEventListener("click", dismiss);
      toast.addEventListener("mouseenter", pause);
      toast.addEventListener("mouseleave", resume);
      toast.addEventListener("focusin", pause);
      toast.addEventListener("focusout", resume);
      ensureRegion().append(toast);
      resume();
      return toast;
    };
  }

  // src/page.js
  var NOTIFY = "df.notify";
  function installPageFeatures(client, { document: document2, setTimeout: setTimeout2, clearTimeout: clearTimeout2, console: log }) {
    for (const [name, handler] of Object.entries(htmlSignals(document2))) client.connect(name, handler);
    client.connect(NOTIFY, createNotifier({ document: document2, setTimeout: setTimeout2, clearTimeout: clearTimeout2 }));
    watchBindings({
      document: document2,
      setTimeout: setTimeout2,
      call: client.call,
      warn: (message, element) => log.warn(`DFSignals: ${message}:`, element)
    });
  }

  // src/browser.js
  var setTimeout = (fn, ms) => globalThis.setTimeout(fn, ms);
  var clearTimeout = (timer) => globalThis.clearTimeout(
    /** @type {number} */
    timer
  );
  var DFSignals = createClient({
    WebSocket: globalThis.WebSocket,
    setTimeout,
    clearTimeout,
    // Monotonic: a wall-clock jump must not make a live socket look silent.
    now: () => globalThis.performance.now(),
    random: Math.random,
    console: globalThis.console,
    document: globalThis.document,
    eventTarget: globalThis
  });
  installPageFeatures(DFSignals, { document, setTimeout, clearTimeout, console: globalThis.console });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => DFSignals.start(), { once: true });
  } else {
    DFSignals.start();
  }

  // src/global.js
  globalThis.DFSignals = DFSignals;
})();
