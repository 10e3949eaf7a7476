/**
 * The demo page's entry point (built into static/demo/demo.js): wires the page's parts to
 * `window.DFSignals`, and shows who this window is in the header. Everything is (re)read
 * when the socket first opens, and after a `df.resync` that could not recover what the page
 * missed (after a recovery, the missed signals were replayed: nothing to refetch).
 */
import { initChat } from "./chat.js";
import { byId, describeError, h, paintAvatar } from "./dom.js";
import { initNotifications } from "./notifications.js";
import { initNotifyForm } from "./notify-form.js";
import { initPlayground } from "./playground.js";
import { initStatus } from "./status.js";

const signals = window.DFSignals;
const nameElement = byId("me-name");
const detailElement = byId("me-detail");
const avatarElement = byId("me-avatar");
// The server rendered the name into the page; demo.whoami confirms it over the socket.
let myName = nameElement.textContent.trim();
paintAvatar(avatarElement, myName);

initStatus(signals);
const chat = initChat(signals, () => myName);
const notifications = initNotifications(signals);
initNotifyForm(document.querySelector('meta[name="df-window-key"]')?.getAttribute("content") ?? null);
initPlayground(signals);

async function whoami() {
  try {
    const { anonymous, user } = await signals.request("demo.whoami");
    if (anonymous) {
      // The page registered this window for a guest user: the server no longer knows it
      // (it restarted without a shared broker, or the registration expired).
      const reload = h("button", { class: "link-button", type: "button" }, "Window expired: reload");
      reload.addEventListener("click", () => location.reload());
      detailElement.replaceChildren(reload);
      return;
    }
    myName = user.username;
    nameElement.textContent = myName;
    detailElement.textContent = `User id ${user.id}`;
    paintAvatar(avatarElement, myName);
  } catch (err) {
    detailElement.textContent = describeError(err);
  }
}

function sync() {
  whoami();
  notifications.refresh();
  chat.sync();
}

// The client may have connected before this script ran (both scripts are deferred): then
// there is no "open" state change left to wait for.
if (signals.state === "open") {
  sync();
} else {
  const stopWaiting = signals.onStateChange((state) => {
    if (state === "open") {
      stopWaiting();
      sync();
    }
  });
}
signals.connect("df.resync", (/** @type {{recovered?: boolean}} */ opts) => {
  if (!opts?.recovered) sync();
});
