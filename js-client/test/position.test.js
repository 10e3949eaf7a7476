import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPosition, formatPosition, isOffset, parsePosition, readPosition } from "../src/position.js";

describe("isOffset", () => {
  it("accepts the integers from 0 to 2^53 - 1 only", () => {
    for (const value of [0, 1, 42, Number.MAX_SAFE_INTEGER]) assert.equal(isOffset(value), true, String(value));
    for (const value of [-1, 1.5, 2 ** 53, NaN, Infinity, "1", null, undefined, 1n]) {
      assert.equal(isOffset(value), false, String(value));
    }
  });
});

describe("readPosition", () => {
  it("copies {epoch, offset}, frozen, without other members", () => {
    const source = { epoch: "e1", offset: 5, extra: true };
    const read = readPosition(source);
    assert.deepEqual(read, { epoch: "e1", offset: 5 });
    assert.notEqual(read, source);
    assert.ok(Object.isFrozen(read));
  });

  it("refuses anything else", () => {
    for (const value of [null, undefined, "e1:5", 5, [], {}, { epoch: "e1" }, { offset: 5 }, { epoch: "", offset: 5 },
      { epoch: 1, offset: 5 }, { epoch: "e1", offset: -1 }, { epoch: "e1", offset: "5" }]) {
      assert.equal(readPosition(value), null, JSON.stringify(value));
    }
  });
});

describe("parsePosition and formatPosition", () => {
  it("read and write E:N, the offset after the last colon", () => {
    assert.deepEqual(parsePosition("e1:42"), { epoch: "e1", offset: 42 });
    assert.deepEqual(parsePosition(" a:b:0 "), { epoch: "a:b", offset: 0 });
    assert.deepEqual(parsePosition(`e:${Number.MAX_SAFE_INTEGER}`), { epoch: "e", offset: Number.MAX_SAFE_INTEGER });
    assert.equal(formatPosition({ epoch: "a:b", offset: 7 }), "a:b:7");
    assert.deepEqual(parsePosition(formatPosition({ epoch: "x y", offset: 3 })), { epoch: "x y", offset: 3 });
  });

  it("refuse a missing epoch or an offset that is not a decimal integer below 2^53", () => {
    for (const text of ["", "e1", ":5", "e1:", "e1:-1", "e1:+1", "e1:1.5", "e1:1e3", "e1:0x10", "e1: 5", "e1:9007199254740992"]) {
      assert.equal(parsePosition(text), null, text);
    }
  });
});

describe("createPosition", () => {
  it("is null until set, then raised by larger offsets only", () => {
    const position = createPosition();
    position.raise(10);
    assert.equal(position.current, null, "nothing to raise without a position");
    position.set({ epoch: "e1", offset: 5 });
    position.raise(4);
    position.raise(5);
    assert.deepEqual(position.current, { epoch: "e1", offset: 5 });
    position.raise(9);
    assert.deepEqual(position.current, { epoch: "e1", offset: 9 });
    position.raise(7);
    assert.deepEqual(position.current, { epoch: "e1", offset: 9 });
    assert.ok(Object.isFrozen(position.current));
  });

  it("is replaced by set, even by a lower offset or null", () => {
    const position = createPosition();
    position.set({ epoch: "e1", offset: 5 });
    position.set({ epoch: "e2", offset: 1 });
    assert.deepEqual(position.current, { epoch: "e2", offset: 1 });
    position.set(null);
    assert.equal(position.current, null);
  });
});
