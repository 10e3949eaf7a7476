// Recovery after a lost connection (PROTOCOL.md §5.6): the page reaches the server's websocket
// only through a proxy that cuts its connection abruptly (RST, no close frame) and refuses
// reconnections for a while; the page comes back with `since` and the server replays what it
// missed, or says it cannot (`df.resync` `{recovered: false}`).
//
// The page itself is loaded from the server directly; `--public-ws-url` points its
// `df-ws-url` meta tag at the proxy. After the proxy accepts again, the page is nudged with
// an `online` event (the client then retries at once rather than at the end of its backoff
// delay, which may be several seconds after a few refused attempts).
//
// The last suite runs two nodes on one private Redis (PROTOCOL.md §8): the proxy is pointed
// at the other node while the page is away, so the page comes back to a node it was never
// connected to, which recovers from the shared history.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startCuttingProxy } from "./cutting-proxy.js";
import {
  Suite,
  TIMEOUT,
  metric,
  newApiKey,
  openPage,
  recordCloseCodes,
  startRedis,
  startServer,
  trigger,
  waitFor,
  windowKey,
} from "./harness.js";

/** The signal the tests trigger; the page records each one it handles. */
const SIGNAL = "e2e.recovery";

/**
 * The page is served by the server, its socket goes through the proxy (another port): not the
 * same origin, so the test servers allow any (PROTOCOL.md §3.3).
 */
const PAGE_ELSEWHERE = ["--allowed-origin", "*"];

/** How long reconnections are refused after a cut, in ms: the page tries a few times. */
const REFUSAL_MS = 3_000;

/**
 * Starts the proxy and a suite whose pages connect through it.
 * @param {string[]} [args] more server options
 * @returns {Promise<{suite: Suite, proxy: import("./cutting-proxy.js").CuttingProxy}>}
 */
async function startBehindProxy(args = []) {
  const proxy = await startCuttingProxy();
  try {
    const suite = await Suite.start({ args: ["--public-ws-url", proxy.wsURL, ...PAGE_ELSEWHERE, ...args] });
    proxy.target = suite.server.port;
    return { suite, proxy };
  } catch (err) {
    await proxy.close();
    throw err;
  }
}

/**
 * Opens the demo page in a fresh context (a new guest user), puts its window in a topic of
 * its own, and starts recording in `window.__log`, in order, every `SIGNAL` it handles as
 * `["signal", n, signalId]` and every `df.resync` as `["resync", opts]`.
 * @param {Suite} suite
 * @param {import("./cutting-proxy.js").CuttingProxy} proxy
 * @returns {Promise<{page: import("playwright-core").Page, key: string, user: string, topic: string}>}
 */
async function openRecordingPage(suite, proxy) {
  const context = await suite.context();
  await context.addInitScript(recordCloseCodes);
  // Only the page's socket is needed, not the demo's own start-up (`openDemo`): that one
  // waits for the demo to have run `demo.whoami`, which it never does when its script runs
  // after the socket has opened (a race of the demo page under load).
  const page = await openPage(context, "/");
  assert.ok(proxy.open() >= 1, "the page's websocket goes through the proxy");
  const key = await windowKey(page);
  const room = `recovery-${randomBytes(4).toString("hex")}`;
  const { user, topic } = await page.evaluate(async (name) => {
    const me = await window.DFSignals.request("demo.whoami");
    const joined = await window.DFSignals.request("demo.join", { room: name });
    return { user: me.user.id, topic: joined.topic };
  }, room);
  await page.evaluate((name) => {
    window.__log = [];
    window.DFSignals.connect(name, (opts, signalId) => window.__log.push(["signal", opts.n, signalId]));
    window.DFSignals.connect("df.resync", (opts) => window.__log.push(["resync", opts]));
  }, SIGNAL);
  return { page, key, user, topic };
}

/** @param {import("playwright-core").Page} page */
function pageLog(page) {
  return page.evaluate(() => window.__log);
}

/** @param {import("playwright-core").Page} page */
function stats(page) {
  return page.evaluate(() => window.DFSignals.stats());
}

/**
 * What the page and the proxy look like, for failure messages.
 * @param {import("playwright-core").Page} page
 * @param {import("./cutting-proxy.js").CuttingProxy} proxy
 */
