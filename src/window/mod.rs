//! Windows: one actor per websocket connection of a browser window.
//!
//! A [`Window`] reads the browser's frames (calls, heartbeats), dispatches calls to the
//! [`SignalRouter`](crate::signal::SignalRouter) and sends replies. The connection's
//! bounded [`Outbox`](crate::topic::Outbox) is drained, in order, by the websocket response
//! body itself (`body.rs`), which encodes every queued frame into one write. The
//! [`TopicRegistry`](crate::topic::TopicRegistry) pushes deliveries straight into that outbox.

mod actor;
mod body;

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext};
use actix_web::body::BodyStream;
use actix_web::{web, HttpRequest, HttpResponse};

pub use actor::Window;

use crate::broker::WindowRecord;
use crate::identity::WindowInfo;
use crate::limit::ConnectionGuard;
use crate::signal::SignalRouter;
use crate::topic::{ConnId, Outbox, TopicRegistry};

/// Per-connection limits and timings.
#[derive(Debug, Clone, Copy)]
pub struct WindowSettings {
    /// Largest inbound message after reassembly (1009 beyond).
    pub max_frame_bytes: usize,
    /// Frames that may wait in the outbox (1013 beyond).
    pub outbound_queue: usize,
    /// Interval of server pings.
    pub ping_interval: Duration,
    /// Silence after which the connection is considered dead.
    pub client_timeout: Duration,
    /// Calls per second on average (0 for no limit).
    pub calls_per_second: f64,
    /// Calls in a burst.
    pub call_burst: f64,
    /// Calls running at once.
    pub max_calls_in_flight: usize,
    /// Deepest nesting of `opts`.
    pub max_opts_depth: usize,
}

/// What a window works with besides its settings.
pub struct Services {
    /// Dispatches its calls.
    pub router: SignalRouter,
    /// Holds its topic memberships.
    pub registry: Addr<TopicRegistry>,
    /// Its place in the per-address and per-user connection counts, released when it stops.
    pub admission: ConnectionGuard,
}

/// Upgrades an HTTP request to a websocket and starts its [`Window`] actor.
///
/// `record` is the window's registration, or `None` for an anonymous connection (no topics).
pub fn start(
    req: &HttpRequest,
    body: web::Payload,
    record: Option<WindowRecord>,
    services: Services,
    settings: WindowSettings,
) -> Result<HttpResponse, actix_web::Error> {
    // actix-ws parses the inbound frames; the outbound side is this crate's own body (its
    // `Session` and channel would add a task hop and a queue per frame).
    let (response, _session, stream) = actix_ws::handle(req, body)?;
    let stream = stream
        .max_frame_size(settings.max_frame_bytes)
        .aggregate_continuations()
        .max_continuation_size(settings.max_frame_bytes);
    let (info, topics, version, ttl) = match record {
        Some(record) => (
            record.info.clone(),
            record.all_topics(),
            record.version,
            Duration::from_secs(record.ttl_secs),
        ),
        None => (WindowInfo::anonymous(), Vec::new(), 0, Duration::ZERO),
    };
    let (outbox, outgoing) = Outbox::new(settings.outbound_queue);
    let control = Arc::new(body::Control::default());
    let (head, inbound_guard) = response.into_parts();
    let response = head
        .set_body(BodyStream::new(body::WindowBody::new(
            outgoing,
            control.clone(),
            inbound_guard,
        )))
        .map_into_boxed_body();
    Window::create(move |ctx| {
        ctx.add_stream(stream);
        Window::new(actor::Setup {
            conn: ConnId::next(),
            info: Arc::new(info),
            topics,
            version,
            ttl,
            services,
            outbox,
            control,
            settings,
        })
    });
    Ok(response)
}
