//! Limits against abusive clients: call rate, calls in flight, opts depth, and connections
//! per node, per address (the TCP peer, or what a trusted proxy forwards), per user and per
//! second.

mod common;

use common::{Client, TestServer};
use serde_json::json;
use switchboard::config::Config;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

fn with(change: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = common::config();
    change(&mut config);
    TestServer::start_with(config, |b| b)
}

/// An upgrade of `url` with `X-Forwarded-For: forwarded` when given: the open connection,
/// or the refusal's status and JSON body.
async fn upgrade(
    url: &str,
    forwarded: Option<&str>,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, (u16, serde_json::Value)> {
    let mut request = url.into_client_request().unwrap();
    if let Some(forwarded) = forwarded {
        request
            .headers_mut()
            .insert("X-Forwarded-For", forwarded.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().unwrap_or_default();
            let body = serde_json::from_slice(body).unwrap_or_else(|e| {
                panic!(
                    "a refusal has a JSON body: {e}: {}",
                    String::from_utf8_lossy(body)
                )
            });
            Err((response.status().as_u16(), body))
        }
        Err(other) => panic!("expected an answer to the upgrade, got {other}"),
    }
}

/// The HTTP status of an upgrade refused by a per-address or per-user limit.
async fn refused_status(url: &str) -> u16 {
    match upgrade(url, None).await {
        Err((status, body)) => {
            assert_eq!(
                body["error"]["code"],
                json!("too_many_connections"),
                "{body}"
            );
            status
        }
        Ok(_) => panic!("expected an HTTP refusal, the upgrade succeeded"),
    }
}

#[tokio::test]
async fn calls_beyond_the_rate_are_refused_and_persistent_abuse_closes_with_1008() {
    let server = with(|c| {
        c.calls_per_second = 1;
        c.call_burst = 5;
    });
    let mut client = Client::connect(&server, None).await;
    for _ in 0..5 {
        client.ok("demo.add", json!({"a": 1, "b": 1})).await;
    }
    let (code, message) = client.err("demo.add", json!({"a": 1, "b": 1})).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("rate_limited", "too many calls: slow down")
    );
    // Without an id the refusal is still sent, as an error frame.
    client
        .send_json(json!({"signal": "demo.add", "opts": {"a": 1, "b": 1}}))
        .await;
    assert_eq!(client.recv().await["error"]["code"], json!("rate_limited"));
    // Going on regardless: the tolerance (one burst of refused calls) runs out.
    for _ in 0..10 {
        client
            .send_json(json!({"signal": "demo.add", "opts": {"a": 1, "b": 1}}))
            .await;
    }
    assert_eq!(client.closed().await, CloseCode::Policy);
}

#[tokio::test]
async fn calls_in_flight_are_bounded_per_window() {
    let server = with(|c| c.max_calls_in_flight = 2);
    let mut client = Client::connect(&server, None).await;
    for id in ["s1", "s2"] {
        client
            .send_json(json!({"signal": "demo.slow", "opts": {"ms": 400}, "id": id}))
            .await;
    }
    let (code, message) = client.err("demo.add", json!({"a": 1, "b": 1})).await;
    assert_eq!(code, "rate_limited");
    assert_eq!(message, "too many calls in progress (at most 2)");
    for _ in 0..2 {
        assert_eq!(client.recv().await["result"], json!("done"));
    }
    assert_eq!(
        client.ok("demo.add", json!({"a": 1, "b": 1})).await,
        json!(2)
    );
}

#[tokio::test]
async fn deeply_nested_opts_are_a_bad_frame() {
    let server = with(|c| c.max_opts_depth = 4);
    let mut client = Client::connect(&server, None).await;
    let ok = json!({"x": [[{"y": 1}]]});
    assert_eq!(client.ok("demo.echo", ok.clone()).await, ok);
    let (code, message) = client.err("demo.echo", json!({"x": [[[{"y": 1}]]]})).await;
    assert_eq!(code, "bad_frame");
    assert_eq!(message, "`opts` are nested deeper than 4 levels");
}

#[tokio::test]
async fn connections_per_address_are_bounded_and_freed_on_close() {
    let server = with(|c| c.max_connections_per_ip = 2);
    let first = Client::connect(&server, None).await;
    let _second = Client::connect(&server, None).await;
    assert_eq!(refused_status(&server.ws_url()).await, 429);
    first.close().await;
    server.wait_connections(1).await;
    let mut third = Client::connect(&server, None).await;
    assert_eq!(
        third.ok("demo.add", json!({"a": 1, "b": 2})).await,
        json!(3)
    );
}

#[tokio::test]
async fn the_node_cap_answers_503_and_frees_places_on_close() {
    let server = with(|c| c.max_connections = 2);
    let first = Client::connect(&server, None).await;
    let _second = Client::connect(&server, None).await;
    let (status, body) = upgrade(&server.ws_url(), Some("203.0.113.9"))
        .await
        .expect_err("a third connection is refused");
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], json!("unavailable"), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("max_connections"), "{message}");
    let metrics = reqwest::get(server.url("/metrics")).await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("switchboard_connections_refused_total{reason=\"node_full\"} 1"),
        "{metrics}"
    );
    first.close().await;
    server.wait_connections(1).await;
    assert!(upgrade(&server.ws_url(), None).await.is_ok());
}

