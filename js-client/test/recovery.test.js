// Recovery of missed signals after a reconnect (PROTOCOL.md §5.6): the position, `since` on
// the URL, df.resync's `recovered`, and the stats that count them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KEY, WS_URL, setup } from "./helpers.js";

const BASE_URL = `${WS_URL}?dfwskey=${KEY}`;
/** The URL of a connection without a position: `since=` empty asks for one. */
const FRESH_URL = `${BASE_URL}&since=`;
const PAGE = { "df-ws-url": WS_URL, "df-window-key": KEY };

/** @returns the local df.resync opts, in order (server-sent ones as `{fromServer: opts}`) */
function recordResyncs(t) {
  const seen = [];
  t.client.connect("df.resync", (opts, signalId) => seen.push(signalId === undefined ? opts : { fromServer: opts }));
  return seen;
}

/** @returns the signal ids dispatched to handlers of `name`, in order */
function recordSignals(t, name = "x") {
  const seen = [];
  t.client.connect(name, (opts, signalId) => seen.push(signalId));
  return seen;
}

/** The open socket drops; the next attempt is made at once (its socket is not accepted yet). */
function dropAndRetry(t) {
  t.socket.drop();
  t.clock.advance(Math.min(...t.clock.pendingDelays()));
}

function signal(id, offset, name = "x") {
  return offset === undefined ? { signal: name, opts: {}, signal_id: id } : { signal: name, opts: {}, signal_id: id, offset };
}

/** @returns a started client whose first socket is open and got position e1:10 */
function positioned(options) {
  const t = setup(options);
  t.socket.accept();
  t.socket.deliver({ position: { epoch: "e1", offset: 10 } });
  return t;
}

describe("position", () => {
  it("is null until the position frame, which sets it", () => {
    const t = setup();
    t.socket.accept();
    assert.equal(t.client.stats().position, null);
    t.socket.deliver({ position: { epoch: "e1", offset: 10 } });
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 10 });
  });

  it("is raised by the offsets of signal frames, duplicates included, and never lowered", () => {
    const t = positioned();
    const seen = recordSignals(t);
    t.socket.deliver(signal("u1", 12));
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 12 });
    t.socket.deliver(signal("u2", 11));
    t.socket.deliver(signal("u3"));
    t.socket.deliver({ ...signal("u4", 13), offset: "14" });
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 12 });
    t.socket.deliver(signal("u1", 15));
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 15 }, "a dropped repeat raises it too");
    assert.deepEqual(seen, ["u1", "u2", "u3", "u4"]);
  });

  it("ignores offsets while no position is known", () => {
    const t = setup();
    t.socket.accept();
    t.socket.deliver(signal("u1", 5));
    assert.equal(t.client.stats().position, null);
    t.socket.deliver({ position: { epoch: "e1", offset: 3 } });
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 3 }, "the frame sets it, lower or not");
  });

  it("is a copy in stats()", () => {
    const t = positioned();
    const { position } = t.client.stats();
    position.offset = 99;
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 10 });
  });
});

describe("since", () => {
  it("is added to every attempt after the first one, once a position is known", () => {
    const t = positioned();
    assert.equal(t.sockets[0].url, FRESH_URL, "empty on the first connection: asks for a position");
    t.socket.deliver(signal("u1", 11));
    dropAndRetry(t);
    assert.equal(t.socket.url, `${BASE_URL}&since=e1%3A11`);
    dropAndRetry(t);
    assert.equal(t.socket.url, `${BASE_URL}&since=e1%3A11`, "also after an attempt that never opened");
  });

  it("is not added without a position", () => {
    const t = setup();
    t.socket.accept();
    t.socket.deliver(signal("u1", 11));
    dropAndRetry(t);
    assert.equal(t.socket.url, FRESH_URL);
  });

  it("follows the query the URL has, percent-encoding the position", () => {
    const t = setup({ page: { meta: { "df-ws-url": "ws://h.test/ws/?v=2" } } });
    t.socket.accept();
    t.socket.deliver({ position: { epoch: "a b:c", offset: 0 } });
    dropAndRetry(t);
    assert.equal(t.socket.url, "ws://h.test/ws/?v=2&since=a%20b%3Ac%3A0");
  });
});

