//! The HTTP API for backends, health and metrics (PROTOCOL.md §6), against a real server.

mod common;

use std::time::Duration;

use common::{Client, TestServer, API_KEY, WAIT};
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchboard::config::Config;
use switchboard::{SignalContext, SignalError, To};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// A server-only handler: records a server trigger by sending `test.recorded` to a topic,
/// with what its context says about the caller.
#[switchboard::signal(path = "test.record")]
async fn record(ctx: SignalContext, topic: String, text: String) -> Result<(), SignalError> {
    let seen = json!({
        "text": text,
        "anonymous": ctx.user().is_none(),
        "from_browser": ctx.is_from_browser(),
    });
    ctx.trigger("test.recorded", To::topic(topic)?, seen)
        .await?;
    Ok(())
}

/// A handler browsers may call only as superusers: a server trigger bypasses the check.
#[switchboard::signal(path = "test.guarded", allowed = superuser)]
async fn guarded(ctx: SignalContext, topic: String) -> Result<(), SignalError> {
    ctx.trigger("test.guarded_ran", To::topic(topic)?, ())
        .await?;
    Ok(())
}

/// The demo server plus the test handlers above.
fn server_with_test_handlers() -> TestServer {
    TestServer::start_with(common::config(), |b| b.signal(record).signal(guarded))
}

/// Sends `body` (raw text) as JSON with the API key; returns the status and the JSON answer.
async fn send_raw(server: &TestServer, method: Method, path: &str, body: &str) -> (u16, Value) {
    let response = server
        .api(method, path)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Sends `body` as JSON with the API key.
async fn send(server: &TestServer, method: Method, path: &str, body: Value) -> (u16, Value) {
    send_raw(server, method, path, &body.to_string()).await
}

/// Status and JSON body (`null` for an empty body).
async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, value)
}

/// Asserts a JSON error answer with exactly `{"error": {"code", "message"}}`; returns the
/// message.
fn error_message(status: u16, body: &Value, expected_status: u16, code: &str) -> String {
    assert_eq!(status, expected_status, "{body}");
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("no error: {body}"));
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    assert_eq!(error.len(), 2, "{body}");
    assert_eq!(error["code"], json!(code), "{body}");
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(!message.is_empty(), "{body}");
    message.to_owned()
}

/// POSTs a raw body and expects `400 bad_request` whose message contains every `needle`.
async fn expect_bad_request(server: &TestServer, path: &str, body: &str, needles: &[&str]) {
    let (status, answer) = send_raw(server, Method::POST, path, body).await;
    let message = error_message(status, &answer, 400, "bad_request");
    for needle in needles {
        assert!(
            message.contains(needle),
            "body {body}: message {message:?} should name {needle:?}"
        );
    }
}

fn assert_window_key(key: &str) {
    assert_eq!(key.len(), 32, "{key}");
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{key}"
    );
}

fn assert_uuid(id: &Value) -> String {
    let id = id.as_str().unwrap_or_else(|| panic!("not a string: {id}"));
    uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("not a UUID ({e}): {id}"));
    id.to_owned()
}

/// The value of a sample line `name value` in Prometheus text.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(' ')?;
        Some(value.trim().parse().expect("a number"))
    })
}