async function describeState(page, proxy) {
  const state = await page.evaluate(() => ({
    log: window.__log,
    stats: window.DFSignals.stats(),
    closeCodes: window.__wsCloseCodes,
  }));
  return JSON.stringify({ ...state, proxy: { ...proxy.counts, refusing: proxy.refusing, open: proxy.open() } }, null, 1);
}

/**
 * Waits until the page has handled `SIGNAL` with each of `ns`.
 * @param {import("playwright-core").Page} page
 * @param {import("./cutting-proxy.js").CuttingProxy} proxy
 * @param {number[]} ns
 */
async function waitForSignals(page, proxy, ns) {
  await waitFor(page, (want) => want.every((n) => window.__log.some(([kind, m]) => kind === "signal" && m === n)), ns, {
    message: `the page handles ${SIGNAL} ${ns.join(", ")}`,
    describe: () => describeState(page, proxy),
  });
}

/**
 * Cuts the page's connection (RST on both sides) and waits until the page has noticed. Call
 * `proxy.refuse()` first, or the page may be back before the test has done anything.
 * @param {import("playwright-core").Page} page
 * @param {import("./cutting-proxy.js").CuttingProxy} proxy
 */
async function cut(page, proxy) {
  assert.ok(proxy.cut() >= 1, "the proxy had the page's connection to cut");
  await waitFor(page, () => window.DFSignals.state !== "open" && window.__wsCloseCodes.includes(1006), null, {
    message: "the page sees its socket drop without a close frame (1006) and leaves the open state",
    describe: () => describeState(page, proxy),
  });
}

/**
 * Once the proxy accepts again: waits until the page is connected again and its `df.resync`
 * has run. While the page waits to retry, an `online` event makes it retry at once.
 * @param {import("playwright-core").Page} page
 * @param {import("./cutting-proxy.js").CuttingProxy} proxy
 */
async function waitForComeBack(page, proxy) {
  await waitFor(
    page,
    () => {
      if (window.DFSignals.state === "closed") window.dispatchEvent(new Event("online"));
      return window.DFSignals.state === "open" && window.__log.some(([kind]) => kind === "resync");
    },
    null,
    {
      timeout: TIMEOUT.open,
      message: "the page reconnects through the proxy and runs df.resync",
      describe: () => describeState(page, proxy),
    },
  );
}

