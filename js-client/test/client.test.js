// The DFSignals API on a fake socket: calls and their queue, requests, server signals.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setup } from "./helpers.js";

/** @returns a started client whose socket is open */
function connected(options) {
  const t = setup(options);
  t.socket.accept();
  return t;
}

describe("call", () => {
  it("runs local handlers at once, sends the call and returns false", () => {
    const t = connected();
    const seen = [];
    t.client.connect("chat.say", (opts, id) => seen.push([opts, id]));
    assert.equal(t.client.call("chat.say", { text: "hi" }), false);
    assert.deepEqual(seen, [[{ text: "hi" }, undefined]]);
    assert.deepEqual(t.socket.sent, ['{"signal":"chat.say","opts":{"text":"hi"}}']);
  });

  it("defaults opts to {}", () => {
    const t = connected();
    t.client.call("ping");
    assert.deepEqual(t.socket.frames(), [{ signal: "ping", opts: {} }]);
  });

  it("queues calls while disconnected and sends them in order on open", () => {
    const t = setup({ start: false });
    t.client.call("a", { n: 1 });
    t.client.start();
    t.client.call("a", { n: 2 });
    t.socket.accept();
    t.client.call("a", { n: 3 });
    assert.deepEqual(t.socket.frames().map((f) => f.opts.n), [1, 2, 3]);
  });

  it("keeps the newest 1000 queued calls and warns once", () => {
    const t = setup();
    for (let n = 1; n <= 1500; n += 1) t.client.call("a", { n });
    t.socket.accept();
    const sent = t.socket.frames().map((f) => f.opts.n);
    assert.equal(sent.length, 1000);
    assert.equal(sent[0], 501);
    assert.equal(sent.at(-1), 1500);
    assert.equal(t.log.lines.warn.length, 1);
    assert.match(t.log.lines.warn[0], /more than 1000 calls waiting/);
  });

  it("counts the queued and dropped calls in stats()", async () => {
    const t = setup({ settings: { queueLimit: 3 } });
    const recovery = { position: null, recoveries: 0, recoveryFailures: 0 };
    assert.deepEqual(t.client.stats(), { state: "connecting", queued: 0, dropped: 0, pendingRequests: 0, reconnects: 0, ...recovery });
    for (let n = 1; n <= 5; n += 1) t.client.call("a", { n });
    const request = t.client.request("b");
    assert.deepEqual(t.client.stats(), { state: "connecting", queued: 3, dropped: 3, pendingRequests: 1, reconnects: 0, ...recovery });
    t.socket.accept();
    assert.deepEqual(t.socket.frames().map((f) => f.opts.n ?? f.signal), [4, 5, "b"]);
    assert.deepEqual(t.client.stats(), { state: "open", queued: 0, dropped: 3, pendingRequests: 1, reconnects: 0, ...recovery });
    t.socket.drop();
    await assert.rejects(request, { code: "disconnected" });
    t.clock.advance(250);
    t.socket.accept();
    assert.deepEqual(t.client.stats(), {
      state: "open", queued: 0, dropped: 3, pendingRequests: 0, reconnects: 1, ...recovery, recoveryFailures: 1,
    });
  });

  it("queues again when the socket closes, and flushes on reconnect", () => {
    const t = connected();
    t.socket.drop();
    t.client.call("a", { n: 1 });
    t.clock.advance(250);
    t.socket.accept();
    assert.deepEqual(t.socket.frames(), [{ signal: "a", opts: { n: 1 } }]);
  });

  it("runs local handlers but sends nothing for a name the server would refuse", () => {
    const t = connected();
    let ran = false;
    t.client.connect("local-only", () => (ran = true));
    t.client.call("local-only");
    assert.equal(ran, true);
    assert.deepEqual(t.socket.sent, []);
    assert.match(t.log.lines.warn[0], /not sent: invalid signal name/);
  });

  it("stops calling a handler once unregistered", () => {
    const t = connected();
    let count = 0;
    const fn = () => (count += 1);
    const off = t.client.connect("x", fn);
    t.client.call("x");
    off();
    t.client.call("x");
    t.client.connect("x", fn);
    t.client.disconnect("x", fn);
    t.client.call("x");
    t.client.connect("x", fn);
    t.client.connect("x", () => (count += 10));
    t.client.disconnect("x");
    t.client.call("x");
    assert.equal(count, 1);
  });
});

