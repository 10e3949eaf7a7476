//! PROTOCOL.md §5 delivery rules: topic isolation, at most once, order, live topic changes,
//! and slow windows.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{Client, TestServer};
use serde_json::json;
use switchboard::config::Config;
use switchboard::To;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn a_window_outside_a_topic_never_receives_its_signals() {
    let server = TestServer::start();
    let (_a, mut in_t) = server.window(&["t"]).await;
    let (_b, mut elsewhere) = server.window(&["u"]).await;
    let id = server
        .trigger(json!({"signal": "only.t", "opts": {"x": 1}, "to": [{"topic": "t"}]}))
        .await;
    let frame = in_t.recv().await;
    assert_eq!(
        frame,
        json!({"signal": "only.t", "opts": {"x": 1}, "signal_id": id})
    );
    elsewhere.expect_silence().await;
}

#[tokio::test]
async fn a_window_in_several_targeted_topics_receives_a_trigger_once() {
    let server = TestServer::start();
    let key = server
        .register(json!({"user": {"id": "9"}, "session": "s1", "topics": ["a", "b"]}))
        .await;
    let mut client = Client::connect(&server, Some(&key)).await;
    let to = json!(["broadcast", {"topic": "a"}, {"topic": "b"}, {"window": key},
                    {"user": "9"}, {"session": "s1"}, {"topic": "a"}]);
    let id = server.trigger(json!({"signal": "once", "to": to})).await;
    assert_eq!(client.recv().await["signal_id"], json!(id));
    client.expect_silence().await;
}

#[tokio::test]
async fn triggers_from_one_sender_arrive_in_order() {
    let server = TestServer::start();
    let (_a, mut first) = server.window(&["seq"]).await;
    let (_b, mut second) = server.window(&["seq"]).await;
    // Through the HTTP API, one request after the other.
    for n in 0..50 {
        server
            .trigger(json!({"signal": "test.seq", "opts": {"n": n}, "to": [{"topic": "seq"}]}))
            .await;
    }
    for client in [&mut first, &mut second] {
        for n in 0..50 {
            assert_eq!(client.signal("test.seq").await["opts"]["n"], json!(n));
        }
    }
    // From a handler, in a tight loop.
    first
        .ok("test.burst", json!({"topic": "seq", "count": 500}))
        .await;
    for client in [&mut first, &mut second] {
        for n in 0..500 {
            assert_eq!(client.signal("test.seq").await["opts"]["n"], json!(n));
        }
    }
}

#[tokio::test]
async fn joining_and_leaving_a_room_applies_at_once_to_a_connected_window() {
    let server = TestServer::start();
    let (_a, mut alice) = server.window(&[]).await;
    let (_b, mut bob) = server.window(&[]).await;
    let (code, _) = alice
        .err("demo.say", json!({"room": "lobby", "text": "hi"}))
        .await;
    assert_eq!(code, "forbidden", "not a member yet");
    let joined = alice.ok("demo.join", json!({"room": "lobby"})).await;
    assert_eq!(joined, json!({"topic": "room:lobby"}));
    bob.ok("demo.join", json!({"room": "lobby"})).await;
    alice
        .ok("demo.say", json!({"room": "lobby", "text": "hello"}))
        .await;
    for client in [&mut alice, &mut bob] {
        let message = client.signal("demo.message").await;
        assert_eq!(message["opts"]["room"], json!("lobby"));
        assert_eq!(message["opts"]["text"], json!("hello"));
        assert_eq!(message["opts"]["from"], json!("anonymous"));
    }
    bob.ok("demo.leave", json!({"room": "lobby"})).await;
    alice
        .ok("demo.say", json!({"room": "lobby", "text": "still there?"}))
        .await;
    alice.signal("demo.message").await;
    bob.expect_silence().await;
    assert_eq!(server.members("room:lobby").await, 1);
}

#[tokio::test]
async fn an_anonymous_window_cannot_join_rooms() {
    let server = TestServer::start();
    let mut client = Client::connect(&server, None).await;
    let (code, message) = client.err("demo.join", json!({"room": "lobby"})).await;
    assert_eq!(
        (code.as_str(), message.as_str()),
        ("forbidden", "this window is not registered")
    );
}

#[tokio::test]
async fn server_code_triggers_with_the_router() {
    let server = TestServer::start();
    let (key, mut client) = server.window(&["news"]).await;
    let key = switchboard::WindowKey::parse(&key).unwrap();
    let id = server
        .router
        .trigger(
            (),
            "news.flash",
            [To::topic("news").unwrap(), To::WindowKey(key)],
            json!({"t": 1}),
        )
        .await
        .unwrap();
    let frame = client.recv().await;
    assert_eq!(frame["signal_id"], json!(id.to_string()));
    client.expect_silence().await;
}

#[tokio::test]
async fn registry_entries_are_freed_when_windows_disconnect() {
    let server = TestServer::start();
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(server.window(&["shared", "other"]).await.1);
    }
    let stats = server.stats().await;
    assert_eq!(stats.connections, 5);
    assert_eq!(server.members("shared").await, 5);
    for client in clients {
        client.close().await;
    }
    server.wait_connections(0).await;
    let stats = server.stats().await;
    assert_eq!(
        (stats.topics, stats.window_keys),
        (0, 0),
        "nothing leaks: {stats:?}"
    );
}

/// A window that stops reading is closed with 1013 once its queue is full (reset, when even
/// the close frame cannot be written); the windows reading next to it get every frame, in
/// order.
#[tokio::test(flavor = "multi_thread")]
async fn a_window_that_cannot_keep_up_is_closed_with_1013_and_others_are_unaffected() {
    const READERS: usize = 8;
    const FRAMES: u32 = 2_000;
    let config = Config {
        outbound_queue: 16,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    let stalled_key = server.register(json!({"topics": ["flood"]})).await;
    let mut stalled = Client::connect_small_buffer(&server, &stalled_key).await;
    let pad = "p".repeat(16 * 1024);
    // Each reader acknowledges what it read, so the flood never runs more than a few frames
    // ahead of the slowest: their queues stay short however busy the machine is.
    let mut progress = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let (_key, mut reader) = server.window(&["flood"]).await;
        let read = Arc::new(AtomicU32::new(0));
        progress.push(read.clone());
        readers.push(tokio::spawn(async move {
            for n in 0..FRAMES {
                let frame = reader.signal("flood").await;
                assert_eq!(frame["opts"]["n"], json!(n));
                read.store(n + 1, Ordering::Release);
            }
            reader
        }));
    }
    let slowest = || {
        progress
            .iter()
            .map(|r| r.load(Ordering::Acquire))
            .min()
            .unwrap()
    };
    for n in 0..FRAMES {
        server
            .router
            .trigger(
                (),
                "flood",
                To::topic("flood").unwrap(),
                json!({"n": n, "pad": pad}),
            )
            .await
            .unwrap();
        while n >= slowest() + 8 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let mut kept = Vec::new();
    for reader in readers {
        kept.push(
            reader
                .await
                .expect("every reading window got every frame in order"),
        );
    }
    server.wait_connections(READERS).await;
    assert_eq!(
        server
            .metric("switchboard_disconnects_total{code=\"1013\"}")
            .await,
        1.0
    );
    let end = stalled.closed_or_reset().await;
    assert!(matches!(end, Some(CloseCode::Again) | None), "{end:?}");
}
