// The committed classic-script bundle, run in a bare context standing in for a page.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import vm from "node:vm";
import { fakeDocument, fakeWebSocket, recordingConsole } from "./helpers.js";

const source = await readFile(new URL("../../static/switchboard.js", import.meta.url), "utf8");

/** Runs the bundle in a fresh context whose document has `page`; returns the context. */
function loadPage(page) {
  const { FakeWebSocket, sockets } = fakeWebSocket();
  const log = recordingConsole();
  const context = {
    WebSocket: FakeWebSocket,
    document: Object.assign(fakeDocument(page), { readyState: "complete" }),
    console: log,
    performance: { now: () => 0 },
    setTimeout: () => 0,
    clearTimeout: () => {},
    CustomEvent,
    dispatchEvent: () => true,
  };
  vm.createContext(context);
  vm.runInContext(source, context);
  return { context, sockets, log };
}

describe("static/switchboard.js", () => {
  it("sets window.DFSignals and connects as the meta tags say", () => {
    const { context, sockets } = loadPage({ meta: { "df-ws-url": "ws://h/ws/", "df-window-key": "abc" } });
    const { DFSignals } = context;
    for (const method of ["connect", "disconnect", "call", "request", "onStateChange", "configure"]) {
      assert.equal(typeof DFSignals[method], "function", method);
    }
    assert.equal(DFSignals.state, "connecting");
    assert.deepEqual(sockets.map((s) => s.url), ["ws://h/ws/?dfwskey=abc"]);
  });

  it("stays offline on a page that names no websocket URL", () => {
    const { context, sockets, log } = loadPage({});
    assert.equal(context.DFSignals.state, "closed");
    assert.equal(sockets.length, 0);
    assert.equal(log.lines.info.length, 1);
  });
});
