//! The bundled JS client, embedded in the binary so a deployment is one file.

use actix_web::http::header;
use actix_web::HttpResponse;

/// The classic-script build: sets the global `DFSignals`.
const SCRIPT: &str = include_str!("../../static/switchboard.js");

/// The ES module build.
const MODULE: &str = include_str!("../../static/switchboard.mjs");

fn javascript(body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

/// `GET /static/switchboard.js`.
pub(super) async fn script() -> HttpResponse {
    javascript(SCRIPT)
}

/// `GET /static/switchboard.mjs`.
pub(super) async fn module() -> HttpResponse {
    javascript(MODULE)
}
