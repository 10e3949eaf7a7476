// The code table (src/codes.js): its contents, and the client's behaviour following it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLOSE_CODES, CloseCode, ErrorCode, reconnectAfter } from "../src/codes.js";
import { SignalError } from "../src/errors.js";
import { setup } from "./helpers.js";

describe("ErrorCode", () => {
  it("holds the protocol's error codes and the client's own, once each", () => {
    const server = ["bad_frame", "unknown_signal", "forbidden", "invalid_arguments", "handler_error", "rate_limited", "timeout"];
    const client = ["timeout", "disconnected", "unknown_error"];
    assert.deepEqual(new Set(Object.values(ErrorCode)), new Set([...server, ...client]));
    assert.equal(new Set(Object.values(ErrorCode)).size, Object.values(ErrorCode).length);
    for (const [name, code] of Object.entries(ErrorCode)) assert.equal(name, code.toUpperCase());
  });

  it("is frozen", () => {
    assert.ok(Object.isFrozen(ErrorCode));
    assert.throws(() => {
      ErrorCode.TIMEOUT = "late";
    }, TypeError);
  });

  it("is what a SignalError's code is compared with", () => {
    const error = new SignalError(ErrorCode.FORBIDDEN, "no");
    assert.equal(error.code, "forbidden");
    assert.equal(error.name, "SignalError");
    assert.ok(Object.hasOwn(error, "name"));
    assert.ok(error instanceof Error);
  });
});

describe("CloseCode and CLOSE_CODES", () => {
  it("has one frozen row per close code, in code order", () => {
    assert.deepEqual(
      CLOSE_CODES.map((row) => [row.name, row.code]),
      Object.entries(CloseCode),
    );
    const codes = CLOSE_CODES.map((row) => row.code);
    assert.deepEqual(codes, [...codes].sort((a, b) => a - b));
    assert.ok(Object.isFrozen(CloseCode) && Object.isFrozen(CLOSE_CODES));
    for (const row of CLOSE_CODES) {
      assert.ok(Object.isFrozen(row), row.name);
      assert.ok(["server", "browser", "client"].includes(row.sentBy), row.name);
      assert.ok(row.meaning.length > 0, row.name);
    }
  });

  it("lists the codes the server closes with, and those of protocol 1.1", () => {
    const server = CLOSE_CODES.filter((row) => row.sentBy === "server").map((row) => row.code);
    assert.deepEqual(server, [1000, 1001, 1002, 1007, 1008, 1009, 1011, 1013]);
    assert.equal(CloseCode.SILENT, 4000);
  });

  it("keeps the window away after 1002, 1007, 1008 and 1009 only, known codes or not", () => {
    const away = CLOSE_CODES.filter((row) => row.reconnect === "stay-away").map((row) => row.code);
    assert.deepEqual(away, [1002, 1007, 1008, 1009]);
    for (const code of away) assert.equal(reconnectAfter(code), "stay-away", String(code));
    for (const code of [1000, 1001, 1006, 1011, 1013, 4000, 1005, 3000, 4999]) {
      assert.equal(reconnectAfter(code), "backoff", String(code));
    }
  });

  it("is what the client follows after each close", () => {
    for (const row of CLOSE_CODES) {
      const t = setup({ random: () => 0 });
      t.socket.accept();
      t.socket.drop(row.code);
      const [delay] = t.clock.pendingDelays();
      assert.equal(delay, row.reconnect === "stay-away" ? 60_000 : 0, `${row.code} ${row.name}`);
    }
  });
});