describe("recovery of what a page missed while its connection was cut", { timeout: 40_000 }, () => {
  /** @type {Suite} */
  let suite;
  /** @type {import("./cutting-proxy.js").CuttingProxy} */
  let proxy;

  before(async () => {
    ({ suite, proxy } = await startBehindProxy());
  });

  after(async () => {
    await proxy?.close();
    await suite?.close();
  });

  it("replays every missed signal once, in order, before newer ones, and dispatches df.resync {recovered: true}", async () => {
    const { page, key, user, topic } = await openRecordingPage(suite, proxy);
    /** @type {Array<["signal", number, string]>} what the page should handle, in order */
    const expected = [];
    /**
     * Triggers `SIGNAL` `{n}` to `to` and returns its signal_id.
     * @param {number} n
     * @param {unknown[]} to
     */
    const send = async (n, to) => (await trigger(suite.server, SIGNAL, { n }, to)).signal_id;
    const sendToPage = async (n, to) => expected.push(["signal", n, await send(n, to)]);

    // Live.
    await sendToPage(1, [{ window: key }]);
    await sendToPage(2, [{ topic }]);
    await sendToPage(3, [{ user }]);
    await waitForSignals(page, proxy, [1, 2, 3]);
    const live = await stats(page);
    assert.equal(typeof live.position?.epoch, "string", "the page holds a position once connected");
    assert.equal(live.recoveries + live.recoveryFailures, 0, "no resync on the first connection");

    const refusal = proxy.refuse(REFUSAL_MS);
    await cut(page, proxy);

    // While the page is away: every kind of destination, one trigger to several of them at
    // once, and one to a topic the page is not in.
    await sendToPage(4, [{ window: key }]);
    await sendToPage(5, [{ topic }]);
    await sendToPage(6, [{ user }]);
    await sendToPage(7, ["broadcast"]);
    await sendToPage(8, [{ window: key }, { user }, { topic }, "broadcast"]);
    await send(9, [{ topic: `${topic}-elsewhere` }]);
    await sendToPage(10, [{ topic }, { user }]);
    assert.ok(proxy.refusing, "every missed signal was triggered while the page was away");
    assert.deepEqual(await pageLog(page), expected.slice(0, 3), "nothing reached the page while it was away");

    // The rest of the refusal window: the page tries, and is refused.
    await refusal;
    assert.ok(proxy.counts.refused >= 1, `the page tried to reconnect while refused: ${JSON.stringify(proxy.counts)}`);
    await waitForComeBack(page, proxy);

    // Live again: after the replayed ones.
    const after11 = await send(11, [{ window: key }]);
    await waitForSignals(page, proxy, [11]);
    assert.deepEqual(
      await pageLog(page),
      [...expected, ["resync", { recovered: true }], ["signal", 11, after11]],
      "each signal once, in trigger order: the live ones, the missed ones, df.resync {recovered: true}, the newer one",
    );
    const { recoveries, recoveryFailures, reconnects, position } = await stats(page);
    assert.deepEqual({ recoveries, recoveryFailures, reconnects }, { recoveries: 1, recoveryFailures: 0, reconnects: 1 });
    assert.equal(position.epoch, live.position.epoch, "the same history");
    assert.ok(position.offset > live.position.offset, "the position moved on");
    assert.deepEqual(suite.pageErrors, []);
    await page.context().close();
  });

  it("delivers once, in order, signals triggered while the page comes back (replay and live meet)", async () => {
    const { page, key, topic } = await openRecordingPage(suite, proxy);
    /** @type {Array<["signal", number, string]>} */
    const expected = [];
    let n = 0;
    const next = async () => {
      n += 1;
      const to = n % 2 ? [{ window: key }] : [{ topic }, "broadcast"];
      expected.push(["signal", n, (await trigger(suite.server, SIGNAL, { n }, to)).signal_id]);
    };

    proxy.refuse();
    await cut(page, proxy);
    for (let i = 0; i < 5; i++) await next();
    proxy.accept();
    // One sender, one trigger at a time, from the moment the proxy accepts until ten after
    // the page is back: some land before the page's history is read, some while it is read,
    // some after. At most 100 in all, so that each topic's history (100) still holds them.
    let back = false;
    let sentAfterBack = 0;
    const sending = (async () => {
      while (n < 100 && sentAfterBack < 10) {
        await next();
        if (back) sentAfterBack += 1;
      }
    })();
    try {
      await waitForComeBack(page, proxy);
    } finally {
      back = true;
      await sending;
    }
    await waitForSignals(page, proxy, [n]);

    const log = await pageLog(page);
    assert.deepEqual(
      log.filter(([kind]) => kind === "signal"),
      expected,
      "every signal once, in trigger order",
    );
    assert.deepEqual(
      log.filter(([kind]) => kind === "resync"),
      [["resync", { recovered: true }]],
    );
    const { recoveries, recoveryFailures } = await stats(page);
    assert.deepEqual({ recoveries, recoveryFailures }, { recoveries: 1, recoveryFailures: 0 });
    assert.deepEqual(suite.pageErrors, []);
    await page.context().close();
  });

  // Runs last: it replaces the suite's server.
  it("after a restart of the server (in-memory broker) dispatches df.resync {recovered: false}", async () => {
    const { page, key } = await openRecordingPage(suite, proxy);
    const first = (await trigger(suite.server, SIGNAL, { n: 1 }, [{ window: key }])).signal_id;
    await waitForSignals(page, proxy, [1]);
    const old = await stats(page);

    proxy.refuse();
    await cut(page, proxy);
    const { port, apiKey, args } = suite.server;
    await suite.server.stop();
    suite.adopt(await startServer({ port, apiKey, args }));
    proxy.accept();
    await waitForComeBack(page, proxy);

    // The new process has lost the registration too: the page is an anonymous window now,
    // which no trigger reaches. Only the resync outcome is checked.
    assert.deepEqual(await pageLog(page), [
      ["signal", 1, first],
      ["resync", { recovered: false }],
    ]);
    const { recoveries, recoveryFailures, reconnects, position } = await stats(page);
    assert.deepEqual({ recoveries, recoveryFailures, reconnects }, { recoveries: 0, recoveryFailures: 1, reconnects: 1 });
    assert.notEqual(position?.epoch, old.position.epoch, "the page took the new server's position");
    assert.deepEqual(suite.pageErrors, []);
    await page.context().close();
  });
});

