//! A load test's worth of windows from one address, against the real binary with its default
//! limits: every one is registered and connects (nothing about one client address, a proxy or
//! a NAT, may refuse them), and a broadcast reaches every one.

mod common;

use std::time::{Duration, Instant};

use common::node::Node;
use futures_util::{stream, SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Windows opened from 127.0.0.1.
const WINDOWS: usize = 10_000;

/// Upgrades in flight at once.
const OPENING_AT_ONCE: usize = 64;

/// How long the node may take to count every connected window.
const SETTLE: Duration = Duration::from_secs(10);

/// How long the broadcast may take to reach every window.
const DELIVERY: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_windows_from_one_address_connect_with_the_defaults() {
    let node = Node::start_with("capacity", &[], &[]).await;
    let node = &node;
    let sockets: Vec<_> = stream::iter(0..WINDOWS)
        .map(|i| async move {
            let key = node.register(json!({})).await;
            match tokio_tungstenite::connect_async(node.ws_url(&key)).await {
                Ok((ws, _)) => ws,
                Err(e) => panic!("window {i} of {WINDOWS} was refused: {e}"),
            }
        })
        .buffer_unordered(OPENING_AT_ONCE)
        .collect()
        .await;
    // The last windows' actors may still be starting when their upgrades have answered.
    let expected = format!("switchboard_windows_connected {WINDOWS}\n");
    let deadline = Instant::now() + SETTLE;
    loop {
        let metrics = node.metrics().await;
        if metrics.contains(&expected) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{}",
            metrics
                .lines()
                .filter(|l| l.starts_with("switchboard_windows_connected")
                    || l.starts_with("switchboard_connections_refused"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                while let Some(message) = ws.next().await {
                    match message.expect("the connection stays up") {
                        Message::Text(text) => {
                            let frame: Value = serde_json::from_str(&text).unwrap();
                            if frame["signal"] == json!("capacity.hello") {
                                return;
                            }
                        }
                        Message::Ping(payload) => ws.send(Message::Pong(payload)).await.unwrap(),
                        _ => {}
                    }
                }
                panic!("closed before the broadcast");
            })
        })
        .collect();
    node.trigger(json!({"signal": "capacity.hello", "to": ["broadcast"], "opts": {}}))
        .await;
    let all = futures_util::future::join_all(readers);
    let results = tokio::time::timeout(DELIVERY, all)
        .await
        .expect("every window receives the broadcast in time");
    for result in results {
        result.expect("a window's reader");
    }
}