describe("initial position", () => {
  it("comes from the df-ws-position meta tag: the first connection resumes from it", () => {
    const t = setup({ page: { meta: { ...PAGE, "df-ws-position": "e1:5" } }, start: false });
    const resyncs = recordResyncs(t);
    const seen = recordSignals(t);
    let positionSeenByResync = null;
    t.client.connect("df.resync", () => (positionSeenByResync = t.client.stats().position));
    t.client.start();
    assert.equal(t.socket.url, `${BASE_URL}&since=e1%3A5`);
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 5 });
    t.socket.accept();
    assert.deepEqual(resyncs, [], "not on open: the position frame says whether it recovered");
    t.socket.deliver(signal("u6", 6));
    t.socket.deliver(signal("u7", 7));
    t.socket.deliver({ position: { epoch: "e1", offset: 9 }, recovered: true });
    assert.deepEqual(seen, ["u6", "u7"]);
    assert.deepEqual(resyncs, [{ recovered: true }]);
    assert.deepEqual(positionSeenByResync, { epoch: "e1", offset: 9 }, "set before df.resync runs");
    assert.equal(t.client.stats().recoveries, 1);
  });

  it("comes from configure(), as E:N or {epoch, offset}, before the meta tag", () => {
    const fromText = setup({ page: { meta: { ...PAGE, "df-ws-position": "e0:1" } }, start: false });
    fromText.client.configure({ position: "e1:5" });
    fromText.client.start();
    assert.equal(fromText.socket.url, `${BASE_URL}&since=e1%3A5`);

    const fromObject = setup({ start: false });
    fromObject.client.configure({ position: { epoch: "e2", offset: 9 } });
    fromObject.client.start();
    assert.equal(fromObject.socket.url, `${BASE_URL}&since=e2%3A9`);
    assert.deepEqual(fromObject.client.stats().position, { epoch: "e2", offset: 9 });
  });

  it("given by configure() later, is used from the next attempt on", () => {
    const t = setup();
    t.socket.accept();
    t.client.configure({ position: "e1:3" });
    dropAndRetry(t);
    assert.equal(t.socket.url, `${BASE_URL}&since=e1%3A3`);
  });

  it("is ignored, with a warning, when malformed", () => {
    const t = setup({ page: { meta: { ...PAGE, "df-ws-position": "e1" } }, start: false });
    t.client.configure({ position: { epoch: "e1", offset: -1 } });
    t.client.start();
    assert.equal(t.socket.url, FRESH_URL);
    assert.equal(t.client.stats().position, null);
    assert.equal(t.log.lines.warn.length, 2);
    assert.match(t.log.lines.warn[0], /malformed position/);
    assert.match(t.log.lines.warn[1], /malformed position.*e1/);
  });
});

describe("df.resync on a resuming connection", () => {
  it("runs with {recovered: true} when the position frame says so", () => {
    const t = positioned();
    const resyncs = recordResyncs(t);
    dropAndRetry(t);
    t.socket.accept();
    assert.deepEqual(resyncs, []);
    t.socket.deliver({ position: { epoch: "e1", offset: 10 }, recovered: true });
    assert.deepEqual(resyncs, [{ recovered: true }]);
    t.socket.deliver({ position: { epoch: "e1", offset: 10 }, recovered: true });
    assert.deepEqual(resyncs, [{ recovered: true }], "once per connection");
  });

  it("runs with {recovered: false} when the position frame says so, and takes its position", () => {
    const t = positioned();
    const resyncs = recordResyncs(t);
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver({ position: { epoch: "e2", offset: 4 }, recovered: false });
    assert.deepEqual(resyncs, [{ recovered: false }]);
    assert.deepEqual(t.client.stats().position, { epoch: "e2", offset: 4 });
    dropAndRetry(t);
    assert.equal(t.socket.url, `${BASE_URL}&since=e2%3A4`);
  });

  it("runs with {recovered: false} when the server keeps no history, which forgets the position", () => {
    const t = positioned();
    const resyncs = recordResyncs(t);
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver({ position: null, recovered: false });
    assert.deepEqual(resyncs, [{ recovered: false }]);
    assert.equal(t.client.stats().position, null);
    dropAndRetry(t);
    assert.equal(t.socket.url, FRESH_URL);
    t.socket.accept();
    assert.deepEqual(resyncs, [{ recovered: false }, { recovered: false }], "then on open, as without a position");
  });

  it("does not run when the socket closes before the position frame; the next attempt resumes", () => {
    const t = positioned();
    const resyncs = recordResyncs(t);
    const seen = recordSignals(t);
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver(signal("u11", 11));
    dropAndRetry(t);
    assert.deepEqual(resyncs, []);
    assert.equal(t.socket.url, `${BASE_URL}&since=e1%3A11`, "from the replayed frames' offset");
    t.socket.accept();
    assert.deepEqual(resyncs, []);
    t.socket.deliver({ position: { epoch: "e1", offset: 11 }, recovered: true });
    assert.deepEqual(resyncs, [{ recovered: true }]);
    assert.deepEqual(seen, ["u11"]);
    assert.deepEqual(t.client.stats(), {
      state: "open", queued: 0, dropped: 0, pendingRequests: 0, reconnects: 2,
      position: { epoch: "e1", offset: 11 }, recoveries: 1, recoveryFailures: 0,
    });
  });

  it("runs with {recovered: false} for a position frame without recovered", () => {
    const t = positioned();
    const resyncs = recordResyncs(t);
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver({ position: { epoch: "e1", offset: 12 } });
    assert.deepEqual(resyncs, [{ recovered: false }]);
  });

  it("waits through malformed position frames, which are warned about and change nothing", () => {
    const t = positioned();
    const resyncs = recordResyncs(t);
    const seen = recordSignals(t);
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver({ position: { epoch: 5, offset: 12 }, recovered: true });
    t.socket.deliver({ position: { epoch: "e1", offset: 12 }, recovered: "yes" });
    t.socket.deliver({ position: null, recovered: true });
    assert.deepEqual(resyncs, []);
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 10 });
    assert.equal(t.log.lines.warn.length, 3);
    for (const line of t.log.lines.warn) assert.match(line, /^DFSignals: ignored a malformed frame: /);
    t.socket.deliver(signal("u11", 11));
    t.socket.deliver({ position: { epoch: "e1", offset: 11 }, recovered: true });
    assert.deepEqual(seen, ["u11"]);
    assert.deepEqual(resyncs, [{ recovered: true }]);
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 11 });
  });
});

