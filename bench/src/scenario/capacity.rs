//! `capacity`: more windows than one process may hold here, all receiving broadcasts.
//!
//! One process may open at most 20,000 files on this machine class, so 50,000 windows need
//! several server processes and several bench processes: Switchboard nodes sharing one
//! private redis-server (the Redis broker, README "Scaling"), and one worker process of
//! this bench per node. Every window joins the benchmark topic through its own node; the
//! triggers all go to the first node's HTTP API and reach the others through Redis.
//!
//! Workers report on stdout, one line at a time: `connected N FAILED`, `primed` (every
//! window received the readiness trigger) and `result {json}`. Trigger send times and
//! receipt times are wall-clock microseconds, comparable across processes.

use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{http_client, open_windows, post, Ws};
use crate::procinfo::rss_kib;
use crate::scan::{frame, Frame};
use crate::stats::{round3, summarize};
use crate::target::{Target, TOPIC};

/// A worker stops waiting when no delivery arrived for this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest wait for workers to connect and be primed.
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);

/// Parameters of a capacity run.
#[derive(Clone, Debug)]
pub struct Params {
    /// Windows in all.
    pub windows: usize,
    /// Server nodes (and bench workers).
    pub nodes: usize,
    /// Broadcasts to send.
    pub triggers: u64,
}

/// Wall-clock microseconds.
fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The trigger body of broadcast `seq`, stamped now.
fn trigger_body(seq: u64) -> String {
    format!(
        r#"{{"signal":"bench.tick","opts":{{"bench_seq":{seq},"bench_t":{}}},"to":[{{"topic":"{TOPIC}"}}]}}"#,
        wall_us()
    )
}