describe("recovery impossible: more missed than the history keeps", { timeout: 30_000 }, () => {
  /** @type {Suite} */
  let suite;
  /** @type {import("./cutting-proxy.js").CuttingProxy} */
  let proxy;

  before(async () => {
    ({ suite, proxy } = await startBehindProxy(["--history-size", "2"]));
  });

  after(async () => {
    await proxy?.close();
    await suite?.close();
  });

  it("replays nothing, dispatches df.resync {recovered: false}, and live delivery goes on", async () => {
    const { page, key, topic } = await openRecordingPage(suite, proxy);
    const send = async (n, to) => (await trigger(suite.server, SIGNAL, { n }, to)).signal_id;
    const first = await send(1, [{ topic }]);
    await waitForSignals(page, proxy, [1]);

    const refusal = proxy.refuse(REFUSAL_MS);
    await cut(page, proxy);
    // One to the window, which alone could be replayed, and three to the topic, which keeps
    // only two: the recovery fails as a whole, nothing is replayed.
    await send(2, [{ window: key }]);
    await send(3, [{ topic }]);
    await send(4, [{ topic }]);
    await send(5, [{ topic }]);
    assert.ok(proxy.refusing, "every missed signal was triggered while the page was away");
    await refusal;
    await waitForComeBack(page, proxy);

    const live6 = await send(6, [{ topic }]);
    const live7 = await send(7, [{ window: key }]);
    await waitForSignals(page, proxy, [6, 7]);
    assert.deepEqual(await pageLog(page), [
      ["signal", 1, first],
      ["resync", { recovered: false }],
      ["signal", 6, live6],
      ["signal", 7, live7],
    ]);
    const { recoveries, recoveryFailures, reconnects } = await stats(page);
    assert.deepEqual({ recoveries, recoveryFailures, reconnects }, { recoveries: 0, recoveryFailures: 1, reconnects: 1 });
    assert.deepEqual(suite.pageErrors, []);
    await page.context().close();
  });
});

