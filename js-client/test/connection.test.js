// The socket's life through the public client: heartbeats, silence, reconnect delays, state.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KEY, WS_URL, setup } from "./helpers.js";

describe("connecting", () => {
  it("opens one socket to the URL with the window key, at start only", () => {
    const t = setup({ start: false });
    assert.equal(t.sockets.length, 0);
    assert.equal(t.client.state, "closed");
    t.client.start();
    t.client.start();
    assert.equal(t.sockets.length, 1);
    assert.equal(t.socket.url, `${WS_URL}?dfwskey=${KEY}&since=`);
    assert.equal(t.client.state, "connecting");
    t.socket.accept();
    assert.equal(t.client.state, "open");
  });

  it("does not connect without a URL, and says so", () => {
    const t = setup({ page: { cookie: "dfwskey=abc" } });
    assert.equal(t.sockets.length, 0);
    assert.equal(t.client.state, "closed");
    assert.match(t.log.lines.info[0], /no websocket URL/);
  });

  it("lets configure() supply the URL and key, before or after start", () => {
    const before = setup({ page: {}, start: false });
    before.client.configure({ url: "ws://x.test/ws/", key: "k1" });
    before.client.start();
    assert.equal(before.socket.url, "ws://x.test/ws/?dfwskey=k1&since=");

    const after = setup({ page: {} });
    after.client.configure({ url: "ws://y.test/ws/" });
    assert.equal(after.socket.url, "ws://y.test/ws/?since=");
  });

  it("reports state changes to listeners and as dfsignals:state events", () => {
    const t = setup({ start: false });
    const seen = [];
    const events = [];
    const off = t.client.onStateChange((state) => seen.push(state));
    t.eventTarget.addEventListener("dfsignals:state", (e) => events.push(e.detail.state));
    t.client.start();
    t.socket.accept();
    t.socket.drop();
    off();
    t.clock.advance(1_000);
    assert.deepEqual(seen, ["connecting", "open", "closed"]);
    assert.deepEqual(events, ["connecting", "open", "closed", "connecting"]);
  });

  it("gives up on a URL the WebSocket constructor rejects", () => {
    const t = setup({ page: {}, start: false });
    t.client.configure({ url: "http//oops" });
    t.client.start();
    assert.equal(t.client.state, "closed");
    assert.match(t.log.lines.error[0], /cannot open/);
    assert.deepEqual(t.clock.pendingDelays(), []);
  });
});

describe("heartbeat", () => {
  it("sends --heartbeat-- every 30 s while open", () => {
    const t = setup();
    t.socket.accept();
    t.clock.advance(29_999);
    assert.deepEqual(t.socket.sent, []);
    t.clock.advance(1);
    t.socket.deliver("--heartbeat--");
    t.clock.advance(30_000);
    assert.deepEqual(t.socket.sent, ["--heartbeat--", "--heartbeat--"]);
  });

  it("closes and replaces a socket that stayed silent for 75 s", () => {
    const t = setup();
    const first = t.socket;
    first.accept();
    t.clock.advance(60_000);
    first.deliver("--heartbeat--");
    t.clock.advance(74_999);
    assert.equal(first.closedWith, null, "a frame 75 s ago keeps it alive");
    t.clock.advance(1);
    assert.deepEqual(first.closedWith, { code: 4000, reason: "no frame received" });
    assert.equal(t.client.state, "closed");
    assert.match(t.log.lines.warn[0], /no frame for 75000 ms/);
    first.drop(4000);
    t.clock.advance(250);
    assert.equal(t.sockets.length, 2);
    first.deliver({ signal: "late", opts: {}, signal_id: "u" });
    assert.equal(t.client.state, "connecting", "the abandoned socket is not listened to");
    t.clock.advance(74_999);
    assert.equal(t.socket.closedWith, null, "the new socket gets its own 75 s");
  });

  it("also gives up on a handshake that never ends", () => {
    const t = setup();
    t.clock.advance(75_000);
    assert.equal(t.socket.closedWith.code, 4000);
  });
});

describe("reconnecting", () => {
  /** Drops the socket `times` times in a row, returning the delays before each new one. */
  function delaysAfterDrops(t, times, code = 1006) {
    const delays = [];
    for (let i = 0; i < times; i += 1) {
      t.socket.drop(code);
      delays.push(...t.clock.pendingDelays());
      t.clock.advance(t.clock.pendingDelays()[0]);
    }
    return delays;
  }

  it("waits a random share of a ceiling that doubles up to 30 s", () => {
    const lowest = setup({ random: () => 0 });
    assert.deepEqual(delaysAfterDrops(lowest, 3), [0, 0, 0]);
    const highest = setup({ random: () => 0.9999999 });
    assert.deepEqual(delaysAfterDrops(highest, 9), [499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999]);
  });

  it("starts over once a connection stayed open for 5 s", () => {
    const t = setup();
    assert.deepEqual(delaysAfterDrops(t, 3), [250, 500, 1000]);
    t.socket.accept();
    t.clock.advance(4_999);
    assert.deepEqual(delaysAfterDrops(t, 1), [2000], "not stable yet");
    t.socket.accept();
    t.clock.advance(5_000);
    assert.deepEqual(delaysAfterDrops(t, 1), [250]);
  });

  it("waits at least a minute after close codes 1008 and 1009", () => {
    const t = setup();
    t.socket.accept();
    assert.deepEqual(delaysAfterDrops(t, 1, 1008), [60_250]);
    assert.deepEqual(delaysAfterDrops(t, 1, 1009), [60_500]);
    assert.deepEqual(delaysAfterDrops(t, 1, 1013), [1000]);
  });

  it("retries at once when the network comes back or the page is shown again", () => {
    const t = setup();
    t.socket.accept();
    t.socket.drop();
    t.clock.advance(100);
    t.eventTarget.dispatchEvent(new Event("online"));
    assert.equal(t.sockets.length, 2);
    assert.equal(t.client.state, "connecting");
    assert.deepEqual(t.clock.pendingDelays().length, 1, "only the watchdog of the new socket");

    t.socket.drop();
    t.document.visibilityState = "hidden";
    t.document.dispatchEvent(new Event("visibilitychange"));
    assert.equal(t.sockets.length, 2, "not when the page is hidden");
    t.document.visibilityState = "visible";
    t.document.dispatchEvent(new Event("visibilitychange"));
    assert.equal(t.sockets.length, 3);
  });

  it("does not retry early while connecting or open", () => {
    const t = setup();
    t.eventTarget.dispatchEvent(new Event("online"));
    t.socket.accept();
    t.document.dispatchEvent(new Event("visibilitychange"));
    assert.equal(t.sockets.length, 1);
  });

  it("still waits the minute after 1008 and 1009 when the network comes back", () => {
    const t = setup();
    t.socket.accept();
    t.socket.drop(1008);
    t.eventTarget.dispatchEvent(new Event("online"));
    t.document.dispatchEvent(new Event("visibilitychange"));
    assert.equal(t.sockets.length, 1);
    t.clock.advance(60_250);
    assert.equal(t.sockets.length, 2);
    t.socket.drop(1006);
    t.eventTarget.dispatchEvent(new Event("online"));
    assert.equal(t.sockets.length, 3, "an ordinary wait again");
  });

  it("keeps retrying without limit", () => {
    const t = setup();
    delaysAfterDrops(t, 50);
    assert.equal(t.sockets.length, 51);
    assert.equal(t.client.state, "connecting");
  });
});