/// The coordinator: starts a worker per node (`node_addrs`), primes, reads the memory of
/// the nodes (`node_pids`, whose resident memory before any window was `baselines_kib`),
/// broadcasts through the first node, gathers the workers' results.
pub async fn run(
    node_addrs: &[String],
    node_pids: &[u32],
    baselines_kib: &[u64],
    api_key: &str,
    params: &Params,
) -> Result<Value, String> {
    let per_node = params.windows.div_ceil(params.nodes);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut workers = Vec::new();
    for (i, addr) in node_addrs.iter().enumerate() {
        let count = per_node.min(params.windows - i * per_node);
        let mut child = Command::new(&exe)
            .args(["capacity-worker", "--addr", addr, "--windows"])
            .arg(count.to_string())
            .args(["--triggers", &params.triggers.to_string()])
            .env("SWITCHBOARD_API_KEY", api_key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting a worker: {e}"))?;
        let lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        workers.push((child, lines));
    }
    let started = Instant::now();
    let (mut connected, mut failed) = (0u64, 0u64);
    for (_, lines) in &mut workers {
        let line = next_line(lines, "connected").await?;
        let mut parts = line.split_whitespace().skip(1);
        connected += parts
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        failed += parts
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    let client = http_client();
    let target = Target::switchboard(&node_addrs[0], api_key);
    // Prime: readiness triggers until every worker has every window in the topic.
    let primed = Arc::new(AtomicUsize::new(0));
    let mut waiters = Vec::new();
    for (child, mut lines) in workers {
        let primed = Arc::clone(&primed);
        waiters.push(tokio::spawn(async move {
            let ok = next_line(&mut lines, "primed").await;
            primed.fetch_add(1, Ordering::Relaxed);
            ok.map(|_| (child, lines))
        }));
    }
    let deadline = Instant::now() + SETUP_TIMEOUT;
    while primed.load(Ordering::Relaxed) < params.nodes {
        if Instant::now() > deadline {
            return Err("workers were not primed in time".into());
        }
        post(&client, &target, &target.trigger_url, trigger_body(0)).await?;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut workers = Vec::new();
    for waiter in waiters {
        workers.push(waiter.await.map_err(|e| e.to_string())??);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Every window is connected, registered and in the topic: the nodes' memory per window.
    let mut rss_nodes_kib = Vec::new();
    for &pid in node_pids {
        rss_nodes_kib.push(rss_kib(pid).ok_or("cannot read a node's RSS")?);
    }
    let grown: u64 = rss_nodes_kib
        .iter()
        .zip(baselines_kib)
        .map(|(rss, base)| rss.saturating_sub(*base))
        .sum();
    let first_send = wall_us();
    for seq in 1..=params.triggers {
        post(&client, &target, &target.trigger_url, trigger_body(seq)).await?;
    }
    let (mut received, mut last_us, mut p99_max, mut max_max) = (0u64, 0u64, 0f64, 0f64);
    for (_child, lines) in &mut workers {
        let line = next_line(lines, "result").await?;
        let result: Value = serde_json::from_str(line.trim_start_matches("result "))
            .map_err(|e| format!("worker result: {e}"))?;
        received += result["received"].as_u64().unwrap_or(0);
        last_us = last_us.max(result["last_us"].as_u64().unwrap_or(0));
        p99_max = p99_max.max(result["latency_ms"]["p99"].as_f64().unwrap_or(0.0));
        max_max = max_max.max(result["latency_ms"]["max"].as_f64().unwrap_or(0.0));
    }
    let expected = connected * params.triggers;
    let seconds = (last_us.saturating_sub(first_send) as f64 / 1e6).max(1e-6);
    Ok(json!({
        "connected": connected,
        "failed": failed,
        "expected": expected,
        "received": received,
        "lost": expected.saturating_sub(received),
        "deliveries_per_sec": round3(received as f64 / seconds),
        "latency_ms": {"p99": p99_max, "max": max_max, "note": "largest p99 and max over the workers"},
        "connects_per_sec": round3(connected as f64 / connect_seconds),
        "duration_s": round3(seconds),
        "rss_nodes_kib": rss_nodes_kib,
        "rss_per_window_kib": round3(grown as f64 / connected.max(1) as f64),
    }))
}

/// The next stdout line of a worker, which must start with `word`.
async fn next_line(
    lines: &mut Lines<BufReader<ChildStdout>>,
    word: &str,
) -> Result<String, String> {
    let line = tokio::time::timeout(SETUP_TIMEOUT, lines.next_line())
        .await
        .map_err(|_| format!("a worker said nothing for {SETUP_TIMEOUT:?} (waiting for {word})"))?
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("a worker ended before `{word}`"))?;
    if line.starts_with(word) {
        Ok(line)
    } else {
        Err(format!(
            "a worker said `{line}` where `{word}` was expected"
        ))
    }
}

/// Shared counters of one worker's readers.
#[derive(Default)]
struct Counters {
    /// Windows that received the readiness trigger.
    primed: AtomicUsize,
    /// Deliveries of broadcasts (sequence ≥ 1).
    received: AtomicU64,
    /// Latest receipt (wall-clock µs).
    last_us: AtomicU64,
}

/// A worker: registers and connects `windows` windows on the node at `addr`, reports, and
/// counts broadcasts until all arrived or they stop coming.
pub async fn worker(
    addr: &str,
    api_key: &str,
    windows: usize,
    triggers: u64,
) -> Result<(), String> {
    let target = Target::switchboard(addr, api_key);
    let opened = open_windows(&http_client(), &target, windows).await?;
    println!("connected {} {}", opened.windows.len(), opened.failed);
    let counters = Arc::new(Counters::default());
    let connected = opened.windows.len();
    let (stop_tx, stop_rx) = watch::channel(false);
    let readers: Vec<_> = opened
        .windows
        .into_iter()
        .map(|ws| tokio::spawn(read(ws, Arc::clone(&counters), stop_rx.clone())))
        .collect();
    while counters.primed.load(Ordering::Relaxed) < connected {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("primed");
    let expected = connected as u64 * triggers;
    let mut last = (0, Instant::now());
    loop {
        let received = counters.received.load(Ordering::Relaxed);
        if received >= expected {
            break;
        }
        if received != last.0 {
            last = (received, Instant::now());
        } else if received > 0 && last.1.elapsed() > IDLE_TIMEOUT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop_tx.send(true);
    let mut latencies = Vec::new();
    for reader in readers {
        latencies.extend(reader.await.map_err(|e| e.to_string())?);
    }
    println!(
        "result {}",
        json!({
            "received": counters.received.load(Ordering::Relaxed),
            "last_us": counters.last_us.load(Ordering::Relaxed),
            "latency_ms": summarize(latencies),
        })
    );
    Ok(())
}

/// Reads one window's frames until told to stop; returns its latencies (µs).
async fn read(mut ws: Ws, counters: Arc<Counters>, mut stop: watch::Receiver<bool>) -> Vec<u32> {
    let mut primed = false;
    let mut latencies = Vec::new();
    loop {
        let message = tokio::select! {
            biased;
            _ = stop.changed() => break,
            message = ws.next() => message,
        };
        let Some(Ok(Message::Text(text))) = message else {
            if matches!(message, Some(Ok(_))) {
                continue;
            }
            break;
        };
        match frame(text.as_bytes()) {
            Frame::Delivery { seq: 0, .. } if !primed => {
                primed = true;
                counters.primed.fetch_add(1, Ordering::Relaxed);
            }
            Frame::Delivery { seq: 0, .. } => {}
            Frame::Delivery { t, .. } => {
                let now = wall_us();
                latencies.push(now.saturating_sub(t).min(u64::from(u32::MAX)) as u32);
                counters.received.fetch_add(1, Ordering::Relaxed);
                counters.last_us.fetch_max(now, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    latencies
}
