//! The view helpers (`PageWindow`, `CallingWindow`) through the demo application, and how
//! the websocket upgrade finds the window key (query string, then cookie).

mod common;

use common::{Client, TestServer};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Name of the demo's guest-user cookie.
const USER_COOKIE: &str = "switchboard_demo_user";

/// One `Set-Cookie` header, split into its value and attributes.
#[derive(Debug)]
struct SetCookie {
    /// The cookie's value.
    value: String,
    /// `Path=/`, `Max-Age=86400`, `HttpOnly`, ... as sent.
    attributes: Vec<String>,
}

impl SetCookie {
    fn has(&self, attribute: &str) -> bool {
        self.attributes
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }

    fn has_named(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| {
            a.split('=')
                .next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
        })
    }
}

/// A rendered demo page.
struct Page {
    /// The window key it registered.
    key: String,
    /// The guest user id behind it.
    user: String,
    /// The HTML.
    html: String,
    /// `dfwskey`, `dfwsurl` and the guest-user cookie.
    key_cookie: SetCookie,
    url_cookie: SetCookie,
    user_cookie: SetCookie,
}

fn set_cookie(response: &reqwest::Response, name: &str) -> SetCookie {
    let prefix = format!("{name}=");
    let headers: Vec<&str> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .filter(|v| v.starts_with(&prefix))
        .collect();
    assert_eq!(headers.len(), 1, "one {name} cookie: {headers:?}");
    let mut parts = headers[0].split(';').map(str::trim);
    let value = parts.next().unwrap()[prefix.len()..].to_owned();
    SetCookie {
        value,
        attributes: parts.map(str::to_owned).collect(),
    }
}

/// `GET /`, as a browser that has the guest cookie `user` (or none).
async fn page(server: &TestServer, user: Option<&str>) -> Page {
    let mut request = reqwest::Client::new().get(server.url("/"));
    if let Some(user) = user {
        request = request.header(COOKIE, format!("{USER_COOKIE}={user}"));
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let key_cookie = set_cookie(&response, "dfwskey");
    let url_cookie = set_cookie(&response, "dfwsurl");
    let user_cookie = set_cookie(&response, USER_COOKIE);
    let html = response.text().await.unwrap();
    Page {
        key: key_cookie.value.clone(),
        user: user_cookie.value.clone(),
        html,
        key_cookie,
        url_cookie,
        user_cookie,
    }
}

/// Connects with a hand-built upgrade request (to send cookies), then waits like
/// `Client::connect` until the registry has the connection.
async fn connect_with_cookie(server: &TestServer, query_key: Option<&str>, cookie: &str) -> Client {
    let before = server.stats().await.connections;
    let url = match query_key {
        Some(key) => format!("{}?dfwskey={key}", server.ws_url()),
        None => server.ws_url(),
    };
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Cookie", HeaderValue::from_str(cookie).unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket upgrade");
    let mut client = Client::from_stream(ws);
    client.send_text("--heartbeat--").await;
    assert_eq!(client.recv_text().await, "--heartbeat--");
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while server.stats().await.connections <= before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "connection never joined"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    client
}