async fn metrics_text(server: &TestServer) -> String {
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Polls `/metrics` until `name` has `value`.
async fn wait_metric(server: &TestServer, name: &str, value: f64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let text = metrics_text(server).await;
        if metric(&text, name) == Some(value) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} never reached {value}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The exact frame a window receives for a trigger without opts.
fn frame(signal: &str, signal_id: &str) -> Value {
    json!({"signal": signal, "opts": {}, "signal_id": signal_id})
}

// ---------------------------------------------------------------------------------------------
// Authorization

#[tokio::test]
async fn without_an_api_key_every_api_route_is_404() {
    let server = TestServer::start_with(
        Config {
            api_key: None,
            ..common::config()
        },
        |b| b,
    );
    let key = "a".repeat(32);
    let routes = [
        (Method::POST, "/api/v1/windows".to_owned(), json!({})),
        (
            Method::POST,
            format!("/api/v1/windows/{key}/topics"),
            json!({"add": ["x"]}),
        ),
        (Method::DELETE, format!("/api/v1/windows/{key}"), json!({})),
        (
            Method::POST,
            "/api/v1/trigger".to_owned(),
            json!({"signal": "a", "to": ["broadcast"]}),
        ),
    ];
    for (method, path, body) in routes {
        // With the (unconfigured) test key and without any key.
        let (status, reply) = send(&server, method.clone(), &path, body.clone()).await;
        error_message(status, &reply, 404, "not_found");
        let response = reqwest::Client::new()
            .request(method.clone(), server.url(&path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, reply) = answer(response).await;
        error_message(status, &reply, 404, "not_found");
    }
    // The rest of the node still works.
    let response = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn missing_or_wrong_api_key_is_401_and_nothing_happens() {
    let server = TestServer::start();
    let (key, mut client) = server.window(&["room:auth"]).await;
    let trigger = json!({"signal": "t.leak", "to": ["broadcast", {"topic": "room:auth"}]});
    let calls = [
        (Method::POST, "/api/v1/trigger".to_owned(), trigger.clone()),
        (Method::POST, "/api/v1/windows".to_owned(), json!({})),
        (
            Method::POST,
            format!("/api/v1/windows/{key}/topics"),
            json!({"add": ["room:stolen"], "remove": ["room:auth"]}),
        ),
        (Method::DELETE, format!("/api/v1/windows/{key}"), json!({})),
    ];
    let wrong_keys = [
        None,
        Some("Bearer wrong-key-0123456789abcdef".to_owned()),
        Some(format!("Bearer {API_KEY}x")),
        Some(format!("Bearer {}", &API_KEY[..API_KEY.len() - 1])),
        Some(format!("Basic {API_KEY}")),
        Some(API_KEY.to_owned()),
    ];
    for authorization in &wrong_keys {
        for (method, path, body) in &calls {
            let mut request = reqwest::Client::new()
                .request(method.clone(), server.url(path))
                .json(body);
            if let Some(value) = authorization {
                request = request.header(reqwest::header::AUTHORIZATION, value);
            }
            let (status, reply) = answer(request.send().await.unwrap()).await;
            error_message(status, &reply, 401, "unauthorized");
        }
    }
    // A wrong key is refused before the body is even looked at.
    let response = reqwest::Client::new()
        .post(server.url("/api/v1/trigger"))
        .bearer_auth("wrong-key-0123456789abcdef")
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    error_message(status, &body, 401, "unauthorized");

    // Nothing reached the window, and it was neither moved nor deleted.
    client.expect_silence().await;
    assert_eq!(server.members("room:auth").await, 1);
    assert_eq!(server.members("room:stolen").await, 0);
    let id = server
        .trigger(json!({"signal": "t.ok", "to": [{"topic": "room:auth"}]}))
        .await;
    assert_eq!(client.recv().await, frame("t.ok", &id));
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let server = TestServer::start();
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let response = reqwest::Client::new()
            .post(server.url("/api/v1/windows"))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("{scheme} {API_KEY}"),
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{scheme}");
    }
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/windows

#[tokio::test]
async fn register_a_window_with_every_field() {
    let server = TestServer::start();
    let user = json!({
        "id": "42", "username": "alice", "is_staff": true, "is_superuser": false,
        "perms": ["blog.change_article"],
    });
    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/windows",
        json!({
            "user": user, "session": "sess-1", "language": "en",
            "topics": ["room:lobby", "news"], "ttl": 3600,
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let key = body["window_key"].as_str().unwrap().to_owned();
    assert_window_key(&key);
    let port = server.addr.port();
    assert_eq!(
        body,
        json!({
            "window_key": key,
            "ws_url": format!("ws://127.0.0.1:{port}/ws/?dfwskey={key}"),
            "expires_in": 3600,
        })
    );

    let mut client = Client::connect(&server, Some(&key)).await;
    assert_eq!(
        client.ok("demo.whoami", json!({})).await,
        json!({"anonymous": false, "user": user})
    );
    for topic in [
        "-broadcast".to_owned(),
        format!("-window.{key}"),
        "-user.42".to_owned(),
        "-session.sess-1".to_owned(),
        "room:lobby".to_owned(),
        "news".to_owned(),
    ] {
        assert_eq!(server.members(&topic).await, 1, "{topic}");
    }

    // Every implicit topic and every application topic reaches it, once each.
    let destinations = [
        ("t.user", json!({"user": "42"})),
        ("t.session", json!({"session": "sess-1"})),
        ("t.window", json!({"window": key})),
        ("t.broadcast", json!("broadcast")),
        ("t.lobby", json!({"topic": "room:lobby"})),
        ("t.news", json!({"topic": "news"})),
    ];
    for (signal, to) in destinations {
        let id = server.trigger(json!({"signal": signal, "to": [to]})).await;
        assert_eq!(client.recv().await, frame(signal, &id), "{signal}");
    }
    // Other users, sessions, windows and topics do not.
    let others = [
        json!({"user": "43"}),
        json!({"session": "sess-2"}),
        json!({"window": "b".repeat(32)}),
        json!({"topic": "room:other"}),
    ];
    for to in others {
        server
            .trigger(json!({"signal": "t.other", "to": [to]}))
            .await;
    }
    client.expect_silence().await;
}

#[tokio::test]
async fn register_with_an_empty_body_uses_the_defaults() {
    let server = TestServer::start();
    let (status, body) = send(&server, Method::POST, "/api/v1/windows", json!({})).await;
    assert_eq!(status, 201, "{body}");
    let key = body["window_key"].as_str().unwrap().to_owned();
    assert_window_key(&key);
    assert_eq!(
        body,
        json!({
            "window_key": key,
            "ws_url": format!("ws://127.0.0.1:{}/ws/?dfwskey={key}", server.addr.port()),
            "expires_in": 36000,
        })
    );
    // Every registration gets a fresh key.
    let (_, second) = send(&server, Method::POST, "/api/v1/windows", json!({})).await;
    assert_ne!(second["window_key"], body["window_key"]);

    let mut client = Client::connect(&server, Some(&key)).await;
    assert_eq!(
        client.ok("demo.whoami", json!({})).await,
        json!({"anonymous": true, "user": null})
    );
    let id = server
        .trigger(json!({"signal": "t.all", "to": ["broadcast"]}))
        .await;
    assert_eq!(client.recv().await, frame("t.all", &id));
    let id = server
        .trigger(json!({"signal": "t.me", "to": [{"window": key}]}))
        .await;
    assert_eq!(client.recv().await, frame("t.me", &id));
}

#[tokio::test]
async fn ws_url_follows_the_public_url_and_forwarded_headers() {
    let server = TestServer::start_with(
        Config {
            public_ws_url: Some("wss://example.com/live/?region=eu".into()),
            ..common::config()
        },
        |b| b,
    );
    let (status, body) = send(&server, Method::POST, "/api/v1/windows", json!({})).await;
    assert_eq!(status, 201, "{body}");
    let key = body["window_key"].as_str().unwrap();
    assert_eq!(
        body["ws_url"],
        json!(format!("wss://example.com/live/?region=eu&dfwskey={key}"))
    );

    // Without a public URL, a proxy's forwarded scheme and host are used.
    let server = TestServer::start();
    let response = server
        .api(Method::POST, "/api/v1/windows")
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "example.org")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 201, "{body}");
    let key = body["window_key"].as_str().unwrap();
    assert_eq!(
        body["ws_url"],
        json!(format!("wss://example.org/ws/?dfwskey={key}"))
    );
}

#[tokio::test]
async fn an_expired_window_connects_as_anonymous_and_is_gone_for_the_api() {
    let server = TestServer::start();
    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/windows",
        json!({"user": {"id": "5"}, "topics": ["room:e"], "ttl": 1}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["expires_in"], json!(1));
    let key = body["window_key"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let mut client = Client::connect(&server, Some(&key)).await;
    assert_eq!(
        client.ok("demo.whoami", json!({})).await,
        json!({"anonymous": true, "user": null})
    );
    for to in [
        json!("broadcast"),
        json!({"topic": "room:e"}),
        json!({"user": "5"}),
    ] {
        server.trigger(json!({"signal": "t.e", "to": [to]})).await;
    }
    client.expect_silence().await;
    let (status, body) = send(
        &server,
        Method::POST,
        &format!("/api/v1/windows/{key}/topics"),
        json!({"add": ["x"]}),
    )
    .await;
    error_message(status, &body, 404, "not_found");
}

#[tokio::test]
async fn a_numeric_user_destination_means_the_same_user() {
    let server = TestServer::start();
    let key = server.register(json!({"user": {"id": "7"}})).await;
    let mut client = Client::connect(&server, Some(&key)).await;
    let id = server
        .trigger(json!({"signal": "t.n", "to": [{"user": 7}]}))
        .await;
    assert_eq!(client.recv().await, frame("t.n", &id));
}

// ---------------------------------------------------------------------------------------------
// Malformed requests

#[tokio::test]
async fn malformed_registrations_are_400_naming_the_field() {
    let server = TestServer::start();
    let path = "/api/v1/windows";
    expect_bad_request(&server, path, "{not json", &[]).await;
    expect_bad_request(&server, path, "[1, 2]", &[]).await;
    expect_bad_request(&server, path, r#"{"ttl": "60"}"#, &["`ttl`"]).await;
    expect_bad_request(&server, path, r#"{"ttl": 0}"#, &["`ttl`"]).await;
    expect_bad_request(&server, path, r#"{"ttl": -5}"#, &["`ttl`"]).await;
    expect_bad_request(&server, path, r#"{"ttl": 99999999999}"#, &["`ttl`"]).await;
    expect_bad_request(&server, path, r#"{"color": "red"}"#, &["`color`"]).await;
    expect_bad_request(
        &server,
        path,
        r#"{"user": {"username": "bob"}}"#,
        &["user", "`id`"],
    )
    .await;
    expect_bad_request(&server, path, r#"{"user": {"id": ""}}"#, &["`user.id`"]).await;
    expect_bad_request(
        &server,
        path,
        r#"{"user": {"id": "1", "admin": true}}"#,
        &["user", "`admin`"],
    )
    .await;
    expect_bad_request(&server, path, r#"{"session": ""}"#, &["`session`"]).await;
    expect_bad_request(&server, path, r#"{"topics": "room"}"#, &["`topics`"]).await;
    expect_bad_request(
        &server,
        path,
        r#"{"topics": ["ok", "-x"]}"#,
        &["`topics[1]`", "reserved"],
    )
    .await;
    expect_bad_request(&server, path, r#"{"topics": [""]}"#, &["topic", "empty"]).await;
    expect_bad_request(
        &server,
        path,
        r#"{"topics": ["a\u0001b"]}"#,
        &["topic", "control"],
    )
    .await;
    let long = "x".repeat(201);
    expect_bad_request(
        &server,
        path,
        &json!({"topics": [long]}).to_string(),
        &["topic"],
    )
    .await;
}

#[tokio::test]
async fn malformed_triggers_are_400_naming_the_field() {
    let server = TestServer::start();
    let (_key, mut client) = server.window(&["room:x"]).await;
    let path = "/api/v1/trigger";
    expect_bad_request(&server, path, "{not json", &[]).await;
    expect_bad_request(&server, path, r#"{"signal": "a.b"}"#, &["`to`"]).await;
    expect_bad_request(&server, path, r#"{"to": ["broadcast"]}"#, &["`signal`"]).await;
    expect_bad_request(&server, path, r#"{"signal": "a.b", "to": []}"#, &["`to`"]).await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": "broadcast"}"#,
        &["`to`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": ["everyone"]}"#,
        &["`to[0]`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": ["broadcast", {"planet": "mars"}]}"#,
        &["`to[1]`", "`planet`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": [{"topic": "a", "user": "1"}]}"#,
        &["`to[0]`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": [{"topic": ""}]}"#,
        &["`to[0]`", "`topic`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": ["broadcast", {"topic": "-broadcast"}]}"#,
        &["`to[1]`", "reserved"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": [{"window": "short"}]}"#,
        &["`to[0]`", "window key"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        &json!({"signal": "a.b", "to": [{"window": "A".repeat(32)}]}).to_string(),
        &["`to[0]`", "window key"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "opts": [1], "to": ["broadcast"]}"#,
        &["`opts`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "opts": "x", "to": ["broadcast"]}"#,
        &["`opts`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "1bad", "to": ["broadcast"]}"#,
        &["signal", "`1bad`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a..b", "to": ["broadcast"]}"#,
        &["signal", "`a..b`"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        &json!({"signal": "a".repeat(129), "to": ["broadcast"]}).to_string(),
        &["signal"],
    )
    .await;
    expect_bad_request(
        &server,
        path,
        r#"{"signal": "a.b", "to": ["broadcast"], "extra": 1}"#,
        &["`extra`"],
    )
    .await;
    // A refused trigger reaches nobody, even when its other destinations are valid.
    client.expect_silence().await;
}

#[tokio::test]
async fn malformed_topic_changes_are_400_naming_the_field() {
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["a"]})).await;
    let path = format!("/api/v1/windows/{key}/topics");
    expect_bad_request(&server, &path, "{not json", &[]).await;
    expect_bad_request(&server, &path, r#"{"add": "room"}"#, &["`add`"]).await;
    expect_bad_request(&server, &path, r#"{"remove": {"a": 1}}"#, &["`remove`"]).await;
    expect_bad_request(&server, &path, r#"{"add": [1]}"#, &["`add[0]`"]).await;
    expect_bad_request(
        &server,
        &path,
        r#"{"add": ["-x"]}"#,
        &["`add[0]`", "reserved"],
    )
    .await;
    expect_bad_request(&server, &path, r#"{"remove": [""]}"#, &["topic", "empty"]).await;
    expect_bad_request(&server, &path, r#"{"replace": ["b"]}"#, &["`replace`"]).await;
    // The window kept its topics.
    let (status, body) = send(&server, Method::POST, &path, json!({})).await;
    assert_eq!((status, body), (200, json!({"topics": ["a"]})));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let server = TestServer::start();
    for path in ["/api/v1/windows", "/api/v1/trigger"] {
        let response = server
            .api(Method::POST, path)
            .header(CONTENT_TYPE, "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        let (status, body) = answer(response).await;
        error_message(status, &body, 415, "unsupported_media_type");
    }
    // A JSON content type with parameters is fine.
    let response = server
        .api(Method::POST, "/api/v1/windows")
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let server = TestServer::start_with(
        Config {
            max_api_body_bytes: 1024,
            ..common::config()
        },
        |b| b,
    );
    let (_key, mut client) = server.window(&[]).await;
    let big = json!({"signal": "t.big", "opts": {"pad": "x".repeat(2000)}, "to": ["broadcast"]});
    let (status, body) = send(&server, Method::POST, "/api/v1/trigger", big).await;
    error_message(status, &body, 413, "payload_too_large");
    let big = json!({ "topics": vec!["y".repeat(150); 10] });
    let (status, body) = send(&server, Method::POST, "/api/v1/windows", big).await;
    error_message(status, &body, 413, "payload_too_large");
    client.expect_silence().await;
    // Just under the limit is accepted.
    let small = json!({"signal": "t.small", "opts": {"pad": "x".repeat(900)}, "to": ["broadcast"]});
    let (status, answer) = send(&server, Method::POST, "/api/v1/trigger", small).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(
        client.signal("t.small").await["opts"]["pad"],
        json!("x".repeat(900))
    );
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/windows/{key}/topics

#[tokio::test]
async fn topic_changes_apply_at_once_to_a_connected_window() {
    let server = TestServer::start();
    let (key, mut client) = server.window(&["room:a", "room:keep"]).await;
    let (status, body) = send(
        &server,
        Method::POST,
        &format!("/api/v1/windows/{key}/topics"),
        json!({"add": ["room:b"], "remove": ["room:a"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"topics": ["room:b", "room:keep"]}));

    server
        .trigger(json!({"signal": "t.a", "to": [{"topic": "room:a"}]}))
        .await;
    let id = server
        .trigger(json!({"signal": "t.b", "to": [{"topic": "room:b"}]}))
        .await;
    assert_eq!(client.recv().await, frame("t.b", &id));
    let id = server
        .trigger(json!({"signal": "t.keep", "to": [{"topic": "room:keep"}]}))
        .await;
    assert_eq!(client.recv().await, frame("t.keep", &id));
    client.expect_silence().await;
    assert_eq!(server.members("room:a").await, 0);
    assert_eq!(server.members("room:b").await, 1);

    // Removing only, and removing a topic the window is not in, are fine too.
    let (status, body) = send(
        &server,
        Method::POST,
        &format!("/api/v1/windows/{key}/topics"),
        json!({"remove": ["room:b", "room:never"]}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"topics": ["room:keep"]})));
    server
        .trigger(json!({"signal": "t.b", "to": [{"topic": "room:b"}]}))
        .await;
    client.expect_silence().await;
    // The implicit topics are untouched.
    let id = server
        .trigger(json!({"signal": "t.me", "to": [{"window": key}]}))
        .await;
    assert_eq!(client.recv().await, frame("t.me", &id));
}

#[tokio::test]
async fn topic_changes_of_an_unconnected_window_apply_when_it_connects() {
    let server = TestServer::start();
    let key = server.register(json!({"topics": ["room:a"]})).await;
    let (status, body) = send(
        &server,
        Method::POST,
        &format!("/api/v1/windows/{key}/topics"),
        json!({"add": ["room:b", "room:c"], "remove": ["room:a"]}),
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"topics": ["room:b", "room:c"]}))
    );
    let mut client = Client::connect(&server, Some(&key)).await;
    server
        .trigger(json!({"signal": "t.a", "to": [{"topic": "room:a"}]}))
        .await;
    let id = server
        .trigger(json!({"signal": "t.c", "to": [{"topic": "room:c"}]}))
        .await;
    assert_eq!(client.recv().await, frame("t.c", &id));
    client.expect_silence().await;
}

#[tokio::test]
async fn topic_changes_of_unknown_or_malformed_keys_are_404() {
    let server = TestServer::start();
    for key in ["a".repeat(32), "short".to_owned(), "A".repeat(32)] {
        let (status, body) = send(
            &server,
            Method::POST,
            &format!("/api/v1/windows/{key}/topics"),
            json!({"add": ["x"]}),
        )
        .await;
        error_message(status, &body, 404, "not_found");
    }
}

// ---------------------------------------------------------------------------------------------
// DELETE /api/v1/windows/{key}

#[tokio::test]
async fn deleting_a_window_closes_it_with_1008_and_forgets_it() {
    let server = TestServer::start();
    let key = server
        .register(json!({"user": {"id": "9", "username": "zoe"}, "topics": ["room:d"]}))
        .await;
    let mut client = Client::connect(&server, Some(&key)).await;
    let mut second_tab = Client::connect(&server, Some(&key)).await;
    let response = server
        .api(Method::DELETE, &format!("/api/v1/windows/{key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.text().await.unwrap(), "");
    assert_eq!(client.closed().await, CloseCode::Policy);
    assert_eq!(second_tab.closed().await, CloseCode::Policy);
    server.wait_connections(0).await;

    // The old key now gives an anonymous window with no topics at all.
    let mut again = Client::connect(&server, Some(&key)).await;
    assert_eq!(
        again.ok("demo.whoami", json!({})).await,
        json!({"anonymous": true, "user": null})
    );
    for to in [
        json!("broadcast"),
        json!({"topic": "room:d"}),
        json!({"user": "9"}),
        json!({"window": key}),
    ] {
        server
            .trigger(json!({"signal": "t.gone", "to": [to]}))
            .await;
    }
    again.expect_silence().await;

    // It is gone for the API too.
    let response = server
        .api(Method::DELETE, &format!("/api/v1/windows/{key}"))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    error_message(status, &body, 404, "not_found");
    let (status, body) = send(
        &server,
        Method::POST,
        &format!("/api/v1/windows/{key}/topics"),
        json!({"add": ["x"]}),
    )
    .await;
    error_message(status, &body, 404, "not_found");
}

#[tokio::test]
async fn deleting_an_unknown_window_is_404() {
    let server = TestServer::start();
    let (_key, mut client) = server.window(&[]).await;
    for key in ["b".repeat(32), "nope".to_owned()] {
        let response = server
            .api(Method::DELETE, &format!("/api/v1/windows/{key}"))
            .send()
            .await
            .unwrap();
        let (status, body) = answer(response).await;
        error_message(status, &body, 404, "not_found");
    }
    // Other windows are untouched.
    client.expect_silence().await;
}

// ---------------------------------------------------------------------------------------------
// POST /api/v1/trigger

#[tokio::test]
async fn trigger_answers_202_with_the_signal_id_the_window_receives() {
    let server = TestServer::start();
    let (key, mut client) = server.window(&["room:t"]).await;
    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/trigger",
        json!({"signal": "chat.message", "opts": {"text": "hi", "n": [1, 2]},
               "to": [{"topic": "room:t"}]}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    let id = assert_uuid(&body["signal_id"]);
    assert_eq!(
        client.recv().await,
        json!({"signal": "chat.message", "opts": {"text": "hi", "n": [1, 2]}, "signal_id": id})
    );

    // Without opts the window receives `{}`; each trigger has its own id.
    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/trigger",
        json!({"signal": "chat.ping", "to": ["broadcast"]}),
    )
    .await;
    assert_eq!(status, 202);
    let second = assert_uuid(&body["signal_id"]);
    assert_ne!(second, id);
    assert_eq!(client.recv().await, frame("chat.ping", &second));

    // A window targeted several times receives the trigger once.
    let id = server
        .trigger(json!({"signal": "t.once", "to": [
            "broadcast", {"topic": "room:t"}, {"window": key}, {"topic": "room:t"}
        ]}))
        .await;
    assert_eq!(client.recv().await, frame("t.once", &id));
    client.expect_silence().await;

    // So is a server trigger of a signal without handlers.
    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/trigger",
        json!({"signal": "t.unhandled", "to": ["server"]}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_uuid(&body["signal_id"]);
    // A trigger that reaches nobody is still accepted.
    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/trigger",
        json!({"signal": "t.nobody", "to": [{"topic": "room:empty"}]}),
    )
    .await;
    assert_eq!(status, 202);
    assert_uuid(&body["signal_id"]);
}

#[tokio::test]
async fn server_destination_runs_server_only_handlers() {
    let server = server_with_test_handlers();
    let (_key, mut client) = server.window(&["room:rec"]).await;
    let (status, body) = send(
        &server,
        Method::POST,
        "/api/v1/trigger",
        json!({"signal": "test.record", "opts": {"topic": "room:rec", "text": "hello"},
               "to": ["server"]}),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let trigger_id = assert_uuid(&body["signal_id"]);
    let received = client.recv().await;
    assert_eq!(received["signal"], json!("test.recorded"), "{received}");
    assert_eq!(
        received["opts"],
        json!({"text": "hello", "anonymous": true, "from_browser": false})
    );
    let handler_id = assert_uuid(&received["signal_id"]);
    assert_ne!(handler_id, trigger_id);
    // `"server"` alone sends nothing to windows.
    client.expect_silence().await;

    // A browser cannot call the server-only handler.
    let (code, _) = client
        .err("test.record", json!({"topic": "room:rec", "text": "x"}))
        .await;
    assert_eq!(code, "unknown_signal");
    client.expect_silence().await;
}

#[tokio::test]
async fn server_destination_bypasses_browser_permissions() {
    let server = server_with_test_handlers();
    let (_key, mut client) = server.window(&["room:g"]).await;
    // The anonymous window may not call it...
    let (code, _) = client.err("test.guarded", json!({"topic": "room:g"})).await;
    assert_eq!(code, "forbidden");
    client.expect_silence().await;
    // ...but a server trigger runs it.
    server
        .trigger(json!({"signal": "test.guarded", "opts": {"topic": "room:g"}, "to": ["server"]}))
        .await;
    let received = client.recv().await;
    assert_eq!(received["signal"], json!("test.guarded_ran"), "{received}");
    assert_eq!(received["opts"], json!({}));
}

#[tokio::test]
async fn server_and_window_destinations_together() {
    let server = server_with_test_handlers();
    let (_key, mut client) = server.window(&["room:both"]).await;
    let id = server
        .trigger(
            json!({"signal": "test.guarded", "opts": {"topic": "room:both"},
                        "to": ["server", {"topic": "room:both"}]}),
        )
        .await;
    // The window gets the trigger itself and what the handler sent, in either order.
    let mut frames = [client.recv().await, client.recv().await];
    frames.sort_by_key(|f| f["signal"].as_str().unwrap().to_owned());
    assert_eq!(
        frames[0],
        json!({"signal": "test.guarded", "opts": {"topic": "room:both"}, "signal_id": id})
    );
    assert_eq!(frames[1]["signal"], json!("test.guarded_ran"));
    client.expect_silence().await;
}

// ---------------------------------------------------------------------------------------------
// Health and metrics

#[tokio::test]
async fn healthz_and_readyz() {
    let server = TestServer::start();
    let response = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let response = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ready", "broker": "memory"})
    );
    // Neither needs the API key, and neither is behind it when the API is disabled.
    let server = TestServer::start_with(
        Config {
            api_key: None,
            ..common::config()
        },
        |b| b,
    );
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn metrics_are_prometheus_text_and_move() {
    let server = TestServer::start();
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap();
    assert_eq!(
        metric(&text, "switchboard_windows_connected"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "switchboard_signals_in_total"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "switchboard_errors_total{code=\"bad_frame\"}"),
        Some(0.0),
        "{text}"
    );
    // Counted for the whole process (other tests' servers too), so only its presence.
    assert!(
        metric(&text, "switchboard_writers_rescued_total").is_some(),
        "{text}"
    );
    assert!(
        text.contains("# TYPE switchboard_windows_connected gauge"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE switchboard_signals_in_total counter"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE switchboard_errors_total counter"),
        "{text}"
    );

    let (_key, mut client) = server.window(&[]).await;
    let text = metrics_text(&server).await;
    assert_eq!(
        metric(&text, "switchboard_windows_connected"),
        Some(1.0),
        "{text}"
    );

    assert_eq!(
        client.ok("demo.add", json!({"a": 2, "b": 3})).await,
        json!(5)
    );
    client.send_text("not json").await;
    let error = client.recv().await;
    assert_eq!(error["error"]["code"], json!("bad_frame"), "{error}");
    let text = metrics_text(&server).await;
    assert_eq!(
        metric(&text, "switchboard_signals_in_total"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "switchboard_errors_total{code=\"bad_frame\"}"),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.contains("# TYPE switchboard_handler_duration_seconds histogram"),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "switchboard_handler_duration_seconds_count{signal=\"demo.add\"}"
        ),
        Some(1.0),
        "{text}"
    );

    client.close().await;
    wait_metric(&server, "switchboard_windows_connected", 0.0).await;
}

#[tokio::test]
async fn wrong_methods_are_405_and_unknown_calls_404_in_json() {
    let server = TestServer::start();
    let key = server.register(json!({})).await;
    let calls = [
        (Method::GET, "/api/v1/trigger".to_owned()),
        (Method::PUT, "/api/v1/trigger".to_owned()),
        (Method::GET, "/api/v1/windows".to_owned()),
        (Method::PATCH, format!("/api/v1/windows/{key}")),
        (Method::GET, format!("/api/v1/windows/{key}")),
        (Method::GET, format!("/api/v1/windows/{key}/topics")),
    ];
    for (method, path) in calls {
        let response = server.api(method.clone(), &path).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "method_not_allowed",
                             "message": format!("{method} is not allowed here")}}),
            "{method} {path}"
        );
    }
    let response = server
        .api(Method::GET, "/api/v1/nothing")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("not_found"));
    // Outside the API, actix-web's plain 404.
    let response = server.api(Method::POST, "/healthz").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