describe("request", () => {
  it("sends an id and resolves with the reply's result, without local handlers", async () => {
    const t = connected();
    t.client.connect("demo.add", () => assert.fail("local handlers must not run"));
    const sum = t.client.request("demo.add", { a: 1, b: 2 });
    const [frame] = t.socket.frames();
    assert.deepEqual(frame, { signal: "demo.add", opts: { a: 1, b: 2 }, id: frame.id });
    assert.equal(typeof frame.id, "string");
    t.socket.deliver({ reply_to: frame.id, ok: true, result: 3 });
    assert.equal(await sum, 3);
  });

  it("gives every request of the page its own id", () => {
    const t = connected();
    t.client.request("a");
    t.client.request("a");
    const [first, second] = t.socket.frames();
    assert.notEqual(first.id, second.id);
  });

  it("rejects with the server's error code and message", async () => {
    const t = connected();
    const said = t.client.request("demo.say", { room: "x", text: "hi" });
    t.socket.deliver({
      reply_to: t.socket.frames()[0].id,
      ok: false,
      error: { code: "forbidden", message: "join the room first" },
    });
    await assert.rejects(said, { name: "SignalError", code: "forbidden", message: "join the room first" });
  });

  it("rejects with code timeout after 10 s by default, or the given timeout", async () => {
    const t = connected();
    const slow = t.client.request("demo.slow", { ms: 60_000 });
    const quick = t.client.request("demo.slow", { ms: 60_000 }, { timeout: 100 });
    t.clock.advance(100);
    await assert.rejects(quick, { code: "timeout", message: '"demo.slow" got no reply within 100 ms' });
    t.clock.advance(9_899);
    let settled = false;
    slow.catch(() => (settled = true));
    await Promise.resolve();
    assert.equal(settled, false);
    t.clock.advance(1);
    await assert.rejects(slow, { code: "timeout" });
    t.socket.deliver({ reply_to: t.socket.frames()[0].id, ok: true, result: null });
  });

  it("waits in the queue while disconnected, and is dropped from it once timed out", async () => {
    const t = setup();
    const late = t.client.request("a", {}, { timeout: 1_000 });
    const onTime = t.client.request("b", {}, { timeout: 60_000 });
    t.clock.advance(1_000);
    await assert.rejects(late, { code: "timeout" });
    t.socket.accept();
    const frames = t.socket.frames();
    assert.deepEqual(frames.map((f) => f.signal), ["b"]);
    t.socket.deliver({ reply_to: frames[0].id, ok: true, result: "ok" });
    assert.equal(await onTime, "ok");
  });

  it("rejects with code disconnected when the socket closes after sending", async () => {
    const t = connected();
    const sent = t.client.request("a");
    t.socket.drop();
    const queued = t.client.request("b");
    t.clock.advance(250);
    t.socket.drop();
    await assert.rejects(sent, { code: "disconnected" });
    t.clock.advance(500);
    t.socket.accept();
    t.socket.deliver({ reply_to: t.socket.frames()[0].id, ok: true, result: 1 });
    assert.equal(await queued, 1, "a call still queued waits for the next connection");
  });

  it("rejects at once with bad_frame what the server would refuse", async () => {
    const t = connected();
    await assert.rejects(t.client.request("no spaces"), { code: "bad_frame" });
    await assert.rejects(t.client.request("a", [1]), { code: "bad_frame" });
    assert.deepEqual(t.socket.sent, []);
  });
});

describe("frames from the server", () => {
  it("run local handlers with opts and signal_id, once per signal_id", () => {
    const t = connected();
    const seen = [];
    t.client.connect("demo.message", (opts, id) => seen.push([opts.text, id]));
    t.socket.deliver({ signal: "demo.message", opts: { text: "a" }, signal_id: "u1" });
    t.socket.deliver({ signal: "demo.message", opts: { text: "a" }, signal_id: "u1" });
    t.socket.deliver({ signal: "demo.message", opts: { text: "b" }, signal_id: "u2" });
    assert.deepEqual(seen, [["a", "u1"], ["b", "u2"]]);
  });

  it("are never sent back upstream", () => {
    const t = connected();
    t.client.connect("x", () => {});
    t.socket.deliver({ signal: "x", opts: {}, signal_id: "u1" });
    assert.deepEqual(t.socket.sent, []);
  });

  it("forget old signal_ids beyond the bound", () => {
    const t = connected({ settings: { recentSignals: 2 } });
    let count = 0;
    t.client.connect("x", () => (count += 1));
    for (const id of ["u1", "u2", "u3", "u1"]) t.socket.deliver({ signal: "x", opts: {}, signal_id: id });
    assert.equal(count, 4);
  });

  it("warn on error frames and on text that is not JSON; ignore heartbeats and unknown shapes", () => {
    const t = connected();
    t.socket.deliver({ error: { code: "rate_limited", message: "too many calls" } });
    t.socket.deliver("{oops");
    t.socket.deliver("--heartbeat--");
    t.socket.deliver({ future: "frame" });
    t.socket.deliver({ reply_to: "999", ok: true, result: 1 });
    assert.deepEqual(t.log.lines.warn, [
      "DFSignals: the server refused a frame (rate_limited): too many calls",
      "DFSignals: ignored a frame that is not JSON: {oops",
    ]);
  });
});

describe("df.resync", () => {
  it("runs locally after a reconnect, not after the first open, with {recovered: false} without a position", () => {
    const t = setup();
    const resyncs = [];
    t.client.connect("df.resync", (opts) => resyncs.push(opts));
    t.socket.accept();
    assert.deepEqual(resyncs, []);
    t.socket.drop();
    t.clock.advance(250);
    assert.equal(t.socket.url, t.sockets[0].url, "no since without a position");
    t.socket.accept();
    assert.deepEqual(resyncs, [{ recovered: false }]);
    assert.deepEqual(t.socket.sent, [], "not sent to the server");
    assert.deepEqual(t.log.lines.error, []);
  });

  it("runs after the queued calls went out", () => {
    const t = connected();
    t.socket.drop();
    t.client.call("queued");
    const order = [];
    t.client.connect("df.resync", () => order.push(`resync after ${t.socket.frames().length} frame`));
    t.clock.advance(250);
    t.socket.accept();
    assert.deepEqual(order, ["resync after 1 frame"]);
  });
});
