// Compiled with `tsc --noEmit` by `npm run typecheck`, after the build: the declarations
// generated from src/ (dist/switchboard.d.ts, found through package.json's `exports`, as a
// user of the package finds them) accept the client's documented uses and refuse misuses
// (each `@ts-expect-error` must fail).

import DFSignals, { CLOSE_CODES, CloseCode, ErrorCode, SignalError, reconnectAfter } from "switchboard-client";
import type {
  BuiltinSignals,
  ConfigureOptions,
  ConnectionState,
  DataSignalBinding,
  DFSignalsClient,
  Endpoint,
  FieldValue,
  NotifyLevel,
  NotifyOptions,
  Position,
  RequestOptions,
  ResyncOptions,
  SignalErrorCode,
  SignalHandler,
  SignalOptions,
  Stats,
} from "switchboard-client";
import "switchboard-client/global";

const off: () => void = DFSignals.connect("chat.message", (opts: { text: string }, id) => {
  console.log(opts.text, id?.length);
});
off();
DFSignals.connect("html.append", (opts) => opts.selector.toUpperCase());
DFSignals.disconnect("html.append");

const sum: Promise<number> = DFSignals.request<number>("demo.add", { a: 1, b: 2 }, { timeout: 500 });
sum.catch((error: unknown) => {
  if (error instanceof SignalError) {
    const code: SignalErrorCode = error.code;
    const name: "SignalError" = error.name;
    if (code === ErrorCode.FORBIDDEN || code === ErrorCode.TIMEOUT || code === "a_newer_code") {
      console.log(name, code, error.message);
    }
  }
});
const timeout: "timeout" = ErrorCode.TIMEOUT;
const policy: 1008 = CloseCode.POLICY_VIOLATION;
const stayAway: "backoff" | "stay-away" = reconnectAfter(policy);
console.log(timeout, stayAway, CLOSE_CODES.filter((row) => row.reconnect === "stay-away").map((row) => row.code));

const cancelled: false = DFSignals.call("df.notify", { level: "success", title: "Saved", message: "ok" });
console.log(cancelled);
const state: ConnectionState = DFSignals.state;
const stats: Stats = window.DFSignals.stats();
console.log(state, stats.dropped + stats.queued);
const stop = DFSignals.onStateChange((next) => console.log(next === "open"));
stop();
window.addEventListener("dfsignals:state", (event) => console.log(event.detail.state));
document.addEventListener("DOMContentAdded", (event) => console.log(event.target));

const client: DFSignalsClient = DFSignals;
const endpoint: Endpoint = { url: "wss://example.com/ws/" };
client.configure(endpoint);
const options: RequestOptions = { timeout: 1 };
const opts: SignalOptions = { any: ["json"] };
void client.request("x.y", opts, options);
const handler: SignalHandler<BuiltinSignals["html.forms.set"]> = ({ values }) => {
  const first: FieldValue | undefined = values[0]?.value;
  console.log(first);
};
client.connect("html.forms.set", handler);
const level: NotifyLevel = "warning";
const toast: NotifyOptions = { level, timeout: 0 };
client.call("df.notify", toast);
const binding: DataSignalBinding = { name: "article.save", form: "data", prevent: null };
console.log(binding);

// Recovery: the position to resume from, and whether a reconnection recovered.
const position: Position | null = stats.position;
console.log(position?.epoch.length, position?.offset, stats.recoveries + stats.recoveryFailures);
client.configure({ position: "4f1c:1207" });
const resumeAt: ConfigureOptions = { url: "wss://example.com/ws/", position: { epoch: "4f1c", offset: 1207 } };
client.configure(resumeAt);
DFSignals.connect("df.resync", (opts) => {
  const recovered: boolean = opts.recovered;
  if (!recovered) console.log("refetch");
});
const resynced: SignalHandler<ResyncOptions> = ({ recovered }) => console.log(recovered);
client.connect("df.resync", resynced);

// @ts-expect-error: request options are an object, not a number
DFSignals.request("demo.add", {}, 5);
// @ts-expect-error: a built-in's handler gets its documented arguments
DFSignals.connect("html.add_class", (opts) => opts.className);
// @ts-expect-error: the state is read-only
DFSignals.state = "open";
// @ts-expect-error: so are the methods (the client is frozen)
DFSignals.call = () => false;
// @ts-expect-error: the code tables are read-only
ErrorCode.TIMEOUT = "late";
// @ts-expect-error: a position's offset is a number
DFSignals.configure({ position: { epoch: "4f1c", offset: "1207" } });
// @ts-expect-error: df.resync's argument has `recovered`, nothing else
DFSignals.connect("df.resync", (opts) => opts.missed);
// @ts-expect-error: a handler's options are an object
const bad: SignalHandler<string> = () => {};
console.log(bad);
