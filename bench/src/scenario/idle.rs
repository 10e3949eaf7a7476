//! `idle`: connect N windows, hold them, and read the server's memory per window.

use std::time::Duration;

use serde_json::{json, Value};

use crate::conn::{http_client, open_windows};
use crate::procinfo::rss_kib;
use crate::stats::round3;
use crate::target::Target;

/// Parameters of an idle run.
#[derive(Clone, Debug)]
pub struct Params {
    /// Windows to connect.
    pub windows: usize,
    /// Seconds to hold them before the final memory reading.
    pub hold_secs: f64,
    /// When set: read every window while holding (answering the server's pings, as a
    /// browser does) and read the server's memory every this many seconds, to show whether
    /// idle connections grow over time.
    pub sample_secs: Option<f64>,
}

/// Runs the scenario.
pub async fn run(target: &Target, params: &Params) -> Result<Value, String> {
    let client = http_client();
    let pid = target.pid.ok_or("idle needs the server's pid (--pid)")?;
    let baseline = rss_kib(pid).ok_or("cannot read the server's RSS")?;
    let mut opened = open_windows(&client, target, params.windows).await?;
    let connected = opened.windows.len();
    let mut over_time = Value::Null;
    match params.sample_secs {
        None => tokio::time::sleep(Duration::from_secs_f64(params.hold_secs)).await,
        Some(every) => {
            over_time =
                hold_reading(std::mem::take(&mut opened.windows), pid, params, every).await?;
        }
    }
    let rss = rss_kib(pid).ok_or("cannot read the server's RSS")?;
    let per_window = (rss.saturating_sub(baseline)) as f64 / connected.max(1) as f64;
    drop(opened.windows);
    Ok(json!({
        "over_time": over_time,
        "connected": connected,
        "failed": opened.failed,
        "first_error": opened.first_error,
        "rss_baseline_kib": baseline,
        "rss_kib": rss,
        "rss_per_window_kib": round3(per_window),
        "connects_per_sec": round3(connected as f64 / opened.seconds),
        "duration_s": round3(opened.seconds),
    }))
}

/// Holds `windows` for the hold time while reading each of them (tungstenite answers the
/// server's pings as it reads), reading the server's memory every `every` seconds. Reports
/// the samples, the growth from the first to the last, and how many windows are still open
/// at the end (the server closes a window whose pongs stop).
async fn hold_reading(
    windows: Vec<crate::conn::Ws>,
    pid: u32,
    params: &Params,
    every: f64,
) -> Result<Value, String> {
    use futures_util::StreamExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let closed = Arc::new(AtomicUsize::new(0));
    let mut readers = tokio::task::JoinSet::new();
    let open = windows.len();
    for mut ws in windows {
        let closed = closed.clone();
        readers.spawn(async move {
            while let Some(message) = ws.next().await {
                if message.is_err() {
                    break;
                }
            }
            closed.fetch_add(1, Ordering::Relaxed);
        });
    }
    let started = std::time::Instant::now();
    let hold = Duration::from_secs_f64(params.hold_secs);
    let mut samples = Vec::new();
    loop {
        let rss = rss_kib(pid).ok_or("cannot read the server's RSS")?;
        samples.push(json!([round3(started.elapsed().as_secs_f64()), rss]));
        let left = hold.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        tokio::time::sleep(left.min(Duration::from_secs_f64(every))).await;
    }
    let still_open = open - closed.load(Ordering::Relaxed);
    readers.abort_all();
    let first = samples.first().and_then(|s| s[1].as_u64()).unwrap_or(0);
    let last = samples.last().and_then(|s| s[1].as_u64()).unwrap_or(0);
    Ok(json!({
        "held_s": round3(started.elapsed().as_secs_f64()),
        "still_open": still_open,
        "rss_first_kib": first,
        "rss_last_kib": last,
        "rss_growth_kib": last as i64 - first as i64,
        "rss_samples_kib": samples,
    }))
}
