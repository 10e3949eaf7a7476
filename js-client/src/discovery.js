/**
 * Where to connect, and as which window (PROTOCOL.md §2): the `df-window-key` and
 * `df-ws-url` meta tags first, then df_websockets' `dfwskey` and `dfwsurl` cookies; the
 * position to resume from, when the page gives one (`df-ws-position`, §5.6); and the socket
 * URL that carries the key and the position.
 */

/**
 * @typedef {object} Endpoint
 * @property {string | null} url the websocket URL, null when the page has none
 * @property {string | null} key the window key, null when the page has none
 */

/**
 * Reads the page's endpoint, each part from its meta tag or else from its cookie.
 * @param {Pick<Document, "querySelector" | "cookie">} doc
 * @returns {Endpoint}
 */
export function discoverEndpoint(doc) {
  return {
    url: readMeta(doc, "df-ws-url") ?? readCookie(doc.cookie, "dfwsurl"),
    key: readMeta(doc, "df-window-key") ?? readCookie(doc.cookie, "dfwskey"),
  };
}

/**
 * Reads the position the page's state was rendered at, to resume from (PROTOCOL.md §5.6).
 * @param {Pick<Document, "querySelector">} doc
 * @returns {string | null} the content of the `df-ws-position` meta tag, `E:N` unless
 *   malformed; null when absent or empty
 */
export function discoverPosition(doc) {
  return readMeta(doc, "df-ws-position");
}

/**
 * @param {Pick<Document, "querySelector">} doc
 * @param {string} name
 * @returns {string | null} the content of `<meta name=NAME>`, null when absent or empty
 */
function readMeta(doc, name) {
  return doc.querySelector(`meta[name="${name}"]`)?.getAttribute("content") || null;
}

/**
 * Reads a cookie set by df_websockets, whose values are encoded with Python's `quote_plus`
 * (percent-encoding, with `+` for a space).
 * @param {string} cookies `document.cookie`
 * @param {string} name
 * @returns {string | null} the decoded value, null when absent or empty
 */
export function readCookie(cookies, name) {
  for (const pair of cookies.split(";")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim() === name) {
      return decodeQuotePlus(pair.slice(eq + 1).trim()) || null;
    }
  }
  return null;
}

/**
 * @param {string} encoded
 * @returns {string} the decoded text; `encoded` itself when it is not valid percent-encoding
 */
function decodeQuotePlus(encoded) {
  const text = encoded.replaceAll("+", " ");
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The URL to open: `url` with `dfwskey=KEY` added to its query, so that the server knows the
 * window even when another tab has since overwritten the shared `dfwskey` cookie.
 * @param {string} url the websocket URL
 * @param {string | null} key the window key; without one the server falls back to the cookie
 * @returns {string}
 */
export function socketUrl(url, key) {
  return key ? withQuery(url, "dfwskey", key) : url;
}

/**
 * `url` with `NAME=VALUE` added to its query (after `?`, or `&` when it has a query already),
 * the value percent-encoded (an empty value gives `NAME=`).
 * @param {string} url
 * @param {string} name a query parameter name, as it is written in the URL
 * @param {string | null} value nothing is added when it is null
 * @returns {string} `url` itself when the value is null or it already has a `NAME` parameter
 */
export function withQuery(url, name, value) {
  if (value === null || hasQuery(url, name)) return url;
  const separator = url.includes("?") ? "&" : "?";
  return `${url}${separator}${name}=${encodeURIComponent(value)}`;
}

/**
 * @param {string} url
 * @param {string} name a query parameter name, as it is written in the URL
 * @returns {boolean} whether `url` has a `NAME=` parameter
 */
export function hasQuery(url, name) {
  return new RegExp(`[?&]${name}=`).test(url);
}
