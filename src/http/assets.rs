//! The bundled JS client, embedded in the binary so a deployment is one file.

use actix_web::http::header;
use actix_web::HttpResponse;

/// Content type of both builds.
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// The classic-script build: sets the global `DFSignals`.
const SCRIPT: &str = include_str!("../../static/switchboard.js");

/// The ES module build.
const MODULE: &str = include_str!("../../static/switchboard.mjs");

/// TypeScript declarations of the client's API.
const TYPES: &str = include_str!("../../static/switchboard.d.ts");

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

/// `GET /static/switchboard.js`.
pub(super) async fn script() -> HttpResponse {
    asset(JAVASCRIPT, SCRIPT)
}

/// `GET /static/switchboard.mjs`.
pub(super) async fn module() -> HttpResponse {
    asset(JAVASCRIPT, MODULE)
}

/// `GET /static/switchboard.d.ts`.
pub(super) async fn types() -> HttpResponse {
    asset("application/typescript; charset=utf-8", TYPES)
}
