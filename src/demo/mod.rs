//! The demo application mounted by `switchboard serve --demo`: chat rooms between tabs and
//! notifications pushed from an HTTP view, built only on Switchboard's public API.
//!
//! Its signals (`demo.*`) are part of the test contract: integration tests and the JS client's
//! browser tests rely on them.

mod notifications;
mod page;
mod signals;

use actix_web::web;

use crate::signal::SignalRouterBuilder;

pub use notifications::Notifications;

/// Registers the demo's signal handlers and their state.
pub fn signals(builder: SignalRouterBuilder) -> SignalRouterBuilder {
    builder
        .data(Notifications::default())
        .signal(signals::echo)
        .signal(signals::mirror)
        .signal(signals::join)
        .signal(signals::leave)
        .signal(signals::say)
        .signal(signals::add)
        .signal(signals::whoami)
        .signal(signals::admin)
        .signal(signals::slow)
        .signal(notifications::list)
        .signal(notifications::read_all)
}

/// Mounts the demo's page, assets and notification view.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(page::index))
        .route("/demo/legacy", web::get().to(page::legacy))
        .route("/static/demo/demo.css", web::get().to(page::stylesheet))
        .route("/static/demo/demo.js", web::get().to(page::script))
        .route("/demo/notify", web::post().to(notifications::notify));
}
