// The committed classic-script bundle, run in a bare context standing in for a page.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import vm from "node:vm";
import { fakePage } from "./fake-dom.js";
import { fakeWebSocket, recordingConsole } from "./helpers.js";

const source = await readFile(new URL("../../static/switchboard.js", import.meta.url), "utf8");

/**
 * Runs the bundle in a fresh context whose page has these meta tags and body.
 * @param {Record<string, string>} meta
 * @param {string} [body]
 */
function loadPage(meta, body = "") {
  const { FakeWebSocket, sockets } = fakeWebSocket();
  const log = recordingConsole();
  const document = fakePage(body);
  for (const [name, content] of Object.entries(meta)) {
    const tag = document.createElement("meta");
    tag.setAttribute("name", name);
    tag.setAttribute("content", content);
    document.head.append(tag);
  }
  const window = new EventTarget();
  const context = {
    WebSocket: FakeWebSocket,
    document,
    console: log,
    performance: { now: () => 0 },
    setTimeout: () => 0,
    clearTimeout: () => {},
    CustomEvent,
    Event,
    addEventListener: window.addEventListener.bind(window),
    dispatchEvent: window.dispatchEvent.bind(window),
  };
  vm.createContext(context);
  vm.runInContext(source, context);
  return { context, document, sockets, log };
}

describe("static/switchboard.js", () => {
  it("sets window.DFSignals and connects as the meta tags say", () => {
    const { context, sockets } = loadPage({ "df-ws-url": "ws://h/ws/", "df-window-key": "abc" });
    const { DFSignals } = context;
    for (const method of ["connect", "disconnect", "call", "request", "onStateChange", "stats", "configure"]) {
      assert.equal(typeof DFSignals[method], "function", method);
    }
    assert.equal(DFSignals.state, "connecting");
    assert.deepEqual(sockets.map((s) => s.url), ["ws://h/ws/?dfwskey=abc&since="]);
  });

  it("resumes from the df-ws-position meta tag and runs df.resync with the server's answer", () => {
    const { context, sockets } = loadPage({ "df-ws-url": "ws://h/ws/", "df-ws-position": "e1:5" });
    const { DFSignals } = context;
    const resyncs = [];
    DFSignals.connect("df.resync", (opts) => resyncs.push(JSON.stringify(opts)));
    const [socket] = sockets;
    assert.equal(socket.url, "ws://h/ws/?since=e1%3A5");
    socket.accept();
    socket.deliver({ signal: "x", opts: {}, signal_id: "1", offset: 6 });
    socket.deliver({ position: { epoch: "e1", offset: 6 }, recovered: true });
    assert.deepEqual(resyncs, ['{"recovered":true}']);
    assert.equal(JSON.stringify(DFSignals.stats().position), '{"epoch":"e1","offset":6}');
  });

  it("stays offline on a page that names no websocket URL", () => {
    const { context, sockets, log } = loadPage({});
    assert.equal(context.DFSignals.state, "closed");
    assert.equal(sockets.length, 0);
    assert.equal(log.lines.info.length, 1);
  });

  it("runs the built-in signals pushed by the server", () => {
    const { document, sockets } = loadPage({ "df-ws-url": "ws://h/ws/" }, '<p id="p">old</p>');
    const [socket] = sockets;
    socket.accept();
    socket.deliver({ signal: "html.add_class", opts: { selector: "#p", class_name: "done" }, signal_id: "1" });
    socket.deliver({ signal: "df.notify", opts: { level: "success", message: "saved" }, signal_id: "2" });
    assert.equal(document.querySelector("#p").className, "done");
    assert.equal(document.querySelector(".df-notify-success").querySelector(".df-notify-message").textContent, "saved");
  });
});
