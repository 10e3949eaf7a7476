/**
 * What the client does to the page itself, beyond moving signals: the built-in `html.*`
 * signals, the `df.notify` toasts and the `data-df-signal` bindings (df_websockets'
 * `base.js` and `forms.ts`). The built-in signals are ordinary local handlers: listeners a
 * page connects to the same names run too, and `DFSignals.disconnect(name)` removes them.
 */
import { watchBindings } from "./bindings.js";
import { htmlSignals } from "./html-signals.js";
import { createNotifier } from "./notify.js";

/** The signal that shows a toast. */
export const NOTIFY = "df.notify";

/**
 * @param {{connect: (name: string, fn: (opts: any) => void) => unknown,
 *   call: (name: string, opts: Record<string, unknown>) => unknown}} client the DFSignals
 *   object
 * @param {object} env
 * @param {Document} env.document
 * @param {(fn: () => void, ms: number) => unknown} env.setTimeout
 * @param {(timer: unknown) => void} env.clearTimeout
 * @param {Pick<Console, "warn">} env.console
 */
export function installPageFeatures(client, { document, setTimeout, clearTimeout, console: log }) {
  for (const [name, handler] of Object.entries(htmlSignals(document))) client.connect(name, handler);
  client.connect(NOTIFY, createNotifier({ document, setTimeout, clearTimeout }));
  watchBindings({
    document,
    setTimeout,
    call: client.call,
    warn: (message, element) => log.warn(`DFSignals: ${message}:`, element),
  });
}
