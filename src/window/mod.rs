//! Windows: one task per websocket connection of a browser window.
//!
//! The server hands each accepted websocket's socket over to [`serve`]; no HTTP machinery
//! stays with the connection. Its `Window` (`connection.rs`) reads the browser's messages
//! from the socket (`frames.rs`, `reassembly.rs`: calls, heartbeats), dispatches calls to the
//! [`SignalRouter`] and sends replies. The connection's bounded [`Outbox`] is drained, in
//! order, by the connection's writer (`writer.rs`), straight into the socket, from the same
//! task, or, when frames have waited long for that task's turn, by its worker thread's
//! rescue desk (`rescue.rs`). The [`TopicRegistry`] delivers into that outbox, which it
//! holds as a [`Member`](crate::topic::Member).

mod coarse_clock;
mod connection;
mod frames;
mod outbox;
mod reassembly;
mod rescue;
mod socket;
mod writer;

pub(crate) use frames::fuzz_inbound;

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_http::ws::HandshakeError;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use tokio::net::TcpStream;

use connection::Window;
pub use outbox::{Outbox, OutboxReceiver, Outgoing, QueueLimits};
pub use rescue::rescued;

use crate::identity::WindowInfo;
use crate::limit::ConnectionGuard;
use crate::metrics::Metrics;
use crate::signal::SignalRouter;
use crate::topic::{ConnId, History, RegistryHandle, Windows};

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

/// What every window of the node works with: built once, shared by all of them (an idle
/// window holds one pointer to it).
pub struct Services {
    /// Dispatches its calls.
    pub router: SignalRouter,
    /// Renews its registration and re-reads its topics.
    pub windows: Windows,
    /// Holds its topic memberships.
    pub registry: RegistryHandle,
    /// Tells where live delivery starts, and what it missed while away.
    pub history: History,
    /// Counts connections, disconnects and refused calls.
    pub metrics: Arc<Metrics>,
    /// Per-connection limits and timings.
    pub settings: WindowSettings,
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

/// A websocket the endpoint accepted: everything its [`Window`] needs once the connection is
/// handed over. It rides in the extensions of the handshake answer, from the endpoint's
/// handler to the server's upgrade service, which writes the answer and calls [`serve`].
pub struct Accepted {
    /// Who it is and where it starts.
    joining: Joining,
    /// What it works with.
    services: Arc<Services>,
    /// Its place in the node's, the address's and the user's connection counts, released
    /// when its connection is over.
    admission: ConnectionGuard,
}

/// Accepts a websocket upgrade: the handshake answer (101), carrying the window to start in
/// its extensions ([`Accepted`]); a request that is no websocket handshake is refused.
pub fn accept(
    req: &HttpRequest,
    joining: Joining,
    services: Arc<Services>,
    admission: ConnectionGuard,
) -> Result<HttpResponse, HandshakeError> {
    let mut response = HttpResponse::from(
        actix_http::ws::handshake(req.head())?
            .finish()
            .map_into_boxed_body(),
    );
    response.extensions_mut().insert(Accepted {
        joining,
        services,
        admission,
    });
    Ok(response)
}

/// Serves an accepted websocket on its own socket: the connection's task, which writes
/// `handshake` (the encoded 101 answer), then serves the window until the connection is
/// over. `read` holds the client's bytes that came with the handshake request, if any.
///
/// Meant to be spawned as a task of its own: about a kilobyte for the life of the
/// connection, where the HTTP connection it came from is far larger.
pub fn serve(
    socket: TcpStream,
    handshake: Bytes,
    read: &[u8],
    accepted: Accepted,
) -> impl Future<Output = ()> + 'static {
    let Accepted {
        joining,
        services,
        admission,
    } = accepted;
    let settings = &services.settings;
    let socket = Rc::new(socket);
    let frames = frames::Frames::new(
        frames::SocketSource(socket.clone()),
        read,
        settings.max_frame_bytes,
    );
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
    let (writer, ticket) =
        rescue::SharedWriter::seat(writer::Writer::new(socket, handshake, outgoing, admission));
    outbox.seat(ticket);
    let window = Window::new(connection::Setup {
        conn: ConnId::next(),
        info: Arc::new(info),
        topics,
        version,
        ttl,
        resume,
        services,
        outbox,
    });
    connection::Connection::new(window, stream, writer)
}
