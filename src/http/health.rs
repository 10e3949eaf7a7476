//! `/healthz`, `/readyz` and `/metrics`.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;
use crate::topic::Stats;

/// 200 while the process is up.
pub(super) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// 200 when the broker is reachable, 503 otherwise.
pub(super) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let broker = state.windows.broker();
    match broker.ready().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready", "broker": broker.kind()})),
        Err(e) => HttpResponse::ServiceUnavailable().json(json!({
            "status": "unavailable", "broker": broker.kind(), "error": e.to_string()
        })),
    }
}

/// Longest a scrape waits for the broker's count of registrations; the gauge keeps its
/// last value when the broker does not answer in time (a Redis outage).
const COUNT_WAIT: Duration = Duration::from_millis(250);

/// Prometheus text format.
pub(super) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let metrics = &state.metrics;
    // Gauges the registry owns are refreshed at scrape time.
    if let Ok(stats) = state.registry.send(Stats).await {
        metrics.topics.set(stats.topics as i64);
    }
    let count = state.windows.broker().window_count();
    if let Ok(Ok(count)) = tokio::time::timeout(COUNT_WAIT, count).await {
        metrics
            .windows_registered
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }
    // Counted by the windows' threads, brought up to date here.
    let rescued = crate::window::rescued();
    metrics
        .writers_rescued
        .inc_by(rescued.saturating_sub(metrics.writers_rescued.get()));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}
