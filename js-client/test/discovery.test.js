import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { discoverEndpoint, discoverPosition, readCookie, socketUrl, withQuery } from "../src/discovery.js";
import { fakeDocument } from "./helpers.js";

describe("discoverEndpoint", () => {
  it("prefers the meta tags", () => {
    const doc = fakeDocument({
      meta: { "df-ws-url": "wss://a.test/ws/", "df-window-key": "metakey" },
      cookie: "dfwskey=cookiekey; dfwsurl=ws%3A%2F%2Fb.test%2Fws%2F",
    });
    assert.deepEqual(discoverEndpoint(doc), { url: "wss://a.test/ws/", key: "metakey" });
  });

  it("falls back to df_websockets' cookies, part by part", () => {
    const doc = fakeDocument({
      meta: { "df-window-key": "metakey", "df-ws-url": "" },
      cookie: "csrftoken=abc; dfwsurl=ws%3A%2F%2Fexample.com%3A8000%2Fws%2F; dfwskey=cookiekey",
    });
    assert.deepEqual(discoverEndpoint(doc), { url: "ws://example.com:8000/ws/", key: "metakey" });
  });

  it("finds nothing on a page without them", () => {
    assert.deepEqual(discoverEndpoint(fakeDocument()), { url: null, key: null });
  });
});

describe("discoverPosition", () => {
  it("reads the df-ws-position meta tag as it is", () => {
    assert.equal(discoverPosition(fakeDocument({ meta: { "df-ws-position": "e1:42" } })), "e1:42");
    assert.equal(discoverPosition(fakeDocument({ meta: { "df-ws-position": "" } })), null);
    assert.equal(discoverPosition(fakeDocument({ cookie: "df-ws-position=e1:42" })), null, "no cookie");
  });
});

describe("readCookie", () => {
  it("decodes quote_plus values", () => {
    assert.equal(readCookie("dfwsurl=ws%3A%2F%2Fh%2Fws%2F%3Fa%3D1+2%2B3", "dfwsurl"), "ws://h/ws/?a=1 2+3");
  });

  it("matches whole names only and keeps malformed encodings as they are", () => {
    assert.equal(readCookie("xdfwskey=a;dfwskey=b", "dfwskey"), "b");
    assert.equal(readCookie("dfwskey=100%", "dfwskey"), "100%");
    assert.equal(readCookie("dfwskey=", "dfwskey"), null);
    assert.equal(readCookie("", "dfwskey"), null);
  });
});

describe("socketUrl", () => {
  it("adds the key as the dfwskey query parameter", () => {
    assert.equal(socketUrl("ws://h/ws/", "abc"), "ws://h/ws/?dfwskey=abc");
    assert.equal(socketUrl("ws://h/ws/?v=1", "abc"), "ws://h/ws/?v=1&dfwskey=abc");
  });

  it("leaves the URL alone without a key or when it already carries one", () => {
    assert.equal(socketUrl("ws://h/ws/", null), "ws://h/ws/");
    assert.equal(socketUrl("ws://h/ws/?dfwskey=old", "abc"), "ws://h/ws/?dfwskey=old");
  });
});

describe("withQuery", () => {
  it("adds a percent-encoded parameter, after the query the URL has", () => {
    assert.equal(withQuery("ws://h/ws/", "since", "e1:42"), "ws://h/ws/?since=e1%3A42");
    assert.equal(withQuery("ws://h/ws/?dfwskey=k", "since", "a b&c:1"), "ws://h/ws/?dfwskey=k&since=a%20b%26c%3A1");
  });

  it("adds nothing without a value, or when the URL has the parameter already", () => {
    assert.equal(withQuery("ws://h/ws/?dfwskey=k", "since", null), "ws://h/ws/?dfwskey=k");
    assert.equal(withQuery("ws://h/ws/?dfwskey=k", "since", ""), "ws://h/ws/?dfwskey=k&since=", "empty is a value");
    assert.equal(withQuery("ws://h/ws/?since=e0:1", "since", "e1:2"), "ws://h/ws/?since=e0:1");
    assert.equal(withQuery("ws://h/ws/?oldsince=1", "since", "e1:2"), "ws://h/ws/?oldsince=1&since=e1%3A2");
  });
});