/// `POST /demo/notify` with one extra header; returns the status and JSON answer.
async fn notify(server: &TestServer, header: Option<(&str, String)>, body: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(server.url("/demo/notify"))
        .json(&body);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

/// The signal id of a 202 answer.
fn accepted(status: u16, body: &Value) -> String {
    assert_eq!(status, 202, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let id = body["signal_id"].as_str().unwrap();
    uuid::Uuid::parse_str(id).unwrap();
    id.to_owned()
}

/// Checks a `demo.notification` frame and returns its notification with `at` removed.
fn notification(frame: &Value, signal_id: &str) -> Value {
    assert_eq!(frame["signal"], json!("demo.notification"), "{frame}");
    assert_eq!(frame["signal_id"], json!(signal_id), "{frame}");
    assert_eq!(frame.as_object().unwrap().len(), 3, "{frame}");
    let mut opts = frame["opts"].clone();
    let at = opts["notification"]
        .as_object_mut()
        .unwrap()
        .remove("at")
        .unwrap_or_else(|| panic!("no `at`: {frame}"));
    assert!(at.as_u64().unwrap() > 1_600_000_000_000, "{frame}");
    opts
}

fn guest_id_is_well_formed(user: &str) {
    let suffix = user
        .strip_prefix("guest-")
        .unwrap_or_else(|| panic!("{user}"));
    assert_eq!(suffix.len(), 6, "{user}");
    assert!(
        suffix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{user}"
    );
}

// ---------------------------------------------------------------------------------------------
// PageWindow

#[tokio::test]
async fn the_page_carries_its_window_in_meta_tags_and_cookies() {
    let server = TestServer::start();
    let port = server.addr.port();
    let page = page(&server, None).await;
    assert_eq!(page.key.len(), 32, "{}", page.key);
    assert!(page
        .key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let key_meta = format!("<meta name=\"df-window-key\" content=\"{}\">", page.key);
    let url_meta = format!("<meta name=\"df-ws-url\" content=\"ws://127.0.0.1:{port}/ws/\">");
    assert!(
        page.html.contains(&key_meta),
        "{key_meta} in:\n{}",
        page.html
    );
    assert!(
        page.html.contains(&url_meta),
        "{url_meta} in:\n{}",
        page.html
    );

    // df_websockets' cookies: one day, readable by scripts, not Secure over plain http.
    assert_eq!(
        page.url_cookie.value,
        format!("ws%3A%2F%2F127.0.0.1%3A{port}%2Fws%2F")
    );
    for cookie in [&page.key_cookie, &page.url_cookie] {
        assert!(cookie.has("Path=/"), "{cookie:?}");
        assert!(cookie.has("Max-Age=86400"), "{cookie:?}");
        assert!(!cookie.has_named("HttpOnly"), "{cookie:?}");
        assert!(!cookie.has_named("Secure"), "{cookie:?}");
    }
    guest_id_is_well_formed(&page.user);
    assert!(
        page.user_cookie.has_named("HttpOnly"),
        "{:?}",
        page.user_cookie
    );

    // Each page view is a window of its own.
    let other = self::page(&server, None).await;
    assert_ne!(other.key, page.key);
    assert!(!page.html.contains(&other.key));
}

#[tokio::test]
async fn behind_an_https_proxy_the_cookies_are_secure_and_the_url_is_wss() {
    let server = TestServer::start();
    let response = reqwest::Client::new()
        .get(server.url("/"))
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let key_cookie = set_cookie(&response, "dfwskey");
    let url_cookie = set_cookie(&response, "dfwsurl");
    let html = response.text().await.unwrap();
    assert_eq!(url_cookie.value, "wss%3A%2F%2Fexample.org%2Fws%2F");
    for cookie in [&key_cookie, &url_cookie] {
        assert!(cookie.has_named("Secure"), "{cookie:?}");
        assert!(!cookie.has_named("HttpOnly"), "{cookie:?}");
        assert!(cookie.has("Max-Age=86400"), "{cookie:?}");
    }
    let url_meta = "<meta name=\"df-ws-url\" content=\"wss://example.org/ws/\">";
    assert!(html.contains(url_meta), "{url_meta} in:\n{html}");
}

#[tokio::test]
async fn the_page_uses_the_public_ws_url() {
    let server = TestServer::start_with(
        switchboard::config::Config {
            public_ws_url: Some("wss://example.com/live/".into()),
            ..common::config()
        },
        |b| b,
    );
    let page = page(&server, None).await;
    assert_eq!(page.url_cookie.value, "wss%3A%2F%2Fexample.com%2Flive%2F");
    let url_meta = "<meta name=\"df-ws-url\" content=\"wss://example.com/live/\">";
    assert!(
        page.html.contains(url_meta),
        "{url_meta} in:\n{}",
        page.html
    );
}

#[tokio::test]
async fn the_page_key_connects_as_its_guest_user() {
    let server = TestServer::start();
    let first = page(&server, None).await;
    let mut client = Client::connect(&server, Some(&first.key)).await;
    let whoami = client.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["anonymous"], json!(false), "{whoami}");
    assert_eq!(whoami["user"]["id"], json!(first.user), "{whoami}");
    assert_eq!(
        whoami["user"]["username"],
        json!(format!("Guest {}", &first.user[6..])),
        "{whoami}"
    );

    // The same browser (guest cookie sent back) stays the same user in a new tab.
    let second = page(&server, Some(&first.user)).await;
    assert_ne!(second.key, first.key);
    assert_eq!(second.user, first.user);
    let mut tab = Client::connect(&server, Some(&second.key)).await;
    let whoami = tab.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["id"], json!(first.user), "{whoami}");
    assert_eq!(server.members(&format!("-user.{}", first.user)).await, 2);

    // Another browser is another user; a forged cookie is not honoured.
    let stranger = page(&server, None).await;
    assert_ne!(stranger.user, first.user);
    let forged = page(&server, Some("admin")).await;
    guest_id_is_well_formed(&forged.user);
}

// ---------------------------------------------------------------------------------------------
// CallingWindow

#[tokio::test]
async fn notify_finds_the_calling_window_by_header_or_cookie() {
    let server = TestServer::start();
    for how in ["X-Window-Key", "DFWSKEY", "Cookie"] {
        let page = page(&server, None).await;
        let mut client = Client::connect(&server, Some(&page.key)).await;
        let header = match how {
            "Cookie" => ("Cookie", format!("dfwskey={}", page.key)),
            name => (name, page.key.clone()),
        };
        let (status, body) =
            notify(&server, Some(header), json!({"title": "t", "message": "m"})).await;
        let id = accepted(status, &body);
        let frame = client.recv().await;
        assert_eq!(
            notification(&frame, &id),
            json!({
                "notification": {"id": 1, "title": "t", "message": "m", "level": "info"},
                "unread": 1,
            }),
            "{how}"
        );
        client.expect_silence().await;
    }
}

#[tokio::test]
async fn the_window_key_header_wins_over_the_cookie() {
    let server = TestServer::start();
    let a = page(&server, None).await;
    let b = page(&server, None).await;
    let mut tab_a = Client::connect(&server, Some(&a.key)).await;
    let mut tab_b = Client::connect(&server, Some(&b.key)).await;
    let response = reqwest::Client::new()
        .post(server.url("/demo/notify"))
        .header("X-Window-Key", a.key.clone())
        .header(COOKIE, format!("dfwskey={}", b.key))
        .json(&json!({"message": "m"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let id = accepted(status, &body);
    assert_eq!(
        notification(&tab_a.recv().await, &id),
        json!({
            "notification": {"id": 1, "title": "Notification", "message": "m", "level": "info"},
            "unread": 1,
        })
    );
    tab_b.expect_silence().await;
}

#[tokio::test]
async fn notify_reaches_every_tab_of_the_user_and_counts_unread() {
    let server = TestServer::start();
    let first = page(&server, None).await;
    let second = page(&server, Some(&first.user)).await;
    let stranger = page(&server, None).await;
    let mut tab1 = Client::connect(&server, Some(&first.key)).await;
    let mut tab2 = Client::connect(&server, Some(&second.key)).await;
    let mut other = Client::connect(&server, Some(&stranger.key)).await;

    let (status, body) = notify(
        &server,
        Some(("X-Window-Key", first.key.clone())),
        json!({"title": "t", "message": "m"}),
    )
    .await;
    let id = accepted(status, &body);
    let expected = json!({
        "notification": {"id": 1, "title": "t", "message": "m", "level": "info"},
        "unread": 1,
    });
    assert_eq!(notification(&tab1.recv().await, &id), expected);
    assert_eq!(notification(&tab2.recv().await, &id), expected);

    let (status, body) = notify(
        &server,
        Some(("X-Window-Key", second.key.clone())),
        json!({"title": "t2", "message": "m2", "level": "warning"}),
    )
    .await;
    let id = accepted(status, &body);
    let expected = json!({
        "notification": {"id": 2, "title": "t2", "message": "m2", "level": "warning"},
        "unread": 2,
    });
    assert_eq!(notification(&tab1.recv().await, &id), expected);
    assert_eq!(notification(&tab2.recv().await, &id), expected);
    other.expect_silence().await;

    let summary = tab2.ok("demo.notifications", json!({})).await;
    assert_eq!(summary["unread"], json!(2), "{summary}");
    let recent: Vec<(Value, Value)> = summary["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].clone(), n["title"].clone()))
        .collect();
    assert_eq!(
        recent,
        vec![(json!(2), json!("t2")), (json!(1), json!("t"))],
        "{summary}"
    );
    assert_eq!(
        tab1.ok("demo.read_all", json!({})).await,
        json!({"unread": 0})
    );
    let summary = tab2.ok("demo.notifications", json!({})).await;
    assert_eq!(summary["unread"], json!(0), "{summary}");
    assert_eq!(summary["recent"].as_array().unwrap().len(), 2, "{summary}");
    // The stranger's inbox is empty.
    assert_eq!(
        other.ok("demo.notifications", json!({})).await,
        json!({"unread": 0, "recent": []})
    );
}

#[tokio::test]
async fn notify_without_a_registered_window_is_404() {
    let server = TestServer::start();
    // An API window without a user cannot receive personal notifications either.
    let anonymous = server.register(json!({})).await;
    let headers = [
        None,
        Some(("X-Window-Key", "a".repeat(32))),
        Some(("X-Window-Key", "not-a-key".to_owned())),
        Some(("Cookie", format!("dfwskey={}", "b".repeat(32)))),
        Some(("X-Window-Key", anonymous)),
    ];
    for header in headers {
        let (status, body) = notify(
            &server,
            header.clone(),
            json!({"title": "t", "message": "m"}),
        )
        .await;
        assert_eq!(status, 404, "{header:?}: {body}");
        assert_eq!(body["error"]["code"], json!("not_found"), "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn a_broadcast_notification_reaches_other_users() {
    let server = TestServer::start();
    let sender = page(&server, None).await;
    let receiver = page(&server, None).await;
    let mut sender_tab = Client::connect(&server, Some(&sender.key)).await;
    let mut receiver_tab = Client::connect(&server, Some(&receiver.key)).await;
    let (_api_key, mut api_window) = server.window(&[]).await;

    let (status, body) = notify(
        &server,
        Some(("X-Window-Key", sender.key.clone())),
        json!({"broadcast": true, "title": "t", "message": "m"}),
    )
    .await;
    let id = accepted(status, &body);
    let expected = json!({
        "notification": {"id": 0, "title": "t", "message": "m", "level": "info"},
    });
    for client in [&mut sender_tab, &mut receiver_tab, &mut api_window] {
        assert_eq!(notification(&client.recv().await, &id), expected);
    }
    // Broadcasts are not counted as unread.
    assert_eq!(
        receiver_tab.ok("demo.notifications", json!({})).await,
        json!({"unread": 0, "recent": []})
    );
}

// ---------------------------------------------------------------------------------------------
// Where the upgrade reads the key

#[tokio::test]
async fn the_query_key_wins_over_the_cookie_and_the_cookie_alone_works() {
    let server = TestServer::start();
    let a = page(&server, None).await;
    let b = page(&server, None).await;
    assert_ne!(a.user, b.user);

    let cookie = format!("{USER_COOKIE}={}; dfwskey={}", a.user, a.key);
    let mut both = connect_with_cookie(&server, Some(&b.key), &cookie).await;
    let whoami = both.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["id"], json!(b.user), "{whoami}");

    // df_websockets 1.x pages: the key only in the cookie.
    let mut cookie_only = connect_with_cookie(&server, None, &format!("dfwskey={}", a.key)).await;
    let whoami = cookie_only.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["id"], json!(a.user), "{whoami}");

    // Each is in its own window's topics.
    let id = server
        .trigger(json!({"signal": "t.a", "to": [{"window": a.key}]}))
        .await;
    let frame = cookie_only.recv().await;
    assert_eq!(frame, json!({"signal": "t.a", "opts": {}, "signal_id": id}));
    both.expect_silence().await;
    let id = server
        .trigger(json!({"signal": "t.b", "to": [{"window": b.key}]}))
        .await;
    let frame = both.recv().await;
    assert_eq!(frame, json!({"signal": "t.b", "opts": {}, "signal_id": id}));
    cookie_only.expect_silence().await;
}
