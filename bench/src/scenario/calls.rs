//! `calls`: M windows each keep requests with `id` in flight; round trips per second and
//! their latency.
//!
//! On Switchboard the request calls [`Params::signal`]: `demo.mirror` answers with its reply
//! alone, as the floor and the other peers answer every request (one frame back: the
//! like-for-like round trip); `demo.echo` also triggers its options back to the calling
//! window first (two frames back per round trip). Other servers ignore the signal's name.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{http_client, now_us, open_windows, Ws};
use crate::scan::{frame, Frame};
use crate::stats::{round3, summarize};
use crate::target::Target;

/// Parameters of a calls run.
#[derive(Clone, Debug)]
pub struct Params {
    /// Windows sending requests.
    pub windows: usize,
    /// How long they send, in seconds.
    pub seconds: f64,
    /// Requests each window keeps in flight.
    pub in_flight: usize,
    /// The signal called (`demo.mirror`: one frame back; `demo.echo`: two).
    pub signal: String,
}

/// What one window saw.
#[derive(Default)]
struct Seen {
    /// Latency of each round trip (µs).
    latencies: Vec<u32>,
    /// Error replies, and sockets that failed.
    errors: u64,
}

/// Runs the scenario.
pub async fn run(target: &Target, params: &Params) -> Result<Value, String> {
    let client = http_client();
    let opened = open_windows(&client, target, params.windows).await?;
    // Measured with the windows the server accepted; refusals are reported.
    if opened.windows.is_empty() {
        return Err(format!(
            "no window could connect: {}",
            opened.first_error.clone().unwrap_or_default()
        ));
    }
    let (failed_connects, first_connect_error) = (opened.failed, opened.first_error.clone());
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(params.seconds);
    let tasks: Vec<_> = opened
        .windows
        .into_iter()
        .enumerate()
        .map(|(index, ws)| {
            let target = target.clone();
            let (in_flight, signal) = (params.in_flight, params.signal.clone());
            tokio::spawn(async move {
                call_loop(ws, &target, &signal, index as u64, in_flight, deadline).await
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let seen = task.await.map_err(|e| format!("window task: {e}"))?;
        latencies.extend(seen.latencies);
        errors += seen.errors;
    }
    let seconds = started.elapsed().as_secs_f64();
    let round_trips = latencies.len() as u64;
    Ok(json!({
        "round_trips": round_trips,
        "errors": errors,
        "failed_connects": failed_connects,
        "first_connect_error": first_connect_error,
        "round_trips_per_sec": round3(round_trips as f64 / seconds),
        "latency_ms": summarize(latencies),
        "duration_s": round3(seconds),
    }))
}

/// One window: keeps `in_flight` requests outstanding until the deadline.
async fn call_loop(
    mut ws: Ws,
    target: &Target,
    signal: &str,
    index: u64,
    in_flight: usize,
    deadline: tokio::time::Instant,
) -> Seen {
    let mut seen = Seen::default();
    let mut next_id = index << 32;
    for _ in 0..in_flight {
        next_id += 1;
        if ws
            .feed(Message::text(target.call(signal, next_id, now_us())))
            .await
            .is_err()
        {
            seen.errors += 1;
            return seen;
        }
    }
    if ws.flush().await.is_err() {
        seen.errors += 1;
        return seen;
    }
    loop {
        let message = tokio::select! {
            message = ws.next() => message,
            _ = tokio::time::sleep_until(deadline) => break,
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => {
                seen.errors += 1;
                break;
            }
        };
        let Frame::Reply { t, ok } = frame(text.as_bytes()) else {
            continue;
        };
        if !ok {
            seen.errors += 1;
        } else {
            let now = now_us();
            seen.latencies
                .push(now.saturating_sub(t).min(u64::from(u32::MAX)) as u32);
        }
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        next_id += 1;
        if ws
            .send(Message::text(target.call(signal, next_id, now_us())))
            .await
            .is_err()
        {
            seen.errors += 1;
            break;
        }
    }
    let _ = ws.close(None).await;
    seen
}
