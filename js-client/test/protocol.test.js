import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeCall, parseFrame } from "../src/protocol.js";

describe("encodeCall", () => {
  it("writes signal, opts and the optional id, in that order", () => {
    assert.equal(encodeCall("chat.say", { text: "hi" }), '{"signal":"chat.say","opts":{"text":"hi"}}');
    assert.equal(encodeCall("a", {}, "7"), '{"signal":"a","opts":{},"id":"7"}');
  });

  it("refuses what the server would answer with bad_frame", () => {
    const badFrame = { name: "SignalError", code: "bad_frame" };
    for (const name of ["", "a..b", "1a", "a-b", "a.", "x".repeat(129), 3]) {
      assert.throws(() => encodeCall(name, {}), badFrame, String(name));
    }
    assert.doesNotThrow(() => encodeCall(`_a.B_9.${"x".repeat(121)}`, {}));
    for (const opts of [null, [], "x", 1]) assert.throws(() => encodeCall("a", opts), badFrame);
    assert.throws(() => encodeCall("a", { n: 1n }), badFrame);
  });
});

describe("parseFrame", () => {
  it("reads signal frames, defaulting missing opts to {}", () => {
    assert.deepEqual(parseFrame('{"signal":"a.b","opts":{"x":1},"signal_id":"u1"}'), {
      type: "signal", name: "a.b", opts: { x: 1 }, signalId: "u1", offset: null,
    });
    assert.deepEqual(parseFrame('{"signal":"a","signal_id":"u2"}').opts, {});
  });

  it("reads a signal frame's offset, when it is one", () => {
    assert.equal(parseFrame('{"signal":"a","opts":{},"signal_id":"u1","offset":42}').offset, 42);
    assert.equal(parseFrame('{"signal":"a","opts":{},"signal_id":"u1","offset":0}').offset, 0);
    const max = Number.MAX_SAFE_INTEGER;
    assert.equal(parseFrame(`{"signal":"a","opts":{},"signal_id":"u1","offset":${max}}`).offset, max);
    for (const offset of ['"42"', "-1", "1.5", "null", "9007199254740992", "1e300", "[1]"]) {
      const frame = parseFrame(`{"signal":"a","opts":{},"signal_id":"u1","offset":${offset}}`);
      assert.equal(frame.type, "signal", offset);
      assert.equal(frame.offset, null, offset);
    }
  });

  it("reads position frames, with or without recovered", () => {
    assert.deepEqual(parseFrame('{"position":{"epoch":"e1","offset":7}}'), {
      type: "position", position: { epoch: "e1", offset: 7 }, recovered: null,
    });
    assert.deepEqual(parseFrame('{"position":{"epoch":"e1","offset":0},"recovered":true}'), {
      type: "position", position: { epoch: "e1", offset: 0 }, recovered: true,
    });
    assert.deepEqual(parseFrame('{"position":null,"recovered":false}'), {
      type: "position", position: null, recovered: false,
    });
    assert.deepEqual(parseFrame('{"position":{"epoch":"e1","offset":3,"more":1},"recovered":false,"future":2}'), {
      type: "position", position: { epoch: "e1", offset: 3 }, recovered: false,
    });
  });

  it("calls a position frame whose fields have the wrong types invalid", () => {
    for (const text of [
      '{"position":{"epoch":"e1"}}',
      '{"position":{"offset":1}}',
      '{"position":{"epoch":"","offset":1}}',
      '{"position":{"epoch":7,"offset":1}}',
      '{"position":{"epoch":"e1","offset":-1}}',
      '{"position":{"epoch":"e1","offset":1.5}}',
      '{"position":{"epoch":"e1","offset":"1"}}',
      '{"position":{"epoch":"e1","offset":9007199254740992}}',
      '{"position":"e1:1"}',
      '{"position":[]}',
      '{"position":{"epoch":"e1","offset":1},"recovered":"yes"}',
      '{"position":{"epoch":"e1","offset":1},"recovered":null}',
      '{"position":null,"recovered":true}',
    ]) {
      const frame = parseFrame(text);
      assert.equal(frame.type, "invalid", text);
      assert.equal(typeof frame.reason, "string", text);
    }
  });

  it("reads replies, successful or not", () => {
    assert.deepEqual(parseFrame('{"reply_to":"3","ok":true,"result":null}'), {
      type: "reply", id: "3", ok: true, result: null,
    });
    const failed = parseFrame('{"reply_to":"4","ok":false,"error":{"code":"forbidden","message":"no"}}');
    assert.equal(failed.ok, false);
    assert.equal(failed.error.code, "forbidden");
    assert.equal(failed.error.message, "no");
  });

  it("reads error frames", () => {
    const frame = parseFrame('{"error":{"code":"rate_limited","message":"slow down"}}');
    assert.equal(frame.type, "error");
    assert.equal(frame.error.code, "rate_limited");
  });

  it("leaves unknown shapes alone and throws on non-JSON", () => {
    for (const text of ["[1]", "null", "3", '{"signal":"a"}', '{"hello":1}']) {
      assert.deepEqual(parseFrame(text), { type: "other" }, text);
    }
    assert.throws(() => parseFrame("nope"), SyntaxError);
  });
});
