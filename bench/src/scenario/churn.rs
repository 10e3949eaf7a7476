//! `churn`: clients connect, exchange one heartbeat and disconnect, over and over; cycles
//! per second sustained, and whether the server's memory returns to its baseline.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{connect, http_client, register_all, CONNECT_CONCURRENCY};
use crate::procinfo::rss_kib;
use crate::stats::round3;
use crate::target::Target;

/// The literal heartbeat of PROTOCOL.md §4, answered in kind.
const HEARTBEAT: &str = "--heartbeat--";

/// How often the server's RSS is sampled for the peak.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// How long after the last cycle the final memory reading is taken.
const SETTLE: Duration = Duration::from_secs(3);

/// Parameters of a churn run.
#[derive(Clone, Debug)]
pub struct Params {
    /// Concurrent clients, each cycling on its own registered window.
    pub clients: usize,
    /// How long they cycle, in seconds.
    pub seconds: f64,
}

/// Runs the scenario.
pub async fn run(target: &Target, params: &Params) -> Result<Value, String> {
    if params.clients > CONNECT_CONCURRENCY * 16 {
        return Err("too many churn clients".into());
    }
    let client = http_client();
    let pid = target.pid.ok_or("churn needs the server's pid (--pid)")?;
    let keys = register_all(&client, target, params.clients).await?;
    let baseline = rss_kib(pid).ok_or("cannot read the server's RSS")?;
    let peak = Arc::new(AtomicU64::new(baseline));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = rss_kib(pid) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(SAMPLE_EVERY).await;
            }
        })
    };
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(params.seconds);
    let tasks: Vec<_> = keys
        .into_iter()
        .enumerate()
        .map(|(index, key)| {
            let url = target.ws_url_for(key.as_deref());
            tokio::spawn(async move { cycle_until(&url, index, deadline).await })
        })
        .collect();
    let (mut cycles, mut errors, mut first_error) = (0u64, 0u64, None);
    for task in tasks {
        let (c, e, first) = task.await.map_err(|e| format!("client task: {e}"))?;
        cycles += c;
        errors += e;
        if first_error.is_none() {
            first_error = first;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(SETTLE).await;
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let after = rss_kib(pid).ok_or("cannot read the server's RSS")?;
    Ok(json!({
        "cycles": cycles,
        "cycles_per_sec": round3(cycles as f64 / seconds),
        "errors": errors,
        "first_error": first_error,
        "rss_baseline_kib": baseline,
        "rss_peak_kib": peak.load(Ordering::Relaxed),
        "rss_after_kib": after,
        "duration_s": round3(seconds),
    }))
}

/// One client: connect, heartbeat, close, until the deadline. Returns cycles, errors and
/// the first error.
async fn cycle_until(url: &str, index: usize, deadline: Instant) -> (u64, u64, Option<String>) {
    let (mut cycles, mut errors, mut first) = (0, 0, None);
    while Instant::now() < deadline {
        match cycle(url, index).await {
            Ok(()) => cycles += 1,
            Err(e) => {
                errors += 1;
                first.get_or_insert(e);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    (cycles, errors, first)
}

/// One connect / heartbeat / close cycle.
async fn cycle(url: &str, index: usize) -> Result<(), String> {
    let mut ws = connect(url, index).await?;
    ws.send(Message::text(HEARTBEAT))
        .await
        .map_err(|e| format!("send: {e}"))?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) if text.as_str() == HEARTBEAT => break,
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("closed before the heartbeat answer".into()),
        }
    }
    ws.close(None).await.map_err(|e| format!("close: {e}"))?;
    // Once the server has answered the close, drop the socket rather than wait for the
    // server to close TCP first: actix-web lingers up to a second for the client to go
    // (its `client_disconnect_timeout`), so waiting would measure that timer, not the
    // server's connect and disconnect work.
    while let Some(message) = ws.next().await {
        match message {
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        }
    }
    Ok(())
}
