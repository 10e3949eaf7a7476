//! Dead peers: a client that stops reading and answering (its TCP connection still open) is
//! closed after the client timeout, and every registry entry for it is freed.

mod common;

use std::time::{Duration, Instant};

use common::{Client, TestServer};
use serde_json::json;
use switchboard::config::Config;

#[tokio::test]
async fn a_silent_peer_is_closed_and_forgotten() {
    let config = Config {
        ping_interval_secs: 1,
        client_timeout_secs: 2,
        ..common::config()
    };
    let server = TestServer::start_with(config, |b| b);
    let key = server.register(json!({"topics": ["room:quiet"]})).await;
    // Connected, then never polled again: it neither reads nor answers pings, but its socket
    // stays open for as long as the test holds it.
    let silent = Client::connect(&server, Some(&key)).await;
    let (_, mut alive) = server.window(&["room:quiet"]).await;
    assert_eq!(server.members("room:quiet").await, 2);
    let started = Instant::now();
    // The live client keeps talking (heartbeats), so only the silent one goes.
    while server.members("room:quiet").await != 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the silent peer was never closed"
        );
        alive.send_text("--heartbeat--").await;
        assert_eq!(alive.recv_text().await, "--heartbeat--");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "closed before its timeout"
    );
    let stats = server.stats().await;
    assert_eq!((stats.connections, stats.window_keys), (1, 1), "{stats:?}");
    drop(silent);
}
