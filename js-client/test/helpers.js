// Test doubles for the client's environment: a manual clock, a scriptable WebSocket, a
// recording console, a page with meta tags and cookies, and a client built from them.
import { createClient } from "../src/client.js";

/** A clock whose timers run only when the test advances it. */
export class FakeClock {
  time = 0;
  #timers = new Map();
  #lastId = 0;

  setTimeout = (fn, ms) => {
    this.#lastId += 1;
    this.#timers.set(this.#lastId, { at: this.time + Math.max(0, ms), fn });
    return this.#lastId;
  };

  clearTimeout = (id) => {
    this.#timers.delete(id);
  };

  now = () => this.time;

  /** Moves time forward by `ms`, running due timers in order (ties in creation order). */
  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      let next = null;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= end && (next === null || timer.at < next[1].at)) next = [id, timer];
      }
      if (next === null) break;
      this.#timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }

  /** @returns {number[]} the delays, from now, of the pending timers */
  pendingDelays() {
    return [...this.#timers.values()].map((t) => t.at - this.time);
  }
}

/** @returns a WebSocket class whose instances the test drives, and the list of them */
export function fakeWebSocket() {
  const sockets = [];
  class FakeWebSocket {
    readyState = 0;
    sent = [];
    closedWith = null;

    constructor(url) {
      if (!/^wss?:\/\/./.test(url)) throw new SyntaxError(`invalid websocket URL: ${url}`);
      this.url = url;
      sockets.push(this);
    }

    send(text) {
      if (this.readyState !== 1) throw new Error("InvalidStateError: not open");
      this.sent.push(text);
    }

    close(code, reason) {
      this.closedWith = { code, reason };
      this.readyState = 2;
    }

    /** The server accepts the connection. */
    accept() {
      this.readyState = 1;
      this.onopen?.({});
    }

    /** The server sends a frame: a string as is, anything else as JSON. */
    deliver(frame) {
      this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
    }

    /** The connection ends with close code `code`. */
    drop(code = 1006) {
      this.readyState = 3;
      this.onclose?.({ code });
    }

    /** @returns {object[]} the JSON frames sent, heartbeats left out */
    frames() {
      return this.sent.filter((t) => t !== "--heartbeat--").map((t) => JSON.parse(t));
    }
  }
  return { FakeWebSocket, sockets };
}

/** A console that records what it is told, by level. */
export function recordingConsole() {
  const lines = { info: [], warn: [], error: [] };
  const record = (level) => (...args) => lines[level].push(args.map(String).join(" "));
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}

/**
 * A document with the given meta tags and cookie string; an event target whose
 * `visibilityState` the test may change.
 * @param {{meta?: Record<string, string>, cookie?: string}} page
 */
export function fakeDocument({ meta = {}, cookie = "" } = {}) {
  return Object.assign(new EventTarget(), {
    cookie,
    visibilityState: "visible",
    querySelector(selector) {
      const name = /^meta\[name="([^"]+)"\]$/.exec(selector)?.[1];
      return name in meta ? { getAttribute: (attr) => (attr === "content" ? meta[name] : null) } : null;
    },
  });
}

export const WS_URL = "ws://switchboard.test/ws/";
export const KEY = "k3y0000000000000000000000000000a";

/**
 * A client on fakes, started unless `start: false`. Random is 0.5 unless given.
 * @param {object} [options]
 */
export function setup({ page, random = () => 0.5, settings, start = true } = {}) {
  const clock = new FakeClock();
  const { FakeWebSocket, sockets } = fakeWebSocket();
  const log = recordingConsole();
  const eventTarget = new EventTarget();
  const document = fakeDocument(page ?? { meta: { "df-ws-url": WS_URL, "df-window-key": KEY } });
  const client = createClient({
    WebSocket: FakeWebSocket,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: clock.now,
    random,
    console: log,
    document,
    eventTarget,
    settings,
  });
  if (start) client.start();
  return {
    client,
    clock,
    sockets,
    log,
    eventTarget,
    document,
    /** @returns the newest socket */
    get socket() {
      return sockets.at(-1);
    },
  };
}
