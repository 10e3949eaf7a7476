/**
 * The "Push a notification" form: posts to the demo's HTTP view `/demo/notify`, naming this
 * window with the `X-Window-Key` header, the way an application's own AJAX calls would. The
 * notification itself comes back over the websocket (see notifications.js).
 */
import { byId } from "./dom.js";

/**
 * @param {string | null} windowKey this page's window key (the `df-window-key` meta tag)
 */
export function initNotifyForm(windowKey) {
  const form = /** @type {HTMLFormElement} */ (byId("notify-form"));
  const status = byId("notify-status");
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));

  /**
   * @param {string} text
   * @param {"ok" | "error" | "pending"} kind
   */
  function say(text, kind) {
    status.textContent = text;
    status.dataset.kind = kind;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!windowKey) {
      say("This page has no window key.", "error");
      return;
    }
    const fields = new FormData(form);
    const body = {
      title: String(fields.get("title")),
      message: String(fields.get("message")),
      level: String(fields.get("level")),
    };
    const broadcast = fields.get("broadcast") === "on";
    submit.disabled = true;
    say("Sending…", "pending");
    try {
      const response = await fetch("/demo/notify", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Window-Key": windowKey },
        body: JSON.stringify(broadcast ? { broadcast: true, ...body } : body),
      });
      if (response.status === 202) {
        say(broadcast ? "Sent to every window." : "Sent: watch the bell.", "ok");
      } else {
        const answer = await response.json().catch(() => null);
        say(answer?.error?.message ?? `The server answered ${response.status}.`, "error");
      }
    } catch {
      say("Could not reach the server.", "error");
    } finally {
      submit.disabled = false;
    }
  });
}
