// A TCP proxy that can fail like a network: pages reach the server's websocket through it,
// and a test can cut every connection abruptly or refuse new ones for a while.
//
// - `cut()` resets both sides of every current connection (`resetAndDestroy()`: a TCP RST,
//   no websocket close frame), so the browser sees close code 1006 and the server a broken
//   socket, as when a network drops.
// - `refuse(ms)` accepts new connections and resets them at once, for `ms` milliseconds or
//   until `accept()`: the browser's reconnection attempts fail (1006) the way they do while
//   a network is down. The port stays bound, so accepting again needs no new listener.
//
// Bytes are copied unchanged in both directions; the proxy knows nothing of websockets.
import net from "node:net";

/**
 * A running proxy.
 * @typedef {object} CuttingProxy
 * @property {number} port the port it listens on (127.0.0.1)
 * @property {string} wsURL `ws://127.0.0.1:PORT/ws/`, for `--public-ws-url`
 * @property {number | null} target the server port connections are forwarded to; may be set
 *   (or changed) at any time, it applies to the next connections
 * @property {boolean} refusing whether new connections are being refused
 * @property {{accepted: number, refused: number, cut: number}} counts connections forwarded,
 *   refused while refusing, and cut by `cut()`, since the start
 * @property {() => number} open the connections currently forwarded
 * @property {() => number} cut resets every current connection; returns how many
 * @property {(ms?: number) => Promise<void>} refuse resets every new connection from now on,
 *   for `ms` milliseconds when given, else until `accept()`; settles when it accepts again
 * @property {() => void} accept forwards new connections again (ends a refusal early)
 * @property {() => Promise<void>} close cuts everything and stops listening
 */

/**
 * Starts a proxy on 127.0.0.1 (a free port) forwarding to `127.0.0.1:target`.
 * @param {{target?: number | null}} [options] the server's port; may be set later, before the
 *   first connection arrives (a connection arriving without a target is reset)
 * @returns {Promise<CuttingProxy>}
 */
export async function startCuttingProxy({ target = null } = {}) {
  /** Both sockets of every forwarded connection. */
  const pairs = new Set();
  const counts = { accepted: 0, refused: 0, cut: 0 };
  /** The end of the current refusal: its timer, and what settles its promise. */
  let refusal = null;

  /** @param {net.Socket} socket */
  function reset(socket) {
    if (!socket.destroyed) socket.resetAndDestroy();
  }

  const server = net.createServer({ noDelay: true }, (client) => {
    // Errors (ECONNRESET, EPIPE) are how these sockets end; each side ends the other.
    client.on("error", () => {});
    if (proxy.refusing || proxy.target === null) {
      counts.refused += 1;
      reset(client);
      return;
    }
    counts.accepted += 1;
    const upstream = net.connect({ host: "127.0.0.1", port: proxy.target, noDelay: true });
    upstream.on("error", () => {});
    const pair = { client, upstream };
    pairs.add(pair);
    // A reset on one side is passed on as a reset; an orderly end (FIN) as an end, by pipe().
    client.on("close", (hadError) => {
      pairs.delete(pair);
      if (hadError) reset(upstream);
    });
    upstream.on("close", (hadError) => {
      pairs.delete(pair);
      if (hadError) reset(client);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = /** @type {net.AddressInfo} */ (server.address());

  /** @type {CuttingProxy} */
  const proxy = {
    port,
    wsURL: `ws://127.0.0.1:${port}/ws/`,
    target,
    refusing: false,
    counts,
    open: () => pairs.size,
    cut() {
      const n = pairs.size;
      for (const { client, upstream } of pairs) {
        reset(client);
        reset(upstream);
      }
      pairs.clear();
      counts.cut += n;
      return n;
    },
    refuse(ms) {
      proxy.accept();
      proxy.refusing = true;
      return new Promise((resolve) => {
        refusal = { timer: ms === undefined ? null : setTimeout(() => proxy.accept(), ms), resolve };
      });
    },
    accept() {
      proxy.refusing = false;
      if (refusal !== null) {
        clearTimeout(refusal.timer);
        refusal.resolve();
        refusal = null;
      }
    },
    async close() {
      proxy.accept();
      proxy.cut();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
