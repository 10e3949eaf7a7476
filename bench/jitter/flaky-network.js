/**
 * One window's network link, which the benchmark can pull out: a WebSocket constructor to
 * inject into `createClient` (npm `ws` underneath) plus `cut(ms)`, which destroys the TCP
 * socket of every websocket opened through the link, without a close frame (as a dropped
 * network does), and keeps the link down for `ms`: while it is down, a new websocket fails
 * at once (an error, then a close with 1006, as a browser reports a connection that could
 * not be made), so the client goes through its own backoff until the link is back.
 */
import WebSocket from "ws";

/** WebSocket.CLOSED: the state of a socket that could not be opened. */
const CLOSED = 3;
/** What a browser reports for a connection that ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;

/**
 * Options of every real socket: no permessage-deflate, like the Rust load generator of the
 * other benchmarks, so that no target spends time compressing frames.
 * @type {import("ws").ClientOptions}
 */
const SOCKET_OPTIONS = { perMessageDeflate: false };

/**
 * @typedef {object} Link
 * @property {new (url: string) => globalThis.WebSocket} WebSocket the constructor to inject
 * @property {(ms: number) => void} cut destroys every open or opening socket and keeps the
 *   link down for `ms` (from now; a cut during a cut extends it)
 * @property {() => void} shutDown destroys every socket and keeps the link down for good
 * @property {() => boolean} isDown
 * @property {() => {cuts: number, failedWhileDown: number, socketErrors: number}} counters
 *   cuts made, sockets refused while down, `error` events of real sockets (a destroyed
 *   socket that was still connecting reports one)
 */

/**
 * @param {() => number} now a clock in ms
 * @returns {Link}
 */
export function createLink(now) {
  /** @type {Set<WebSocket>} */
  const sockets = new Set();
  let downUntil = 0;
  let cuts = 0;
  let failedWhileDown = 0;
  let socketErrors = 0;

  const isDown = () => now() < downUntil;

  /** Destroys every socket of the link, whatever its state. */
  function destroyAll() {
    for (const socket of sockets) socket.terminate();
    sockets.clear();
  }

  /**
   * The injected constructor. Called with `new`; returns the socket it opened (a `ws`
   * WebSocket, whose `onopen`/`onmessage`/`onclose` properties and string `data` for text
   * frames are those of the browser API), or a socket that fails at once while the link is
   * down.
   * @param {string} url
   */
  function LinkWebSocket(url) {
    if (isDown()) {
      failedWhileDown += 1;
      return unreachableSocket(url);
    }
    const socket = new WebSocket(url, SOCKET_OPTIONS);
    // `ws` throws an `error` event nobody listens to; the client only needs the close.
    socket.on("error", () => {
      socketErrors += 1;
    });
    socket.on("close", () => sockets.delete(socket));
    sockets.add(socket);
    return socket;
  }

  return {
    WebSocket: /** @type {any} */ (LinkWebSocket),
    cut(ms) {
      cuts += 1;
      downUntil = Math.max(downUntil, now() + ms);
      destroyAll();
    },
    shutDown() {
      downUntil = Infinity;
      destroyAll();
    },
    isDown,
    counters: () => ({ cuts, failedWhileDown, socketErrors }),
  };
}

/**
 * A websocket that never connects: after the caller has set its handlers, `onerror` then
 * `onclose` with code 1006, as a browser reports a network that is down.
 * @param {string} url
 */
function unreachableSocket(url) {
  const socket = {
    url,
    readyState: 0,
    /** @type {((event: object) => void) | null} */
    onopen: null,
    /** @type {((event: object) => void) | null} */
    onmessage: null,
    /** @type {((event: object) => void) | null} */
    onerror: null,
    /** @type {((event: {code: number, reason: string, wasClean: boolean}) => void) | null} */
    onclose: null,
    send() {
      throw new Error("InvalidStateError: the socket is not open");
    },
    close() {},
  };
  setImmediate(() => {
    socket.readyState = CLOSED;
    socket.onerror?.({ type: "error" });
    socket.onclose?.({ code: ABNORMAL_CLOSURE, reason: "", wasClean: false });
  });
  return socket;
}
