/**
 * The run's schedule, fixed before it starts: to whom each trigger is addressed, and when
 * each window's socket is cut. Addressing is kept as data (`Audience`), so that the windows
 * a trigger must reach can be computed for every window afterwards.
 */

/**
 * Who a trigger reaches: every window, or the windows of a set of indexes (their users).
 * @typedef {{all: true} | {all: false, windows: Set<number>}} Audience
 */

/**
 * @typedef {object} Addressing
 * @property {string} kind a short name for reports: `topic`, `users`, `broadcast`, `mixed`
 *   (Switchboard) or `group` (a peer without windows, where every socket gets everything)
 * @property {Array<string | Record<string, string>>} to the API's `to` (Switchboard only)
 * @property {Audience} audience
 */

/** How many groups of windows the user-addressed triggers take turns on. */
export const USER_GROUPS = 8;

/**
 * The user id of window `index` (each window has a user of its own).
 * @param {number} index
 */
export function userOf(index) {
  return `jitter-${index}`;
}

/**
 * The addressing of trigger `seq` on Switchboard, in a cycle of four:
 * 1. `{"topic": "jitter"}`: every window;
 * 2. the users of one group of windows (every window whose index ≡ g mod 8, g taking turns),
 *    one `{"user": ID}` destination each: about N/8 windows;
 * 3. `"broadcast"`: every window;
 * 4. the topic, broadcast and a group's users at once: every window, once (a window in
 *    several targeted topics still receives the trigger once).
 * @param {number} seq 0, 1, 2, ...
 * @param {number} windows N
 * @returns {Addressing}
 */
export function switchboardAddressing(seq, windows) {
  const group = Math.floor(seq / 4) % USER_GROUPS;
  const members = [];
  for (let i = group; i < windows; i += USER_GROUPS) members.push(i);
  const users = members.map((i) => ({ user: userOf(i) }));
  switch (seq % 4) {
    case 0:
      return { kind: "topic", to: [{ topic: "jitter" }], audience: { all: true } };
    case 1:
      return { kind: "users", to: users, audience: { all: false, windows: new Set(members) } };
    case 2:
      return { kind: "broadcast", to: ["broadcast"], audience: { all: true } };
    default:
      return { kind: "mixed", to: [{ topic: "jitter" }, "broadcast", ...users], audience: { all: true } };
  }
}

/**
 * The addressing of every trigger on a peer without windows or users (Django Channels):
 * one group that every socket is in.
 * @returns {Addressing}
 */
export function groupAddressing() {
  return { kind: "group", to: [], audience: { all: true } };
}

/**
 * @param {Audience} audience
 * @param {number} index a window
 * @returns {boolean} whether the window is addressed
 */
export function reaches(audience, index) {
  return audience.all || audience.windows.has(index);
}

/**
 * When a window's socket is cut: at a random phase in [0, period), then every period, while
 * before `until`.
 * @param {object} options
 * @param {number} options.period ms between two cuts of one window
 * @param {number} options.until ms from the start: no cut at or after it
 * @param {() => number} options.random uniform in [0, 1)
 * @returns {number[]} ms from the start
 */
export function cutTimes({ period, until, random }) {
  const times = [];
  for (let t = random() * period; t < until; t += period) times.push(t);
  return times;
}
