//! `fanout`: N windows in one topic, K triggers through the HTTP API; deliveries per
//! second, loss and trigger-to-receipt latency, as fast as possible or paced.
//!
//! Before measuring, the bench triggers sequence 0 until every window has received it:
//! from then on every window is known to be in the topic, so a missing delivery is loss,
//! not a join still under way.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{http_client, now_us, open_windows, post, Ws};
use crate::scan::{frame, Frame};
use crate::stats::{round3, summarize};
use crate::target::Target;

/// Triggers in flight at once in a burst.
const BURST_CONCURRENCY: usize = 16;

/// Triggers in flight at once when paced (a slow answer must not delay the next send).
const PACED_CONCURRENCY: usize = 256;

/// How often the readiness trigger (sequence 0) is repeated.
const READY_INTERVAL: Duration = Duration::from_millis(250);

/// Longest wait for every window to receive the readiness trigger.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A run ends when no delivery arrived for this long (the rest is counted as lost).
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Parameters of a fan-out run.
#[derive(Clone, Debug)]
pub struct Params {
    /// Windows in the topic.
    pub windows: usize,
    /// Triggers to send (each to every window).
    pub triggers: u64,
    /// Triggers per second; `None` sends as fast as the server accepts them.
    pub rate: Option<f64>,
}

/// Counters shared by every reader.
#[derive(Default)]
struct Shared {
    /// Deliveries of measured triggers (sequence ≥ 1).
    received: AtomicU64,
    /// Windows that have received the readiness trigger.
    ready: AtomicUsize,
    /// Time of the latest delivery (µs).
    last_us: AtomicU64,
}

/// What one reader saw.
struct Seen {
    /// Latency of each measured delivery (µs).
    latencies: Vec<u32>,
    /// Deliveries beyond one per trigger.
    duplicates: u64,
}

