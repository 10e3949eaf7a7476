/**
 * Entry point of `static/switchboard.js`, the classic script: publishes the client as
 * `window.DFSignals`, where df_websockets pages and inline handlers such as
 * `onclick="return DFSignals.call('x.y', {})"` expect it.
 */
import { DFSignals } from "./browser.js";

globalThis.DFSignals = DFSignals;
