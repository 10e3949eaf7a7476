//! The HTTP surface of a node: the websocket endpoint, the HTTP API for backends, health and
//! metrics, the bundled JS client, and helpers for the views of Rust web applications.

mod api;
mod assets;
mod client_address;
mod error;
mod health;
mod origin;
mod upgrade;
mod views;
mod ws;

use std::sync::Arc;

use actix::Addr;
use actix_web::{web, Route};

pub(crate) use api::fuzz_api_body;
pub use api::json_body;
pub(crate) use client_address::TrustedProxies;
pub use error::ApiError;
pub(crate) use upgrade::{service as upgrade_service, AppFactory};
pub use views::{trigger, CallingWindow, PageWindow, WINDOW_KEY_COOKIE, WS_URL_COOKIE};

use crate::config::Config;
use crate::limit::ConnectionLimits;
use crate::metrics::Metrics;
use crate::signal::SignalRouter;
use crate::topic::{History, TopicRegistry, Windows};

/// What every HTTP handler of a node shares (registered as actix-web app data).
#[derive(Clone)]
pub(crate) struct AppState {
    /// Dispatches signals (HTTP API triggers, views' triggers).
    pub(crate) router: SignalRouter,
    /// Registers, looks up, moves and deletes windows.
    pub(crate) windows: Windows,
    /// This node's topic registry.
    pub(crate) registry: Addr<TopicRegistry>,
    /// The topic history: positions and recoveries for windows, reads for the API.
    pub(crate) history: History,
    /// The node's metrics, rendered at `/metrics` and counted into by windows.
    pub(crate) metrics: Arc<Metrics>,
    /// The node's configuration.
    pub(crate) config: Arc<Config>,
    /// Connections held by the node, per client address and per user, shared by every
    /// worker.
    pub(crate) connections: ConnectionLimits,
    /// Whose forwarding headers name the client address.
    pub(crate) trusted_proxies: TrustedProxies,
    /// What every window works with (router, registry, settings, ...), shared by all.
    pub(crate) window_services: Arc<crate::window::Services>,
}

/// A `GET` endpoint outside the API, at a fixed path.
struct Endpoint {
    /// Its path.
    path: &'static str,
    /// Its handler.
    handler: fn() -> Route,
}

/// Health, metrics and the bundled client (PROTOCOL.md §6).
const ENDPOINTS: [Endpoint; 6] = [
    Endpoint {
        path: "/healthz",
        handler: || web::get().to(health::healthz),
    },
    Endpoint {
        path: "/readyz",
        handler: || web::get().to(health::readyz),
    },
    Endpoint {
        path: "/metrics",
        handler: || web::get().to(health::metrics),
    },
    Endpoint {
        path: "/static/switchboard.js",
        handler: || web::get().to(assets::script),
    },
    Endpoint {
        path: "/static/switchboard.mjs",
        handler: || web::get().to(assets::module),
    },
    Endpoint {
        path: "/static/switchboard.d.ts",
        handler: || web::get().to(assets::types),
    },
];

/// Mounts Switchboard's routes: the websocket endpoint, `/api/v1/*`, `/healthz`, `/readyz`,
/// `/metrics` and `/static/switchboard.{js,mjs,d.ts}`. The node's state must be registered
/// as app data (the [`Server`](crate::Server) does both).
pub(crate) fn configure(config: &Config) -> impl FnOnce(&mut web::ServiceConfig) + Clone {
    let ws_path = config.ws_path.clone();
    move |cfg: &mut web::ServiceConfig| {
        cfg.route(&ws_path, web::get().to(ws::upgrade))
            .service(api::scope());
        for endpoint in &ENDPOINTS {
            cfg.route(endpoint.path, (endpoint.handler)());
        }
    }
}

/// Every route the node serves, as `METHOD /path` (the websocket path as configured), for the
/// test that holds PROTOCOL.md to the code.
pub(crate) fn routes(config: &Config) -> Vec<String> {
    let mut routes = vec![format!("GET {}", config.ws_path)];
    routes.extend(ENDPOINTS.iter().map(|e| format!("GET {}", e.path)));
    routes.extend(
        api::CALLS
            .iter()
            .map(|call| format!("{} {}{}", call.method, api::PREFIX, call.path)),
    );
    routes
}