describe("recovery across nodes (Redis)", { timeout: 60_000 }, () => {
  /** @type {import("./harness.js").Redis} */
  let redis;
  /** @type {import("./cutting-proxy.js").CuttingProxy} */
  let proxy;
  /** @type {Suite} node A (`suite.server`), which serves the page, and the browser */
  let suite;
  /** @type {import("./harness.js").Server} node B, which the page comes back to */
  let nodeB;

  before(async () => {
    redis = await startRedis();
    proxy = await startCuttingProxy();
    // One API key, one Redis: the nodes act as one server. The demo page registers its
    // window (and `demo.join` its topic) in Redis through node A; node B reads them there.
    const apiKey = newApiKey();
    const args = ["--redis", redis.url, "--public-ws-url", proxy.wsURL, ...PAGE_ELSEWHERE];
    const [a, b] = await Promise.allSettled([Suite.start({ apiKey, args }), startServer({ apiKey, args })]);
    if (a.status === "fulfilled") suite = a.value;
    if (b.status === "fulfilled") nodeB = b.value;
    if (a.status === "rejected") throw a.reason;
    if (b.status === "rejected") throw b.reason;
    proxy.target = suite.server.port;
  });

  after(async () => {
    try {
      await proxy?.close();
      await suite?.close();
      await nodeB?.stop();
    } finally {
      await redis?.stop();
    }
  });

  it("a page cut from node A comes back to node B and recovers every signal triggered through either node", async () => {
    const nodeA = suite.server;
    const { page, key, user, topic } = await openRecordingPage(suite, proxy);
    /** @type {Array<["signal", number, string]>} what the page should handle, in order */
    const expected = [];
    /**
     * Triggers `SIGNAL` `{n}` to `to` through `node` and returns its signal_id.
     * @param {import("./harness.js").Server} node
     * @param {number} n
     * @param {unknown[]} to
     */
    const send = async (node, n, to) => (await trigger(node, SIGNAL, { n }, to)).signal_id;
    const sendToPage = async (node, n, to) => expected.push(["signal", n, await send(node, n, to)]);
    const recovered = 'switchboard_recoveries_total{outcome="recovered"}';
    const nodeMetrics = async (node) => ({
      recovered: await metric(node, recovered),
      connections: await metric(node, "switchboard_connections_total"),
    });

    // Live, through both nodes: the page is on A; B's triggers reach it through Redis.
    await sendToPage(nodeA, 1, [{ window: key }]);
    await sendToPage(nodeB, 2, [{ window: key }]);
    await sendToPage(nodeB, 3, [{ topic }]);
    await waitForSignals(page, proxy, [1, 2, 3]);
    const live = await stats(page);
    assert.equal(typeof live.position?.epoch, "string", "the page holds a position once connected");
    const beforeA = await nodeMetrics(nodeA);
    const beforeB = await nodeMetrics(nodeB);
    assert.equal(beforeA.connections, 1, "the page's socket is on node A");
    assert.deepEqual(beforeB, { recovered: 0, connections: 0 }, "node B has had no websocket yet");

    const refusal = proxy.refuse(REFUSAL_MS);
    await cut(page, proxy);

    // While the page is away, through both nodes, alternately: every kind of destination,
    // one trigger to several at once, and two to a topic the page is not in.
    await sendToPage(nodeA, 4, [{ window: key }]);
    await sendToPage(nodeB, 5, [{ window: key }]);
    await sendToPage(nodeA, 6, [{ user }]);
    await sendToPage(nodeB, 7, [{ topic }]);
    await sendToPage(nodeA, 8, ["broadcast"]);
    await send(nodeB, 9, [{ topic: `${topic}-elsewhere` }]);
    await sendToPage(nodeB, 10, [{ user }]);
    await sendToPage(nodeA, 11, [{ topic }]);
    await send(nodeA, 12, [{ topic: `${topic}-elsewhere` }]);
    await sendToPage(nodeB, 13, ["broadcast"]);
    await sendToPage(nodeA, 14, [{ window: key }, { user }, { topic }, "broadcast"]);
    await sendToPage(nodeB, 15, [{ window: key }, { user }, { topic }, "broadcast"]);
    assert.ok(proxy.refusing, "every missed signal was triggered while the page was away");
    assert.deepEqual(await pageLog(page), expected.slice(0, 3), "nothing reached the page while it was away");

    // The page comes back to node B.
    proxy.target = nodeB.port;
    await refusal;
    assert.ok(proxy.counts.refused >= 1, `the page tried to reconnect while refused: ${JSON.stringify(proxy.counts)}`);
    await waitForComeBack(page, proxy);

    // Live again, triggered through node A: it reaches the page on B through Redis.
    const after16 = await send(nodeA, 16, [{ window: key }]);
    await waitForSignals(page, proxy, [16]);
    assert.deepEqual(
      await pageLog(page),
      [...expected, ["resync", { recovered: true }], ["signal", 16, after16]],
      "each signal once, in trigger order: the live ones, the missed ones, df.resync {recovered: true}, the newer one",
    );
    const { recoveries, recoveryFailures, reconnects, position } = await stats(page);
    assert.deepEqual({ recoveries, recoveryFailures, reconnects }, { recoveries: 1, recoveryFailures: 0, reconnects: 1 });
    assert.equal(position.epoch, live.position.epoch, "one history for both nodes");
    assert.ok(position.offset > live.position.offset, "the position moved on");

    // It really is node B that took the page back and recovered it.
    assert.deepEqual(
      await nodeMetrics(nodeB),
      { recovered: 1, connections: 1 },
      "node B accepted the page's reconnection and recovered it",
    );
    assert.deepEqual(await nodeMetrics(nodeA), beforeA, "node A saw no reconnection");
    assert.deepEqual(suite.pageErrors, []);
    await page.context().close();
  });
});
