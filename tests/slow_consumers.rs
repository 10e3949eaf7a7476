//! Slow consumers against the real binary with its default limits (PROTOCOL.md §5.5): windows
//! that stop reading are closed with 1013 (or reset, when even the close frame cannot be
//! written), their queues are freed, the windows reading next to them get everything in
//! order, and the node's memory grows by about the number of stalled windows × the byte bound
//! at most.

mod common;

use std::time::{Duration, Instant};

use common::node::Node;
use common::Client;
use futures_util::future::join_all;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::MaybeTlsStream;

/// Windows that stop reading, in each scenario.
const STALLED: usize = 20;

/// Windows that keep reading next to them.
const LIVE: usize = 4;

/// The default `outbound_queue_bytes`.
const QUEUE_BYTES: u64 = 1 << 20;

/// The default `history_max_bytes`: the history may keep this much of what was sent.
const HISTORY_BYTES: u64 = 64 << 20;

/// What a node may grow by besides queues and history (allocator slack, socket buffers of
/// actix-http, tokio's I/O).
const SLACK_BYTES: u64 = 48 << 20;

/// Connects a window over a socket with a small receive buffer, so that it pushes back on
/// the server soon once it stops reading; a heartbeat round trip proves it joined.
async fn stalled_window(node: &Node, key: &str) -> Client {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(node.addr).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(node.ws_url(key), MaybeTlsStream::Plain(stream))
        .await
        .expect("websocket upgrade");
    let mut client = Client::from_stream(ws);
    client.send_text("--heartbeat--").await;
    assert_eq!(client.recv_text().await, "--heartbeat--");
    client
}

/// A line of `/proc/PID/status`, in bytes (`VmRSS`, `VmHWM`).
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("a memory figure")
        * 1024
}

/// The value of a metric line of `node`, 0 when absent.
async fn metric(node: &Node, name: &str) -> f64 {
    let text = node.metrics().await;
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Waits until `count` windows were closed with 1013.
async fn wait_closed_too_slow(node: &Node, count: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let closed = metric(node, "switchboard_disconnects_total{code=\"1013\"}").await;
        if closed >= count as f64 {
            assert_eq!(closed, count as f64, "only the stalled windows");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{closed} of {count} stalled windows closed with 1013"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Each stalled window ends: with 1013 when the close frame got through, else reset.
async fn assert_ended(stalled: Vec<Client>) {
    for mut client in stalled {
        let end = client.closed_or_reset().await;
        assert!(matches!(end, Some(CloseCode::Again) | None), "{end:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_of_a_broadcast_stream_are_closed_and_live_readers_get_everything() {
    const FRAMES: usize = 400;
    let node = Node::start_with("slow", &[], &[]).await;
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        let key = node.register(json!({"topics": ["flood"]})).await;
        stalled.push(stalled_window(&node, &key).await);
    }
    let mut readers = Vec::new();
    for _ in 0..LIVE {
        let key = node.register(json!({"topics": ["flood"]})).await;
        let mut reader = node.connect(&key).await;
        readers.push(tokio::spawn(async move {
            for n in 0..FRAMES {
                let frame = reader.signal("flood").await;
                assert_eq!(frame["opts"]["n"], json!(n), "in order, nothing missing");
            }
        }));
    }
    let pad = "p".repeat(16 * 1024);
    for n in 0..FRAMES {
        node.trigger(json!({
            "signal": "flood", "to": [{"topic": "flood"}], "opts": {"n": n, "pad": pad}
        }))
        .await;
    }
    for reader in join_all(readers).await {
        reader.expect("every live reader got every frame in order");
    }
    wait_closed_too_slow(&node, STALLED, Duration::from_secs(30)).await;
    assert_ended(stalled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_of_their_own_large_signals_cost_at_most_the_byte_bound_each() {
    const FRAMES: usize = 64;
    let node = Node::start_with("slow", &[], &[]).await;
    let pid = node.process.pid();
    let mut keys = Vec::new();
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        let key = node.register(json!({})).await;
        stalled.push(stalled_window(&node, &key).await);
        keys.push(key);
    }
    let live_key = node.register(json!({})).await;
    let mut live = node.connect(&live_key).await;
    let before = memory(pid, "VmRSS");
    // 64 KiB signals of their own: 4 MiB for each stalled window, 80 MiB in all, none of
    // it shared with another window.
    let pad = "q".repeat(64 * 1024);
    for n in 0..FRAMES {
        for key in &keys {
            node.trigger(json!({
                "signal": "own", "to": [{"window": key}], "opts": {"n": n, "pad": pad}
            }))
            .await;
        }
        node.trigger(json!({"signal": "own", "to": [{"window": live_key}], "opts": {"n": n}}))
            .await;
        let frame = live.signal("own").await;
        assert_eq!(frame["opts"]["n"], json!(n), "the live window keeps up");
    }
    wait_closed_too_slow(&node, STALLED, Duration::from_secs(30)).await;
    let peak = memory(pid, "VmHWM");
    let bound = STALLED as u64 * QUEUE_BYTES + HISTORY_BYTES + SLACK_BYTES;
    assert!(
        peak.saturating_sub(before) <= bound,
        "grew by {} MiB (peak {} MiB), bound {} MiB",
        peak.saturating_sub(before) >> 20,
        peak >> 20,
        bound >> 20
    );
    eprintln!(
        "RSS before {} MiB, peak {} MiB: grew by {} MiB for {STALLED} stalled windows",
        before >> 20,
        peak >> 20,
        peak.saturating_sub(before) >> 20
    );
    assert_ended(stalled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_accepts_nothing_is_closed_after_the_write_timeout() {
    // Bounds out of reach: only the write timeout can close the stalled window.
    let node = Node::start_with(
        "slow",
        &[
            "--outbound-queue",
            "1000000",
            "--outbound-queue-bytes",
            "1000000000",
            "--write-timeout-secs",
            "2",
        ],
        &[],
    )
    .await;
    let key = node.register(json!({})).await;
    let mut stalled = stalled_window(&node, &key).await;
    let pad = "t".repeat(4 * 1024);
    let started = Instant::now();
    let mut sent = 0;
    while metric(&node, "switchboard_disconnects_total{code=\"1013\"}").await < 1.0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still open after {sent} frames"
        );
        for _ in 0..16 {
            node.trigger(json!({"signal": "t", "to": [{"window": key}], "opts": {"pad": pad}}))
                .await;
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "closed after {sent} frames of 4 KiB, {:?}",
        started.elapsed()
    );
    let end = stalled.closed_or_reset().await;
    assert!(matches!(end, Some(CloseCode::Again) | None), "{end:?}");
}
