//! The HTTP surface of a node: the websocket endpoint, the HTTP API for backends, health and
//! metrics, the bundled JS client, and helpers for the views of Rust web applications.

mod api;
mod assets;
mod error;
mod health;
mod views;
mod ws;

use std::sync::Arc;

use actix::Addr;
use actix_web::web;

pub use api::{fuzz_api_body, json_body};
pub use error::ApiError;
pub use views::{trigger, CallingWindow, PageWindow, WINDOW_KEY_COOKIE, WS_URL_COOKIE};

use crate::config::Config;
use crate::limit::ConnectionLimits;
use crate::signal::SignalRouter;
use crate::topic::TopicRegistry;

/// What every HTTP handler of a node shares (registered as actix-web app data).
#[derive(Clone)]
pub struct AppState {
    /// Dispatches signals and manages windows.
    pub router: SignalRouter,
    /// This node's topic registry.
    pub registry: Addr<TopicRegistry>,
    /// The node's configuration.
    pub config: Arc<Config>,
    /// Connections held per client address and per user, shared by every worker.
    pub connections: ConnectionLimits,
}

/// Mounts Switchboard's routes: the websocket endpoint, `/api/v1/*`, `/healthz`, `/readyz`,
/// `/metrics` and `/static/switchboard.{js,mjs,d.ts}`. The caller must register an [`AppState`]
/// with `App::app_data(web::Data::new(state))`.
pub fn configure(config: &Config) -> impl FnOnce(&mut web::ServiceConfig) + Clone {
    let ws_path = config.ws_path.clone();
    move |cfg: &mut web::ServiceConfig| {
        cfg.route(&ws_path, web::get().to(ws::upgrade))
            .service(api::scope())
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(health::metrics))
            .route("/static/switchboard.js", web::get().to(assets::script))
            .route("/static/switchboard.mjs", web::get().to(assets::module))
            .route("/static/switchboard.d.ts", web::get().to(assets::types));
    }
}
