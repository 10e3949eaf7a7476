/**
 * The bell: the unread count, the dropdown of recent notifications, "mark all as read", and
 * a toast for every pushed notification. The count is read with `demo.notifications` when
 * the page connects and after a resync, then kept up to date by `demo.notification` pushes.
 */
import { byId, describeError, h, timeElement } from "./dom.js";
import { showToast } from "./toasts.js";

const LEVELS = new Set(["info", "success", "warning", "error"]);
const MAX_RECENT = 20;

/**
 * @typedef {object} Notification
 * @property {number} id
 * @property {string} title
 * @property {string} message
 * @property {string} level
 * @property {number} at milliseconds since the epoch
 */

/** @param {string} level @returns {string} a level the stylesheet knows */
function knownLevel(level) {
  return LEVELS.has(level) ? level : "info";
}

/**
 * @param {typeof window.DFSignals} signals
 * @returns {{refresh: () => Promise<void>}}
 */
export function initNotifications(signals) {
  const button = byId("bell-button");
  const panel = byId("bell-panel");
  const count = byId("bell-count");
  const list = byId("bell-list");
  const empty = byId("bell-empty");
  const readAll = /** @type {HTMLButtonElement} */ (byId("read-all"));
  let unread = 0;
  /** @type {Notification[]} newest first; the first `unread` ones are unread */
  let recent = [];

  function render() {
    count.hidden = unread === 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    button.setAttribute("aria-label", unread > 0 ? `Notifications, ${unread} unread` : "Notifications");
    readAll.disabled = unread === 0;
    list.replaceChildren(...recent.map((n, index) => item(n, index < unread)));
    empty.hidden = recent.length > 0;
  }

  /**
   * @param {Notification} notification
   * @param {boolean} isUnread
   */
  function item(notification, isUnread) {
    return h(
      "li",
      { class: "notification", "data-level": knownLevel(notification.level), "data-unread": isUnread },
      h("span", { class: "notification-dot", "aria-hidden": "true" }),
      h("strong", { class: "notification-title" }, notification.title),
      timeElement(notification.at, "notification-time"),
      h("p", { class: "notification-message" }, notification.message),
    );
  }

  /** @param {boolean} open */
  function setOpen(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  }

  button.addEventListener("click", () => setOpen(panel.hidden));
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !button.parentElement.contains(/** @type {Node} */ (event.target))) setOpen(false);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      setOpen(false);
      button.focus();
    }
  });

  readAll.addEventListener("click", async () => {
    readAll.disabled = true;
    try {
      ({ unread } = await signals.request("demo.read_all"));
    } catch (err) {
      showToast({ title: "Could not mark notifications as read", message: describeError(err), level: "error" });
    }
    render();
  });

  signals.connect("demo.notification", ({ notification, unread: newCount }) => {
    // A broadcast carries no count: it is not kept in anyone's inbox.
    const personal = newCount !== undefined;
    if (personal) {
      unread = newCount;
      recent = [notification, ...recent.filter((n) => n.id !== notification.id)].slice(0, MAX_RECENT);
      render();
    }
    showToast({
      title: notification.title,
      message: notification.message,
      level: knownLevel(notification.level),
      scope: personal ? "For you, in every tab" : "Sent to everyone",
    });
  });

  render();

  return {
    /** Reads the unread count and the recent notifications again. */
    async refresh() {
      try {
        ({ unread, recent } = await signals.request("demo.notifications"));
        empty.textContent = "You're all caught up.";
      } catch (err) {
        empty.textContent = `Could not load notifications: ${describeError(err)}`;
      }
      render();
    },
  };
}
