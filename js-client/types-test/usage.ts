// Compiled with `tsc --noEmit` by `npm run typecheck`: the declarations in switchboard.d.ts
// accept the client's documented uses and refuse misuses (each `@ts-expect-error` must fail).

import DFSignals, { SignalError } from "../switchboard";
import type { ConnectionState, Stats } from "../switchboard";

const off: () => void = DFSignals.connect("chat.message", (opts: { text: string }, id) => {
  console.log(opts.text, id?.length);
});
off();
DFSignals.connect("html.append", (opts) => opts.selector.toUpperCase());
DFSignals.disconnect("html.append");

const sum: Promise<number> = DFSignals.request<number>("demo.add", { a: 1, b: 2 }, { timeout: 500 });
sum.catch((error: unknown) => {
  if (error instanceof SignalError) {
    const code: string = error.code;
    console.log(code, error.message);
  }
});

const cancelled: false = DFSignals.call("df.notify", { level: "success", title: "Saved", message: "ok" });
console.log(cancelled);
const state: ConnectionState = DFSignals.state;
const stats: Stats = window.DFSignals.stats();
console.log(state, stats.dropped + stats.queued);
const stop = DFSignals.onStateChange((next) => console.log(next === "open"));
stop();
window.addEventListener("dfsignals:state", (event) => console.log(event.detail.state));
document.addEventListener("DOMContentAdded", (event) => console.log(event.target));

// @ts-expect-error: request options are an object, not a number
DFSignals.request("demo.add", {}, 5);
// @ts-expect-error: a built-in's handler gets its documented arguments
DFSignals.connect("html.add_class", (opts) => opts.className);
// @ts-expect-error: the state is read-only
DFSignals.state = "open";
