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
}

/// Runs the scenario.
pub async fn run(target: &Target, params: &Params) -> Result<Value, String> {
    let client = http_client();
    let pid = target.pid.ok_or("idle needs the server's pid (--pid)")?;
    let baseline = rss_kib(pid).ok_or("cannot read the server's RSS")?;
    let opened = open_windows(&client, target, params.windows).await?;
    tokio::time::sleep(Duration::from_secs_f64(params.hold_secs)).await;
    let rss = rss_kib(pid).ok_or("cannot read the server's RSS")?;
    let connected = opened.windows.len();
    let per_window = (rss.saturating_sub(baseline)) as f64 / connected.max(1) as f64;
    drop(opened.windows);
    Ok(json!({
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
