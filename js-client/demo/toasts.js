/**
 * Toasts: short-lived cards in the corner for incoming notifications. A few at most; each
 * fades after a while unless hovered.
 */
import { byId, h } from "./dom.js";

const VISIBLE_MS = 6_000;
const MAX_TOASTS = 4;

/**
 * Shows a toast.
 * @param {{title: string, message: string, level: string, scope?: string}} toast `scope`
 *   says who else got it
 */
export function showToast({ title, message, level, scope }) {
  const container = byId("toasts");
  const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, "×");
  const card = h(
    "div",
    { class: "toast", role: "status", "data-level": level },
    h("strong", { class: "toast-title" }, title),
    close,
    h("p", { class: "toast-message" }, message),
    scope !== undefined && h("small", { class: "toast-scope" }, scope),
  );
  let timer = setTimeout(() => card.remove(), VISIBLE_MS);
  close.addEventListener("click", () => card.remove());
  card.addEventListener("mouseenter", () => clearTimeout(timer));
  card.addEventListener("mouseleave", () => {
    timer = setTimeout(() => card.remove(), VISIBLE_MS / 2);
  });
  container.append(card);
  while (container.children.length > MAX_TOASTS) container.firstElementChild.remove();
}
