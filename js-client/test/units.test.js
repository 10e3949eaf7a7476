import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBackoff } from "../src/backoff.js";
import { createOutbox } from "../src/outbox.js";
import { createRecentIds } from "../src/recent-ids.js";
import { createRegistry } from "../src/registry.js";

describe("backoff", () => {
  it("draws each delay below a ceiling that doubles up to the cap", () => {
    const top = createBackoff({ base: 500, cap: 30_000, random: () => 0.999999 });
    const ceilings = Array.from({ length: 9 }, () => top.next() + 1);
    assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    const bottom = createBackoff({ base: 500, cap: 30_000, random: () => 0 });
    assert.deepEqual([bottom.next(), bottom.next(), bottom.next()], [0, 0, 0]);
  });

  it("adds the floor, and starts over after reset", () => {
    const backoff = createBackoff({ base: 500, cap: 30_000, random: () => 0.5 });
    assert.equal(backoff.next(60_000), 60_250);
    assert.equal(backoff.next(), 500);
    backoff.reset();
    assert.equal(backoff.next(), 250);
  });
});

describe("outbox", () => {
  it("hands items out in order and keeps the ones not accepted", () => {
    const outbox = createOutbox({ capacity: 10, onOverflow: assert.fail });
    ["a", "b", "c"].forEach((x) => outbox.push(x));
    const sent = [];
    outbox.drain((x) => x !== "c" && sent.push(x) > 0);
    assert.deepEqual(sent, ["a", "b"]);
    outbox.drain((x) => sent.push(x) > 0);
    assert.deepEqual(sent, ["a", "b", "c"]);
  });

  it("drops the oldest beyond capacity and warns once per outage", () => {
    const warnings = [];
    const outbox = createOutbox({ capacity: 3, onOverflow: (n) => warnings.push(n) });
    for (let i = 1; i <= 6; i += 1) outbox.push(i);
    const sent = [];
    outbox.drain((x) => sent.push(x) > 0);
    assert.deepEqual(sent, [4, 5, 6]);
    assert.deepEqual(warnings, [3]);
    for (let i = 1; i <= 4; i += 1) outbox.push(i);
    assert.deepEqual(warnings, [3, 3]);
  });
});

describe("recent ids", () => {
  it("reports repeats and forgets the oldest beyond capacity", () => {
    const ids = createRecentIds(2);
    assert.equal(ids.record("a"), true);
    assert.equal(ids.record("a"), false);
    ids.record("b");
    ids.record("c");
    assert.equal(ids.record("c"), false);
    assert.equal(ids.record("a"), true, "a was forgotten");
  });
});

describe("registry", () => {
  it("runs handlers in order with opts and signal id", () => {
    const registry = createRegistry({ onError: assert.fail });
    const calls = [];
    registry.add("x", (opts, id) => calls.push(["first", opts, id]));
    registry.add("x", (opts, id) => calls.push(["second", opts, id]));
    registry.dispatch("x", { n: 1 }, "sid");
    registry.dispatch("y", {});
    assert.deepEqual(calls, [["first", { n: 1 }, "sid"], ["second", { n: 1 }, "sid"]]);
  });

  it("unregisters one registration, or every registration of a function", () => {
    const registry = createRegistry({ onError: assert.fail });
    let count = 0;
    const fn = () => (count += 1);
    const off = registry.add("x", fn);
    registry.add("x", fn);
    off();
    off();
    registry.dispatch("x", {});
    assert.equal(count, 1);
    registry.add("x", fn);
    registry.remove("x", fn);
    registry.dispatch("x", {});
    assert.equal(count, 1);
  });

  it("keeps running the others when a handler throws", () => {
    const errors = [];
    const registry = createRegistry({ onError: (name, err) => errors.push([name, err.message]) });
    let ran = false;
    registry.add("x", () => {
      throw new Error("boom");
    });
    registry.add("x", () => (ran = true));
    registry.dispatch("x", {});
    assert.equal(ran, true);
    assert.deepEqual(errors, [["x", "boom"]]);
  });

  it("applies changes made during a dispatch from the next one", () => {
    const registry = createRegistry({ onError: assert.fail });
    const calls = [];
    const off = registry.add("x", () => {
      calls.push("a");
      off();
      registry.add("x", () => calls.push("late"));
    });
    registry.add("x", () => calls.push("b"));
    registry.dispatch("x", {});
    registry.dispatch("x", {});
    assert.deepEqual(calls, ["a", "b", "b", "late"]);
  });

  it("refuses a handler that is not a function", () => {
    const registry = createRegistry({ onError: assert.fail });
    assert.throws(() => registry.add("x", "nope"), TypeError);
  });
});