/// Runs the scenario.
pub async fn run(target: &Target, params: &Params) -> Result<Value, String> {
    let client = http_client();
    let opened = open_windows(&client, target, params.windows).await?;
    // A server that refuses some connects is measured with the windows it accepted; the
    // refusals are reported (and fail a smoke run).
    let windows = opened.windows.len();
    if windows == 0 {
        return Err(format!(
            "no window could connect: {}",
            opened.first_error.unwrap_or_default()
        ));
    }
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let expected_per_window = params.triggers;
    let readers: Vec<_> = opened
        .windows
        .into_iter()
        .map(|ws| {
            tokio::spawn(read(
                ws,
                Arc::clone(&shared),
                stop_rx.clone(),
                expected_per_window,
            ))
        })
        .collect();

    wait_ready(&client, target, &shared, windows).await?;

    let first_send = now_us();
    let started = Instant::now();
    let trigger_errors = send_triggers(&client, target, params).await;
    let accepted = params.triggers - trigger_errors.0;
    let expected = accepted * windows as u64;

    // Wait for every delivery, or for the deliveries to stop coming.
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut last_count = 0;
    let mut last_progress = Instant::now();
    loop {
        let received = shared.received.load(Ordering::Relaxed);
        if received >= expected || Instant::now() > deadline {
            break;
        }
        if received != last_count {
            last_count = received;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > IDLE_TIMEOUT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = stop_tx.send(true);
    let mut latencies = Vec::with_capacity(expected as usize);
    let mut duplicates = 0;
    for reader in readers {
        let seen = reader.await.map_err(|e| format!("reader task: {e}"))?;
        latencies.extend(seen.latencies);
        duplicates += seen.duplicates;
    }
    let received = shared.received.load(Ordering::Relaxed) - duplicates;
    let span_us = shared
        .last_us
        .load(Ordering::Relaxed)
        .saturating_sub(first_send);
    let seconds = (span_us as f64 / 1e6).max(1e-6);
    Ok(json!({
        "expected": expected,
        "received": received,
        "lost": expected.saturating_sub(received),
        "duplicates": duplicates,
        "trigger_errors": trigger_errors.0,
        "first_trigger_error": trigger_errors.1,
        "deliveries_per_sec": round3(received as f64 / seconds),
        "latency_ms": summarize(latencies),
        "connects_per_sec": round3(windows as f64 / opened.seconds),
        "failed_connects": opened.failed,
        "first_connect_error": opened.first_error,
        "send_s": round3(started.elapsed().as_secs_f64()),
        "duration_s": round3(seconds),
    }))
}

/// Reads one window's frames until told to stop.
async fn read(
    mut ws: Ws,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    per_window: u64,
) -> Seen {
    let mut seen = Seen {
        latencies: Vec::with_capacity(per_window as usize),
        duplicates: 0,
    };
    let mut ready = false;
    let mut count = 0u64;
    loop {
        let message = tokio::select! {
            biased;
            _ = stop.changed() => break,
            message = ws.next() => message,
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break,
        };
        match frame(text.as_bytes()) {
            Frame::Delivery { seq: 0, .. } if !ready => {
                ready = true;
                shared.ready.fetch_add(1, Ordering::Relaxed);
            }
            Frame::Delivery { seq: 0, .. } => {}
            Frame::Delivery { t, .. } => {
                let now = now_us();
                seen.latencies
                    .push(now.saturating_sub(t).min(u64::from(u32::MAX)) as u32);
                count += 1;
                if count > per_window {
                    seen.duplicates += 1;
                }
                shared.received.fetch_add(1, Ordering::Relaxed);
                shared.last_us.fetch_max(now, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    let _ = ws.close(None).await;
    seen
}

/// Triggers sequence 0 until every window has received it.
async fn wait_ready(
    client: &reqwest::Client,
    target: &Target,
    shared: &Shared,
    windows: usize,
) -> Result<(), String> {
    let started = Instant::now();
    while shared.ready.load(Ordering::Relaxed) < windows {
        if started.elapsed() > READY_TIMEOUT {
            return Err(format!(
                "only {} of {windows} windows received the readiness trigger",
                shared.ready.load(Ordering::Relaxed)
            ));
        }
        post(
            client,
            target,
            &target.trigger_url,
            target.trigger(0, now_us()),
        )
        .await?;
        let until = Instant::now() + READY_INTERVAL;
        while Instant::now() < until && shared.ready.load(Ordering::Relaxed) < windows {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // Let stray readiness triggers drain before measuring.
    tokio::time::sleep(READY_INTERVAL).await;
    Ok(())
}

/// Sends triggers 1..=K, in a burst or paced; returns the failures and the first error.
async fn send_triggers(
    client: &reqwest::Client,
    target: &Target,
    params: &Params,
) -> (u64, Option<String>) {
    let results: Vec<Result<String, String>> = match params.rate {
        None => {
            stream::iter(1..=params.triggers)
                .map(|seq| {
                    post(
                        client,
                        target,
                        &target.trigger_url,
                        target.trigger(seq, now_us()),
                    )
                })
                .buffer_unordered(BURST_CONCURRENCY)
                .collect()
                .await
        }
        Some(rate) => {
            let permits = Arc::new(Semaphore::new(PACED_CONCURRENCY));
            let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut sends = Vec::with_capacity(params.triggers as usize);
            for seq in 1..=params.triggers {
                ticker.tick().await;
                let permit = Arc::clone(&permits).acquire_owned().await;
                let (client, target) = (client.clone(), target.clone());
                sends.push(tokio::spawn(async move {
                    let _permit = permit;
                    let body = target.trigger(seq, now_us());
                    post(&client, &target, &target.trigger_url, body).await
                }));
            }
            let mut results = Vec::with_capacity(sends.len());
            for send in sends {
                results.push(send.await.unwrap_or_else(|e| Err(e.to_string())));
            }
            results
        }
    };
    let mut errors = 0;
    let mut first = None;
    for result in results {
        if let Err(e) = result {
            errors += 1;
            first.get_or_insert(e);
        }
    }
    (errors, first)
}
