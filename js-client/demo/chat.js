/**
 * Rooms and messages: joining and leaving rooms (`demo.join`, `demo.leave`), the messages of
 * the current room (`demo.message`), and the composer (`demo.say`). After a resync every
 * joined room is joined again, in case the server lost this window's topics.
 */
import { avatar, byId, describeError, h, timeElement } from "./dom.js";

const DEFAULT_ROOM = "lobby";
const MAX_MESSAGES = 200;
// Messages from one sender this close together share one header.
const GROUP_MS = 5 * 60_000;

/**
 * @typedef {object} Message
 * @property {string} room
 * @property {string} text
 * @property {string} from the sender's user name
 * @property {number} at milliseconds since the epoch
 */

/**
 * @typedef {object} Room
 * @property {string} topic the server's topic for the room
 * @property {Message[]} messages oldest first
 * @property {number} unread messages that arrived while another room was shown
 */

/**
 * A room name as typed, tidied so that people meet in the same room: "#Rust Lang" → "rust-lang".
 * @param {string} typed
 * @returns {string}
 */
function roomName(typed) {
  return typed.trim().replace(/^#+/, "").trim().toLowerCase().replace(/\s+/g, "-");
}

/**
 * @param {typeof window.DFSignals} signals
 * @param {() => string} myName the current user name, to mark one's own messages
 * @returns {{sync: () => void}}
 */
export function initChat(signals, myName) {
  const roomList = byId("room-list");
  const joinForm = /** @type {HTMLFormElement} */ (byId("join-form"));
  const joinInput = /** @type {HTMLInputElement} */ (byId("join-input"));
  const joinError = byId("join-error");
  const title = byId("room-title");
  const topic = byId("room-topic");
  const leaveButton = byId("leave-button");
  const messageList = byId("messages");
  const empty = byId("chat-empty");
  const composer = /** @type {HTMLFormElement} */ (byId("composer"));
  const input = /** @type {HTMLInputElement} */ (byId("composer-input"));
  const send = /** @type {HTMLButtonElement} */ (byId("composer-send"));
  const composerError = byId("composer-error");

  /** @type {Map<string, Room>} the joined rooms, in joining order */
  const rooms = new Map();
  /** @type {string | null} */
  let current = null;
  let synced = false;

  function renderRooms() {
    roomList.replaceChildren(
      ...[...rooms].map(([name, room]) => {
        const button = h(
          "button",
          { class: "room", type: "button", "aria-current": String(name === current) },
          h("span", { class: "room-name" }, name),
          room.unread > 0 && h("span", { class: "badge", "aria-label": `${room.unread} unread` }, String(room.unread)),
        );
        button.addEventListener("click", () => show(name));
        return h("li", {}, button);
      }),
    );
  }

  /**
   * @param {Message} message
   * @param {Message | undefined} previous the message shown just before it
   */
  function messageItem(message, previous) {
    const text = h("p", { class: "message-text" }, message.text);
    if (previous && previous.from === message.from && message.at - previous.at < GROUP_MS) {
      return h("li", { class: "message" }, text);
    }
    return h(
      "li",
      { class: "message message-head" },
      avatar(message.from),
      h(
        "div",
        { class: "message-meta" },
        h("strong", { class: "message-from" }, message.from),
        message.from === myName() && h("span", { class: "message-you" }, "you"),
        timeElement(message.at, "message-time"),
      ),
      text,
    );
  }

  function renderCurrent() {
    const room = current === null ? null : rooms.get(current);
    title.textContent = current === null ? "No room" : `# ${current}`;
    topic.textContent = room ? `topic ${room.topic}` : "";
    leaveButton.hidden = !room;
    input.disabled = !room;
    send.disabled = !room;
    input.placeholder = room ? `Message #${current}` : "Join a room first";
    const messages = room?.messages ?? [];
    messageList.replaceChildren(...messages.map((m, i) => messageItem(m, messages[i - 1])));
    messageList.hidden = messages.length === 0;
    empty.hidden = messages.length > 0;
    empty.textContent = room ? `No messages in #${current} yet. Say hello!` : "Join a room to start chatting.";
    messageList.scrollTop = messageList.scrollHeight;
  }

  /** @param {string | null} name a joined room, or null for none */
  function show(name) {
    current = name;
    const room = name === null ? null : rooms.get(name);
    if (room) room.unread = 0;
    composerError.textContent = "";
    renderRooms();
    renderCurrent();
    if (room) input.focus();
  }

  /**
   * Joins `name` on the server, and shows it unless `quietly`.
   * @param {string} name
   * @param {{quietly?: boolean}} [options]
   */
  async function join(name, { quietly = false } = {}) {
    joinError.textContent = "";
    try {
      const { topic: joined } = await signals.request("demo.join", { room: name });
      if (!rooms.has(name)) rooms.set(name, { topic: joined, messages: [], unread: 0 });
      if (quietly) renderRooms();
      else show(name);
    } catch (err) {
      joinError.textContent = `Could not join #${name}: ${describeError(err)}`;
    }
  }

  /** @param {string} name */
  async function leave(name) {
    try {
      await signals.request("demo.leave", { room: name });
    } catch (err) {
      composerError.textContent = `Could not leave #${name}: ${describeError(err)}`;
      return;
    }
    rooms.delete(name);
    if (current === name) show(rooms.keys().next().value ?? null);
    else renderRooms();
  }

  signals.connect("demo.message", (/** @type {Message} */ message) => {
    const room = rooms.get(message.room);
    if (!room) return;
    room.messages.push(message);
    if (room.messages.length > MAX_MESSAGES) room.messages.shift();
    if (message.room !== current) {
      room.unread += 1;
      renderRooms();
      return;
    }
    const atBottom = messageList.scrollHeight - messageList.scrollTop - messageList.clientHeight < 80;
    messageList.append(messageItem(message, room.messages.at(-2)));
    if (messageList.childElementCount > MAX_MESSAGES) messageList.firstElementChild.remove();
    messageList.hidden = false;
    empty.hidden = true;
    if (atBottom || message.from === myName()) messageList.scrollTop = messageList.scrollHeight;
  });

  joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = roomName(joinInput.value);
    if (!name) return;
    joinInput.value = "";
    if (rooms.has(name)) show(name);
    else join(name);
  });

  leaveButton.addEventListener("click", () => {
    if (current !== null) leave(current);
  });

  input.addEventListener("input", () => {
    composerError.textContent = "";
  });

  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || current === null) return;
    input.disabled = true;
    send.disabled = true;
    try {
      await signals.request("demo.say", { room: current, text });
      input.value = "";
    } catch (err) {
      composerError.textContent = describeError(err);
    } finally {
      // The room may have been left meanwhile.
      input.disabled = current === null;
      send.disabled = current === null;
      input.focus();
    }
  });

  renderCurrent();

  return {
    /**
     * Joins the default room the first time, and every joined room again after that (the
     * server may have restarted and forgotten them).
     */
    sync() {
      if (!synced) {
        synced = true;
        join(DEFAULT_ROOM);
      } else {
        for (const name of rooms.keys()) join(name, { quietly: true });
      }
    },
  };
}
