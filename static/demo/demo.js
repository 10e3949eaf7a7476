/* Switchboard demo page 0.1.0. Generated from js-client/demo by `npm run build`: do not edit. */
(() => {
  // demo/dom.js
  function h(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "class") element.className = String(value);
      else if (value === true) element.setAttribute(name, "");
      else if (value !== false) element.setAttribute(name, value);
    }
    element.append(...children.filter((child) => child !== null && child !== false));
    return element;
  }
  function byId(id) {
    const element = document.getElementById(id);
    if (!element) throw new Error(`the page has no #${id}`);
    return element;
  }
  var timeFormat = new Intl.DateTimeFormat(void 0, { hour: "2-digit", minute: "2-digit" });
  function timeElement(ms, className) {
    const date = new Date(ms);
    const attributes = { class: className, datetime: date.toISOString(), title: date.toLocaleString() };
    return h("time", attributes, timeFormat.format(date));
  }
  function avatar(name) {
    const element = h("span", { class: "avatar", "aria-hidden": "true" });
    paintAvatar(element, name);
    return element;
  }
  function paintAvatar(element, name) {
    const words = name.trim().split(/\s+/).filter(Boolean);
    const initials = words.length > 1 ? words[0][0] + words.at(-1)[0] : name.trim().slice(0, 2);
    element.textContent = initials.toUpperCase() || "?";
    let hue = 0;
    for (const char of name) hue = (hue * 31 + char.codePointAt(0)) % 360;
    element.style.setProperty("--avatar-hue", String(hue));
  }
  function describeError(error) {
    const { code, message } = (
      /** @type {{code?: string, message?: string}} */
      error
    );
    switch (code) {
      case "timeout":
        return "The server did not answer in time. Try again.";
      case "disconnected":
        return "The connection dropped before the answer came. Try again.";
      default:
        return code ? `${message} (${code})` : String(message ?? error);
    }
  }

  // demo/chat.js
  var DEFAULT_ROOM = "lobby";
  var MAX_MESSAGES = 200;
  var GROUP_MS = 5 * 6e4;
  function roomName(typed) {
    return typed.trim().replace(/^#+/, "").trim().toLowerCase().replace(/\s+/g, "-");
  }
  function initChat(signals2, myName2) {
    const roomList = byId("room-list");
    const joinForm = (
      /** @type {HTMLFormElement} */
      byId("join-form")
    );
    const joinInput = (
      /** @type {HTMLInputElement} */
      byId("join-input")
    );
    const joinError = byId("join-error");
    const title = byId("room-title");
    const topic = byId("room-topic");
    const leaveButton = byId("leave-button");
    const messageList = byId("messages");
    const empty = byId("chat-empty");
    const composer = (
      /** @type {HTMLFormElement} */
      byId("composer")
    );
    const input = (
      /** @type {HTMLInputElement} */
      byId("composer-input")
    );
    const send = (
      /** @type {HTMLButtonElement} */
      byId("composer-send")
    );
    const composerError = byId("composer-error");
    const rooms = /* @__PURE__ */ new Map();
    let current = null;
    let synced = false;
    function renderRooms() {
      roomList.replaceChildren(
        ...[...rooms].map(([name, room]) => {
          const button = h(
            "button",
            { class: "room", type: "button", "aria-current": String(name === current) },
            h("span", { class: "room-name" }, name),
            room.unread > 0 && h("span", { class: "badge", "aria-label": `${room.unread} unread` }, String(room.unread))
          );
          button.addEventListener("click", () => show(name));
          return h("li", {}, button);
        })
      );
    }
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
          message.from === myName2() && h("span", { class: "message-you" }, "you"),
          timeElement(message.at, "message-time")
        ),
        text
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
    function show(name) {
      current = name;
      const room = name === null ? null : rooms.get(name);
      if (room) room.unread = 0;
      composerError.textContent = "";
      renderRooms();
      renderCurrent();
      if (room) input.focus();
    }
    async function join(name, { quietly = false } = {}) {
      joinError.textContent = "";
      try {
        const { topic: joined } = await signals2.request("demo.join", { room: name });
        if (!rooms.has(name)) rooms.set(name, { topic: joined, messages: [], unread: 0 });
        if (quietly) renderRooms();
        else show(name);
      } catch (err) {
        joinError.textContent = `Could not join #${name}: ${describeError(err)}`;
      }
    }
    async function leave(name) {
      try {
        await signals2.request("demo.leave", { room: name });
      } catch (err) {
        composerError.textContent = `Could not leave #${name}: ${describeError(err)}`;
        return;
      }
      rooms.delete(name);
      if (current === name) show(rooms.keys().next().value ?? null);
      else renderRooms();
    }
    signals2.connect("demo.message", (message) => {
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
      if (atBottom || message.from === myName2()) messageList.scrollTop = messageList.scrollHeight;
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
        await signals2.request("demo.say", { room: current, text });
        input.value = "";
      } catch (err) {
        composerError.textContent = describeError(err);
      } finally {
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
      }
    };
  }

  // demo/toasts.js
  var VISIBLE_MS = 6e3;
  var MAX_TOASTS = 4;
  function showToast({ title, message, level, scope }) {
    const container = byId("toasts");
    const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, "×");
    const card = h(
      "div",
      { class: "toast", role: "status", "data-level": level },
      h("strong", { class: "toast-title" }, title),
      close,
      h("p", { class: "toast-message" }, message),
      scope !== void 0 && h("small", { class: "toast-scope" }, scope)
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

  // demo/notifications.js
  var LEVELS = /* @__PURE__ */ new Set(["info", "success", "warning", "error"]);
  var MAX_RECENT = 20;
  function knownLevel(level) {
    return LEVELS.has(level) ? level : "info";
  }
  function initNotifications(signals2) {
    const button = byId("bell-button");
    const panel = byId("bell-panel");
    const count = byId("bell-count");
    const list = byId("bell-list");
    const empty = byId("bell-empty");
    const readAll = (
      /** @type {HTMLButtonElement} */
      byId("read-all")
    );
    let unread = 0;
    let recent = [];
    function render() {
      count.hidden = unread === 0;
      count.textContent = unread > 99 ? "99+" : String(unread);
      button.setAttribute("aria-label", unread > 0 ? `Notifications, ${unread} unread` : "Notifications");
      readAll.disabled = unread === 0;
      list.replaceChildren(...recent.map((n, index) => item(n, index < unread)));
      empty.hidden = recent.length > 0;
    }
    function item(notification, isUnread) {
      return h(
        "li",
        { class: "notification", "data-level": knownLevel(notification.level), "data-unread": isUnread },
        h("span", { class: "notification-dot", "aria-hidden": "true" }),
        h("strong", { class: "notification-title" }, notification.title),
        timeElement(notification.at, "notification-time"),
        h("p", { class: "notification-message" }, notification.message)
      );
    }
    function setOpen(open) {
      panel.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
    }
    button.addEventListener("click", () => setOpen(panel.hidden));
    document.addEventListener("click", (event) => {
      if (!panel.hidden && !button.parentElement.contains(
        /** @type {Node} */
        event.target
      )) setOpen(false);
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
        ({ unread } = await signals2.request("demo.read_all"));
      } catch (err) {
        showToast({ title: "Could not mark notifications as read", message: describeError(err), level: "error" });
      }
      render();
    });
    signals2.connect("demo.notification", ({ notification, unread: newCount }) => {
      const personal = newCount !== void 0;
      if (personal) {
        unread = newCount;
        recent = [notification, ...recent.filter((n) => n.id !== notification.id)].slice(0, MAX_RECENT);
        render();
      }
      showToast({
        title: notification.title,
        message: notification.message,
        level: knownLevel(notification.level),
        scope: personal ? "For you, in every tab" : "Sent to everyone"
      });
    });
    render();
    return {
      /** Reads the unread count and the recent notifications again. */
      async refresh() {
        try {
          ({ unread, recent } = await signals2.request("demo.notifications"));
          empty.textContent = "You're all caught up.";
        } catch (err) {
          empty.textContent = `Could not load notifications: ${describeError(err)}`;
        }
        render();
      }
    };
  }

  // demo/notify-form.js
  function initNotifyForm(windowKey) {
    const form = (
      /** @type {HTMLFormElement} */
      byId("notify-form")
    );
    const status = byId("notify-status");
    const submit = (
      /** @type {HTMLButtonElement} */
      form.querySelector("button[type=submit]")
    );
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
        level: String(fields.get("level"))
      };
      const broadcast = fields.get("broadcast") === "on";
      submit.disabled = true;
      say("Sending…", "pending");
      try {
        const response = await fetch("/demo/notify", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Window-Key": windowKey },
          body: JSON.stringify(broadcast ? { broadcast: true, ...body } : body)
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

  // demo/playground.js
  var PRESETS = {
    "demo.add": { a: 2, b: 40 },
    "demo.echo": { hello: "world" },
    "demo.slow": { ms: 1500 },
    "demo.whoami": {},
    "demo.admin": {},
    "demo.missing": {}
  };
  var MAX_ENTRIES = 20;
  function initPlayground(signals2) {
    const form = (
      /** @type {HTMLFormElement} */
      byId("playground-form")
    );
    const log = byId("playground-log");
    const { signal, opts, timeout } = (
      /** @type {any} */
      form.elements
    );
    const usePreset = () => {
      opts.value = JSON.stringify(PRESETS[signal.value] ?? {});
    };
    signal.addEventListener("change", usePreset);
    usePreset();
    function entry(title) {
      const detail = h("small", {}, "waiting…");
      const item = h("li", { class: "log-entry", "data-level": "info" }, title, detail);
      log.prepend(item);
      while (log.children.length > MAX_ENTRIES) log.lastElementChild.remove();
      return (text, level) => {
        detail.textContent = text;
        item.dataset.level = level;
      };
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let parsed;
      try {
        parsed = JSON.parse(opts.value || "{}");
      } catch (err) {
        entry(signal.value)(`options are not JSON: ${err.message}`, "error");
        return;
      }
      const settle = entry(`${signal.value} ${JSON.stringify(parsed)}`);
      const started = performance.now();
      const elapsed = () => `${Math.round(performance.now() - started)} ms`;
      try {
        const result = await signals2.request(signal.value, parsed, { timeout: Number(timeout.value) });
        settle(`→ ${JSON.stringify(result)} · ${elapsed()}`, "success");
      } catch (err) {
        settle(`✕ ${err.code}: ${err.message} · ${elapsed()}`, "error");
      }
    });
    signals2.connect("demo.echo", (echoed, signalId) => {
      entry(`signal demo.echo ${JSON.stringify(echoed)}`)(`pushed to this window · ${signalId}`, "warning");
    });
  }

  // demo/status.js
  function initStatus(signals2) {
    const badge = byId("connection");
    const text = byId("connection-text");
    let wasOpen = false;
    function show(state) {
      wasOpen ||= state === "open";
      badge.dataset.state = state;
      if (state === "open") {
        text.textContent = "Connected";
        badge.title = "Live: signals arrive as they are sent.";
      } else if (state === "connecting") {
        text.textContent = wasOpen ? "Reconnecting…" : "Connecting…";
        badge.title = "Opening the websocket.";
      } else {
        text.textContent = "Offline";
        badge.title = "No connection. Retrying by itself; calls made meanwhile are queued.";
      }
    }
    show(signals2.state);
    signals2.onStateChange(show);
  }

  // demo/main.js
  var signals = window.DFSignals;
  var nameElement = byId("me-name");
  var detailElement = byId("me-detail");
  var avatarElement = byId("me-avatar");
  var myName = nameElement.textContent.trim();
  paintAvatar(avatarElement, myName);
  initStatus(signals);
  var chat = initChat(signals, () => myName);
  var notifications = initNotifications(signals);
  initNotifyForm(document.querySelector('meta[name="df-window-key"]')?.getAttribute("content") ?? null);
  initPlayground(signals);
  async function whoami() {
    try {
      const { anonymous, user } = await signals.request("demo.whoami");
      if (anonymous) {
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
  signals.connect("df.resync", (opts) => {
    if (!opts?.recovered) sync();
  });
})();
