//! `/healthz`, `/readyz` and `/metrics`.

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

/// Prometheus text format.
pub(super) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let metrics = &state.metrics;
    // Gauges the registry owns are refreshed at scrape time.
    if let Ok(stats) = state.registry.send(Stats).await {
        metrics.topics.set(stats.topics as i64);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}