#[tokio::test]
async fn the_defaults_limit_no_address() {
    let server = TestServer::start();
    let mut held = Vec::new();
    // Far beyond the 100-connection burst and the 1,000 connections per address that were
    // once the defaults: a proxy, a NAT or a load test looks like this.
    for _ in 0..1_200 {
        held.push(upgrade(&server.ws_url(), None).await.expect("accepted"));
    }
    server.wait_connections(1_200).await;
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_address() {
    let server = with(|c| {
        c.max_connections_per_ip = 1;
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    });
    let url = server.ws_url();
    let _a = upgrade(&url, Some("203.0.113.1")).await.expect("client a");
    let _b = upgrade(&url, Some("203.0.113.2")).await.expect("client b");
    let (status, _) = upgrade(&url, Some("203.0.113.1"))
        .await
        .expect_err("a again");
    assert_eq!(status, 429, "a's second connection");
    let (status, _) = upgrade(&url, Some("198.51.100.7, 203.0.113.2"))
        .await
        .expect_err("a spoofed left-most entry does not hide b");
    assert_eq!(status, 429);
    let _proxy = upgrade(&url, None).await.expect("the proxy itself");
    let _c = upgrade(&url, Some("127.0.0.5"))
        .await
        .expect("a trusted client");
    let (status, _) = upgrade(&url, Some("127.0.0.5, 127.0.0.6"))
        .await
        .expect_err("every hop trusted: the left-most is the client");
    assert_eq!(status, 429);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let server = with(|c| c.max_connections_per_ip = 1);
    let url = server.ws_url();
    let _a = upgrade(&url, Some("203.0.113.1")).await.expect("first");
    let (status, _) = upgrade(&url, Some("203.0.113.2"))
        .await
        .expect_err("same TCP peer, whatever the header says");
    assert_eq!(status, 429);
}

#[tokio::test]
async fn connections_per_user_are_bounded() {
    let server = with(|c| c.max_connections_per_user = 1);
    let user = json!({"user": {"id": "u1"}});
    let first = server.register(user.clone()).await;
    let second = server.register(user).await;
    let _held = Client::connect(&server, Some(&first)).await;
    let url = format!("{}?dfwskey={second}", server.ws_url());
    assert_eq!(refused_status(&url).await, 429);
    // Another user, or an anonymous window, is not affected.
    let other = server.register(json!({"user": {"id": "u2"}})).await;
    let mut other = Client::connect(&server, Some(&other)).await;
    let mut anonymous = Client::connect(&server, None).await;
    for client in [&mut other, &mut anonymous] {
        assert_eq!(
            client.ok("demo.add", json!({"a": 1, "b": 1})).await,
            json!(2)
        );
    }
}

#[tokio::test]
async fn connection_attempts_per_second_are_bounded_per_address() {
    let server = with(|c| {
        c.connections_per_second_per_ip = 1;
        c.connection_burst_per_ip = 3;
    });
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Client::connect(&server, None).await);
    }
    assert_eq!(refused_status(&server.ws_url()).await, 429);
}

#[tokio::test]
async fn a_full_handler_queue_answers_rate_limited_even_without_an_id() {
    let mut config = common::config();
    config.queues.insert(
        "slow".into(),
        switchboard::QueueConfig {
            concurrency: 1,
            backlog: 0,
        },
    );
    let server = TestServer::start_with(config, |b| b);
    let mut client = Client::connect(&server, None).await;
    client
        .send_json(json!({"signal": "demo.slow", "opts": {"ms": 500}, "id": "busy"}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    client
        .send_json(json!({"signal": "demo.slow", "opts": {"ms": 1}}))
        .await;
    let frame = client.recv().await;
    assert_eq!(
        frame,
        json!({"error": {"code": "rate_limited", "message": "the `slow` handler queue is full"}})
    );
    assert_eq!(client.recv().await["reply_to"], json!("busy"));
}

#[tokio::test]
async fn topics_per_window_are_bounded() {
    let server = with(|c| c.max_topics_per_window = 3);
    let response = server
        .api(reqwest::Method::POST, "/api/v1/windows")
        .json(&json!({"topics": ["a", "b", "c", "d"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        json!("a window may be in at most 3 topics")
    );
    let key = server.register(json!({"topics": ["a", "b"]})).await;
    let change = |body: serde_json::Value| {
        server
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/windows/{key}/topics"),
            )
            .json(&body)
            .send()
    };
    assert_eq!(
        change(json!({"add": ["c", "d"]})).await.unwrap().status(),
        400
    );
    let swapped = change(json!({"add": ["c", "d"], "remove": ["a"]}))
        .await
        .unwrap();
    assert_eq!(swapped.status(), 200, "b, c and d are three");
    let mut client = Client::connect(&server, Some(&key)).await;
    let (code, message) = client.err("demo.join", json!({"room": "r"})).await;
    assert_eq!(code, "invalid_arguments");
    assert_eq!(message, "a window may be in at most 3 topics");
}
