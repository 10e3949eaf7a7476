//! Soak: many clients connect, call, receive and disconnect in churn against the real binary;
//! afterwards the registry is empty again and the server's memory is back near its baseline.
//! The history is a cache that outlives the clients (each life triggers to its own window
//! topic): the soaked server keeps at most [`HISTORY_MAX_BYTES`] of it, and the allowance
//! includes that bound, so the soak checks that the bound holds too.
//!
//! `make test` runs a short version. `make soak` runs the long one (`SOAK_SECONDS`,
//! `SOAK_CLIENTS`, in release mode) and prints the numbers.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::{switchboard, Process};
use common::Client;
use serde_json::{json, Value};

/// The API key of the soaked server.
const API_KEY: &str = "soak-test-key-0123456789abcdefgh";

/// The soaked server's history bound (`--history-max-bytes`): a quarter of the default.
const HISTORY_MAX_BYTES: u64 = 16 << 20;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server's resident memory, in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// A gauge from `/metrics`.
async fn gauge(http: &reqwest::Client, addr: SocketAddr, name: &str) -> f64 {
    let text = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

/// One client's life: register, connect, join a room, echo, say, read, leave, unregister.
async fn life(http: reqwest::Client, addr: SocketAddr, n: u64, stats: Arc<AtomicU64>) {
    let answer: Value = http
        .post(format!("http://{addr}/api/v1/windows"))
        .bearer_auth(API_KEY)
        .json(&json!({"user": {"id": format!("u{}", n % 50)}, "topics": [format!("t{}", n % 20)]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = answer["ws_url"].as_str().unwrap().to_owned();
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("upgrade");
    let mut client = Client::from_stream(ws);
    let room = format!("r{}", n % 10);
    client.ok("demo.join", json!({"room": room})).await;
    let echo = client.ok("demo.echo", json!({"n": n})).await;
    assert_eq!(echo, json!({"n": n}));
    client.signal("demo.echo").await;
    client
        .ok(
            "demo.say",
            json!({"room": room, "text": format!("hello {n}")}),
        )
        .await;
    client.signal("demo.message").await;
    stats.fetch_add(1, Ordering::Relaxed);
    client.close().await;
    // The page is gone for good: its registration too (else it lives for its TTL).
    let key = answer["window_key"].as_str().unwrap();
    let deleted = http
        .delete(format!("http://{addr}/api/v1/windows/{key}"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
}

/// The soak's HTTP client. Its pooled connections are dropped after 2 s idle, before the
/// server's 5 s keep-alive closes them: a request sent on a connection the server is closing
/// at that moment fails with "connection closed before message completed", a race of HTTP/1.1
/// keep-alive that a loaded machine makes likely.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
}

/// Runs `clients` lives at a time until `seconds` have passed; returns how many completed.
async fn churn(addr: SocketAddr, clients: u64, seconds: u64, first: u64) -> u64 {
    let http = http_client();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut next = first;
    let mut running = tokio::task::JoinSet::new();
    while Instant::now() < deadline {
        while running.len() < clients as usize {
            running.spawn(life(http.clone(), addr, next, done.clone()));
            next += 1;
        }
        running
            .join_next()
            .await
            .expect("a running client")
            .expect("a client life completes");
    }
    while let Some(result) = running.join_next().await {
        result.expect("a client life completes");
    }
    done.load(Ordering::Relaxed)
}

/// Waits until the server holds no connection and no topic.
async fn wait_empty(http: &reqwest::Client, addr: SocketAddr) -> (f64, f64) {
    let started = Instant::now();
    loop {
        let windows = gauge(http, addr, "switchboard_windows_connected").await;
        let topics = gauge(http, addr, "switchboard_topics").await;
        if (windows, topics) == (0.0, 0.0) || started.elapsed() > Duration::from_secs(10) {
            return (windows, topics);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_leaves_no_trace() {
    let seconds = env_or("SOAK_SECONDS", 8);
    let clients = env_or("SOAK_CLIENTS", 100);
    let mut process = Process::spawn(switchboard(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--demo",
        "--api-key",
        API_KEY,
        "--max-connections-per-ip",
        "0",
        "--connections-per-second-per-ip",
        "0",
        "--history-max-bytes",
        &HISTORY_MAX_BYTES.to_string(),
    ]));
    let addr = process.listening();
    let pid = process.pid();
    let http = reqwest::Client::new();

    // Warm-up: allocator pools, worker threads, buffers reach their working size.
    let warm = churn(addr, clients, (seconds / 4).max(1), 0).await;
    assert_eq!(
        wait_empty(&http, addr).await,
        (0.0, 0.0),
        "registry after warm-up"
    );
    let baseline = rss_kib(pid);

    let started = Instant::now();
    let lives = churn(addr, clients, seconds, warm).await;
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(
        wait_empty(&http, addr).await,
        (0.0, 0.0),
        "registry after the soak"
    );
    let after = rss_kib(pid);
    let connections = gauge(&http, addr, "switchboard_connections_total").await;
    println!(
        "soak: {lives} client lives ({clients} at a time) in {elapsed:.1} s \
         ({:.0}/s), {connections} connections in all; RSS baseline {baseline} KiB, \
         after {after} KiB ({:+} KiB); registry: 0 windows, 0 topics",
        lives as f64 / elapsed,
        after as i64 - baseline as i64,
    );
    // Freed memory may stay in the allocator's pools, and the history may fill up to its
    // bound, but churn must not grow anything else.
    let allowed = baseline + baseline / 4 + 8 * 1024 + HISTORY_MAX_BYTES / 1024;
    assert!(
        after <= allowed,
        "RSS grew from {baseline} KiB to {after} KiB (more than 25% + 8 MiB + the history's \
         {} MiB)",
        HISTORY_MAX_BYTES >> 20
    );
    assert!(lives > 0, "no client completed");
}
