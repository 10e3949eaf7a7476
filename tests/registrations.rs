//! Window registrations live as long as a connection uses them, plus their time-to-live, and
//! there are at most `max_windows` of them.

mod common;

use std::time::Duration;

use common::{Client, TestServer};
use reqwest::Method;
use serde_json::{json, Value};
use switchboard::config::Config;

#[tokio::test]
async fn a_connection_keeps_its_registration_alive_and_it_expires_after_the_last_one() {
    let server = TestServer::start();
    let key = server
        .register(json!({"user": {"id": "7", "username": "u7"}, "ttl": 1}))
        .await;
    let client = Client::connect(&server, Some(&key)).await;
    // Well past the one-second TTL: the connection renewed it.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    client.close().await;
    server.wait_connections(0).await;
    let mut again = Client::connect(&server, Some(&key)).await;
    let whoami = again.ok("demo.whoami", json!({})).await;
    assert_eq!(
        whoami["user"]["id"],
        json!("7"),
        "still registered: {whoami}"
    );
    again.close().await;
    server.wait_connections(0).await;
    // Nobody renews it now: one TTL later it is gone.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut late = Client::connect(&server, Some(&key)).await;
    assert_eq!(
        late.ok("demo.whoami", json!({})).await["anonymous"],
        json!(true)
    );
}

/// `POST /api/v1/windows` with `body`: the status and the JSON answer.
async fn post_window(server: &TestServer, body: Value) -> (u16, Value) {
    let response = server
        .api(Method::POST, "/api/v1/windows")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The value of `switchboard_windows_registered` at `/metrics`.
async fn registered(server: &TestServer) -> i64 {
    let text = reqwest::get(server.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("switchboard_windows_registered "))
        .unwrap_or_else(|| panic!("no windows_registered gauge in:\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Asserts that a new registration is refused with 503 `too_many_windows` naming the limit.
async fn assert_full(server: &TestServer) {
    let (status, answer) = post_window(server, json!({})).await;
    common::assert_too_many_windows(status, &answer, 3);
}

#[tokio::test]
async fn registrations_beyond_max_windows_are_refused_until_one_expires_or_is_deleted() {
    let config = Config {
        max_windows: 3,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    // A connected window (its connection renews it), one that expires in a second, one kept.
    let renewed = server
        .register(json!({"user": {"id": "1", "username": "ann"}, "ttl": 2}))
        .await;
    let mut client = Client::connect(&server, Some(&renewed)).await;
    let _short = server.register(json!({"ttl": 1})).await;
    let kept = server.register(json!({"topics": ["a"]})).await;
    assert_eq!(registered(&server).await, 3);

    assert_full(&server).await;
    // The windows already registered still work: a topic change, a new connection (which
    // renews the registration).
    let (status, answer) = server_post(&server, &kept, json!({"add": ["b"]})).await;
    assert_eq!(status, 200, "{answer}");
    let mut again = Client::connect(&server, Some(&kept)).await;
    assert_eq!(
        again.ok("demo.whoami", json!({})).await["anonymous"],
        json!(true)
    );
    again.close().await;

    // Past both first time-to-lives: the unconnected one expired and freed its place; the
    // connected one was renewed and kept its own.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(registered(&server).await, 2, "the short one expired");
    let (status, answer) = post_window(&server, json!({})).await;
    assert_eq!(status, 201, "the expired one's place: {answer}");
    assert_full(&server).await;
    let whoami = client.ok("demo.whoami", json!({})).await;
    assert_eq!(whoami["user"]["id"], json!("1"), "{whoami}");

    // A deleted window frees its place at once.
    let response = server
        .api(Method::DELETE, &format!("/api/v1/windows/{kept}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(registered(&server).await, 2);
    let (status, answer) = post_window(&server, json!({})).await;
    assert_eq!(status, 201, "the deleted one's place: {answer}");
    assert_full(&server).await;
    assert_eq!(registered(&server).await, 3);
}

/// `POST /api/v1/windows/{key}/topics` with `body`.
async fn server_post(server: &TestServer, key: &str, body: Value) -> (u16, Value) {
    let response = server
        .api(Method::POST, &format!("/api/v1/windows/{key}/topics"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_view_that_registers_beyond_max_windows_answers_503() {
    let config = Config {
        max_windows: 1,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    // The demo page registers a window per view.
    let page = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(page.status(), 200);
    let page = reqwest::get(server.url("/")).await.unwrap();
    assert_eq!(page.status(), 503);
    let answer: Value = page.json().await.unwrap();
    assert_eq!(
        answer["error"]["code"],
        json!("too_many_windows"),
        "{answer}"
    );
}