describe("df.resync otherwise", () => {
  it("does not run on a first connection without an initial position, recovered or not", () => {
    const t = setup();
    const resyncs = recordResyncs(t);
    t.socket.accept();
    t.socket.deliver({ position: { epoch: "e1", offset: 10 }, recovered: true });
    assert.deepEqual(resyncs, []);
    assert.deepEqual(t.client.stats().position, { epoch: "e1", offset: 10 });
  });

  it("runs with {recovered: false} on open after a reconnect without a position", () => {
    const t = setup();
    const resyncs = recordResyncs(t);
    t.socket.accept();
    dropAndRetry(t);
    t.socket.accept();
    assert.deepEqual(resyncs, [{ recovered: false }]);
    t.socket.deliver({ position: { epoch: "e1", offset: 10 } });
    assert.deepEqual(resyncs, [{ recovered: false }], "the position frame of a connection that did not resume");
  });

  it("sent by the server is an ordinary signal, not counted", () => {
    const t = positioned();
    const resyncs = recordResyncs(t);
    t.socket.deliver({ ...signal("s1", 11, "df.resync"), opts: { recovered: false } });
    t.socket.deliver({ ...signal("s1", 11, "df.resync"), opts: { recovered: false } });
    assert.deepEqual(resyncs, [{ fromServer: { recovered: false } }]);
    const { recoveries, recoveryFailures, position } = t.client.stats();
    assert.deepEqual({ recoveries, recoveryFailures, position }, { recoveries: 0, recoveryFailures: 0, position: { epoch: "e1", offset: 11 } });
  });
});

describe("replays", () => {
  it("drop the signals already received live, by signal_id", () => {
    const t = positioned();
    const seen = recordSignals(t);
    t.socket.deliver(signal("u11", 11));
    t.socket.deliver(signal("u12", 12));
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver(signal("u12", 12));
    t.socket.deliver(signal("u13", 13));
    t.socket.deliver({ position: { epoch: "e1", offset: 13 }, recovered: true });
    t.socket.deliver(signal("u13", 13));
    t.socket.deliver(signal("u14", 14));
    assert.deepEqual(seen, ["u11", "u12", "u13", "u14"]);
  });
});

describe("stats", () => {
  it("count recoveries and failures, local ones included", () => {
    const t = setup();
    const zero = { position: null, recoveries: 0, recoveryFailures: 0 };
    const pick = () => {
      const { position, recoveries, recoveryFailures } = t.client.stats();
      return { position, recoveries, recoveryFailures };
    };
    assert.deepEqual(pick(), zero);
    t.socket.accept();
    dropAndRetry(t);
    t.socket.accept();
    assert.deepEqual(pick(), { ...zero, recoveryFailures: 1 }, "a reconnect without a position");
    t.socket.deliver({ position: { epoch: "e1", offset: 10 } });
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver({ position: { epoch: "e1", offset: 10 }, recovered: true });
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver({ position: { epoch: "e2", offset: 0 }, recovered: false });
    dropAndRetry(t);
    t.socket.accept();
    t.socket.deliver({ position: { epoch: "e2", offset: 0 }, recovered: true });
    assert.deepEqual(pick(), { position: { epoch: "e2", offset: 0 }, recoveries: 2, recoveryFailures: 2 });
    assert.equal(t.client.stats().reconnects, 4);
  });
});
