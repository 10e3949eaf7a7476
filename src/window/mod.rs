//! Windows: one actor per websocket connection of a browser window.
//!
//! A [`Window`] reads the browser's messages (`reassembly.rs`: calls, heartbeats),
//! dispatches calls to the [`SignalRouter`] and sends replies. The connection's bounded
//! [`Outbox`] is drained, in order, by the websocket response body itself (`body.rs`), which
//! encodes every queued frame into one write. The [`TopicRegistry`] delivers straight into
//! that outbox, which it holds as a [`Member`](crate::topic::Member).

mod actor;
mod body;
mod coarse_clock;
mod frames;
mod outbox;
mod reassembly;
mod socket;

pub(crate) use frames::fuzz_inbound;

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, AsyncContext};
use actix_web::body::BodyStream;
use actix_web::{web, HttpRequest, HttpResponse};

pub(crate) use actor::Window;
pub use outbox::{Outbox, OutboxReceiver, Outgoing, QueueLimits};
pub use socket::SocketFd;

use crate::identity::WindowInfo;
use crate::limit::ConnectionGuard;
use crate::metrics::Metrics;
use crate::signal::SignalRouter;
use crate::topic::{ConnId, History, TopicRegistry, Windows};

/// Per-connection limits and timings.
#[derive(Debug, Clone, Copy)]
pub struct WindowSettings {
    /// Largest inbound message after reassembly (1009 beyond).
    pub max_frame_bytes: usize,
    /// Frames that may wait in the outbox (1013 beyond).
    pub outbound_queue: usize,
    /// Bytes of frames that may wait in the outbox (1013 beyond).
    pub outbound_queue_bytes: usize,
    /// How long frames may wait while the socket accepts nothing (1013 beyond).
    pub write_timeout: Duration,
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
    /// Renews its registration and re-reads its topics.
    pub windows: Windows,
    /// Holds its topic memberships.
    pub registry: Addr<TopicRegistry>,
    /// Tells where live delivery starts, and what it missed while away.
    pub history: History,
    /// Counts connections, disconnects and refused calls.
    pub metrics: Arc<Metrics>,
    /// Its place in the per-address and per-user connection counts, released when it stops.
    pub admission: ConnectionGuard,
}

/// Who a new connection is, and the topics it starts in.
#[derive(Debug, Clone, Default)]
pub struct Joining {
    /// The identity registered for its key (anonymous without one).
    pub info: WindowInfo,
    /// Every topic it joins at once, implicit ones included.
    pub topics: Vec<String>,
    /// Version of the registration the topics come from (0 without one).
    pub version: u64,
    /// The registration's time-to-live, which the connection renews (zero without one).
    pub ttl: Duration,
    /// The `since` of the upgrade, if any: the position the client asks to recover from
    /// (`EPOCH:OFFSET`, unchecked), or empty when it asks only for its position.
    pub since: Option<String>,
}

/// Upgrades an HTTP request to a websocket and starts its [`Window`] actor.
pub fn start(
    req: &HttpRequest,
    body: web::Payload,
    joining: Joining,
    services: Services,
    settings: WindowSettings,
) -> Result<HttpResponse, actix_web::Error> {
    // The handshake answer; inbound frames are decoded from the payload (`frames.rs`) and
    // the outbound side is this crate's own body, so nothing per connection sits unused.
    let mut response = actix_http::ws::handshake(req.head())?;
    let frames = frames::Frames::new(body.into_inner(), settings.max_frame_bytes);
    let stream = reassembly::Reassembled::new(frames, settings.max_frame_bytes);
    let Joining {
        info,
        topics,
        version,
        ttl,
        since,
    } = joining;
    // A connection that asked for its position (`since`, empty for none yet) holds live
    // deliveries back until it has sent it, and what it missed (PROTOCOL.md §5.6). Others
    // (df_websockets' client) start at once, as before.
    let resume = since.map(|since| (!since.is_empty()).then_some(since));
    let limits = QueueLimits {
        frames: settings.outbound_queue,
        bytes: settings.outbound_queue_bytes,
        write_timeout: settings.write_timeout,
    };
    let (outbox, outgoing) = if resume.is_some() {
        Outbox::held(limits)
    } else {
        Outbox::bounded(limits)
    };
    let control = Arc::new(body::Control::new(req.conn_data::<SocketFd>().copied()));
    let response = HttpResponse::from(
        response
            .body(BodyStream::new(body::WindowBody::new(
                outgoing,
                control.clone(),
            )))
            .map_into_boxed_body(),
    );
    Window::create(move |ctx| {
        ctx.add_stream(stream);
        Window::new(actor::Setup {
            conn: ConnId::next(),
            info: Arc::new(info),
            topics,
            version,
            ttl,
            resume,
            services,
            outbox,
            control,
            settings,
        })
    });
    Ok(response)
}
