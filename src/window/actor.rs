//! The `Window` actor: one websocket connection of a browser window.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::reassembly::{Incoming, ReadError};
use super::socket::CLOSE_GRACE;
use super::writer::Control;
use super::{Outbox, WindowSettings};
use crate::identity::WindowInfo;
use crate::limit::TokenBucket;
use crate::metrics::Metrics;
use crate::protocol::{
    error_frame, parse_frame, position_frame, reply_error, reply_ok, CallId, Disconnect, ErrorCode,
    Inbound, HEARTBEAT,
};
use crate::signal::{Opts, SignalRouter};
use crate::topic::{
    ConnId, ConnectionTopics, History, Join, Leave, SetTopics, TopicRegistry, Windows,
};

/// Everything a window needs to start; built by [`super::start`].
pub(super) struct Setup {
    pub(super) conn: ConnId,
    pub(super) info: Arc<WindowInfo>,
    pub(super) topics: Vec<String>,
    pub(super) version: u64,
    pub(super) ttl: Duration,
    pub(super) resume: Option<Option<String>>,
    pub(super) router: SignalRouter,
    pub(super) windows: Windows,
    pub(super) registry: Addr<TopicRegistry>,
    pub(super) history: History,
    pub(super) metrics: Arc<Metrics>,
    pub(super) outbox: Outbox,
    pub(super) control: Arc<Control>,
    pub(super) settings: WindowSettings,
}

/// One websocket connection of a browser window.
///
/// Joins its topics in the registry when started and leaves them when stopping; calls from
/// the browser run concurrently as tasks and answer through the outbox.
pub struct Window {
    /// This connection's id in the registry.
    conn: ConnId,
    /// Who is behind the window; shared with every handler it calls.
    info: Arc<WindowInfo>,
    /// Topics to join at start (from the registration read at upgrade); what a recovery
    /// replays.
    initial_topics: Vec<String>,
    /// Set while the outbox holds deliveries back until the connection has sent its
    /// position (and what it missed since the position the client sent, if any): the
    /// client asked with `since`.
    resume: Option<Option<String>>,
    /// Where the position and the missed triggers come from.
    history: History,
    /// Version of that registration.
    version: u64,
    /// Dispatches the browser's calls.
    router: SignalRouter,
    /// Renews the window's registration and re-reads its topics.
    windows: Windows,
    /// Where the connection's topic memberships live.
    registry: Addr<TopicRegistry>,
    /// Counts the connection, its refused calls and how it ends.
    metrics: Arc<Metrics>,
    /// The connection's outbound queue (replies, heartbeats, deliveries); its receiving
    /// side is the connection's writer ([`super::writer::Writer`]).
    outbox: Outbox,
    /// Pings and pongs for the writer to send.
    control: Arc<Control>,
    /// Limits and timings.
    settings: WindowSettings,
    /// When the client last sent anything (frame, pong), to detect dead peers.
    last_seen: Instant,
    /// How often the registration is renewed while connected (a third of its time-to-live).
    renew_every: Duration,
    /// The call rate (`rate_limited` when empty) and the refused calls tolerated (when it
    /// runs dry the window is closed with 1008); `None` without a rate limit.
    rate: Option<(TokenBucket, TokenBucket)>,
    /// Calls running now, shared with their tasks.
    in_flight: Arc<AtomicUsize>,
}

impl Window {
    pub(super) fn new(setup: Setup) -> Window {
        let now = Instant::now();
        let settings = setup.settings;
        let bucket = || TokenBucket::new(settings.calls_per_second, settings.call_burst, now);
        let rate = (settings.calls_per_second > 0.0).then(|| (bucket(), bucket()));
        Window {
            conn: setup.conn,
            info: setup.info,
            initial_topics: setup.topics,
            resume: setup.resume,
            history: setup.history,
            version: setup.version,
            router: setup.router,
            windows: setup.windows,
            registry: setup.registry,
            metrics: setup.metrics,
            rate,
            in_flight: Arc::new(AtomicUsize::new(0)),
            outbox: setup.outbox,
            control: setup.control,
            settings: setup.settings,
            last_seen: Instant::now(),
            renew_every: (setup.ttl / 3).max(Duration::from_millis(100)),
        }
    }

    /// Re-reads the registration after joining, so a topic change made between the upgrade
    /// and the join is not lost (versions make the later of the two win), and renews it: a
    /// registration lives as long as a connection uses it, plus its time-to-live.
    fn refresh_registration(&self, ctx: &mut Context<Self>) {
        let Some(key) = self.info.window_key.clone() else {
            return;
        };
        let windows = self.windows.clone();
        let registry = self.registry.clone();
        let conn = self.conn;
        ctx.spawn(
            async move {
                if let Err(error) = windows.touch(&key).await {
                    tracing::warn!(%error, "cannot renew a window registration");
                }
                if let Ok(Some(record)) = windows.get(&key).await {
                    registry.do_send(SetTopics {
                        conn,
                        topics: record.all_topics(),
                        version: record.version,
                    });
                }
            }
            .into_actor(self),
        );
    }

    /// Pings the client, or closes the connection when it has been silent too long.
    fn heartbeat(&mut self, _ctx: &mut Context<Self>) {
        // A socket that accepts nothing while frames wait is closed even when nothing more
        // is sent to it (a push behind waiting frames checks too).
        self.outbox.check_stalled();
        if self.last_seen.elapsed() > self.settings.client_timeout {
            tracing::debug!(conn = ?self.conn, "client silent for too long, closing");
            self.outbox.close(Disconnect::Normal);
            return;
        }
        self.control.ping();
    }

    fn on_text(&mut self, text: &str) {
        match parse_frame(text) {
            Ok(Inbound::Heartbeat) => {
                self.outbox.push(HEARTBEAT.into());
            }
            Ok(Inbound::Call { signal, opts, id }) => self.call(signal, opts, id),
            Err(bad) => self.reject(&bad.0),
        }
    }

    /// Answers a frame that is not a well-formed call.
    fn reject(&self, message: &str) {
        self.refuse(None, ErrorCode::BadFrame, message);
    }

    /// Refuses a call with `code`: a reply when it has an `id`, else an error frame (both are
    /// always sent for `rate_limited` and `bad_frame`, PROTOCOL.md §5).
    fn refuse(&self, id: Option<&CallId>, code: ErrorCode, message: &str) {
        self.metrics.error(code);
        let frame = match id {
            Some(id) => reply_error(id, code, message),
            None => error_frame(code, message),
        };
        self.outbox.push(frame);
    }

    /// Checks the limits of a call; `false` when it was refused.
    fn admit(&mut self, opts: &Opts, id: Option<&CallId>) -> bool {
        let depth = opts.values().map(nesting).max().unwrap_or(0) + 1;
        if depth > self.settings.max_opts_depth {
            let message = format!(
                "`opts` are nested deeper than {} levels",
                self.settings.max_opts_depth
            );
            self.refuse(id, ErrorCode::BadFrame, &message);
            return false;
        }
        if let Some((calls, strikes)) = &mut self.rate {
            let now = Instant::now();
            if !calls.try_take(now) {
                if !strikes.try_take(now) {
                    tracing::info!(conn = ?self.conn, "closing a window that keeps calling too fast");
                    self.outbox.close(Disconnect::Policy);
                }
                self.refuse(id, ErrorCode::RateLimited, "too many calls: slow down");
                return false;
            }
        }
        if self.in_flight.load(Ordering::Acquire) >= self.settings.max_calls_in_flight {
            let message = format!(
                "too many calls in progress (at most {})",
                self.settings.max_calls_in_flight
            );
            self.refuse(id, ErrorCode::RateLimited, &message);
            return false;
        }
        true
    }

    /// Runs a call as its own task; with an `id`, its outcome is sent back as one reply frame.
    fn call(&mut self, signal: String, opts: Opts, id: Option<CallId>) {
        if !self.admit(&opts, id.as_ref()) {
            return;
        }
        let router = self.router.clone();
        let info = self.info.clone();
        let connection = ConnectionTopics::new(self.registry.clone(), self.conn);
        let outbox = self.outbox.clone();
        let in_flight = InFlight::enter(&self.in_flight);
        actix::spawn(async move {
            let outcome = router
                .call_over(info, Some(connection), &signal, opts)
                .await;
            drop(in_flight);
            match (id, outcome) {
                (Some(id), Ok(result)) => {
                    outbox.push(reply_ok(&id, &result));
                }
                (Some(id), Err(error)) => {
                    outbox.push(reply_error(&id, error.code(), error.message()));
                }
                (None, Ok(_)) => {}
                // `rate_limited` is always sent (PROTOCOL.md §5), even without an id.
                (None, Err(error)) if error.code() == ErrorCode::RateLimited => {
                    outbox.push(error_frame(error.code(), error.message()));
                }
                (None, Err(error)) => {
                    tracing::debug!(%signal, %error, "call without id failed");
                }
            }
        });
    }
}

/// How deeply a JSON value nests (a scalar is 0, `[1]` is 1).
fn nesting(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// One running call, counted while it lives.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(count: &Arc<AtomicUsize>) -> InFlight {
        count.fetch_add(1, Ordering::AcqRel);
        InFlight(count.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Window {
    /// Joins the registry before anything else runs in this actor: no frame from the
    /// browser is read until the registry has the connection, so what a call triggers back
    /// to its own window, or to a topic the window just joined, always finds it. (Broker
    /// events reach the registry on a stream of their own, which could otherwise overtake
    /// the join.)
    fn join_registry(&mut self, ctx: &mut Context<Self>) {
        let topics = match self.resume {
            Some(_) => self.initial_topics.clone(),
            None => std::mem::take(&mut self.initial_topics),
        };
        let join = Join {
            conn: self.conn,
            key: self.info.window_key.clone(),
            topics,
            version: self.version,
            member: self.outbox.clone().into_member(),
        };
        self.registry
            .send(join)
            .into_actor(self)
            .map(|joined, window, ctx| {
                if joined.is_err() {
                    tracing::error!(conn = ?window.conn, "the topic registry is gone");
                    window.outbox.close(Disconnect::Internal);
                    ctx.stop();
                }
            })
            .wait(ctx);
    }

    /// Sends what the connection missed and its position, then lets live deliveries through
    /// (PROTOCOL.md §5.6). Runs once joined: a delivery to the connection from then on is
    /// either after the position it announces, or held back and dropped when replayed.
    fn resume(&mut self, ctx: &mut Context<Self>) {
        let Some(since) = self.resume.take() else {
            return;
        };
        let topics = std::mem::take(&mut self.initial_topics);
        let history = self.history.clone();
        let outbox = self.outbox.clone();
        let max_bytes = self.settings.outbound_queue_bytes;
        ctx.spawn(
            async move {
                let resumption = history.resume(&topics, since.as_deref(), max_bytes).await;
                let position = resumption
                    .position
                    .as_ref()
                    .map(|p| (p.epoch.as_str(), p.offset));
                let announce = position_frame(position, resumption.recovered);
                // After a failed recovery the page refetches: deliveries it held at or
                // below the position are not sent before the news.
                let keep_earlier = resumption.recovered != Some(false);
                outbox.resume(
                    resumption.replay,
                    position.map(|(_, offset)| offset),
                    announce,
                    keep_earlier,
                );
            }
            .into_actor(self),
        );
    }

    /// Renews the registration every third of its time-to-live while connected.
    fn keep_registration_alive(&self, ctx: &mut Context<Self>) {
        if self.info.window_key.is_none() {
            return;
        }
        ctx.run_interval(self.renew_every, |window, ctx| {
            let Some(key) = window.info.window_key.clone() else {
                return;
            };
            let windows = window.windows.clone();
            ctx.spawn(
                async move {
                    let _ = windows.touch(&key).await;
                }
                .into_actor(window),
            );
        });
    }

    /// Stops the actor when anything asks the connection to close (the client, the
    /// registry, the API, a limit); the writer then writes the close frame. A
    /// connection still open [`CLOSE_GRACE`] later (its client takes no bytes) is reset.
    fn stop_when_closed(&self, ctx: &mut Context<Self>) {
        let outbox = self.outbox.clone();
        let metrics = self.metrics.clone();
        let control = self.control.clone();
        let conn = self.conn;
        ctx.spawn(async move { outbox.closed().await }.into_actor(self).map(
            move |reason, _, ctx| {
                if reason != Disconnect::Normal {
                    metrics
                        .disconnects
                        .with_label_values(&[&reason.code().to_string()])
                        .inc();
                }
                actix::spawn(async move {
                    tokio::time::sleep(CLOSE_GRACE).await;
                    if control.reset_socket() {
                        tracing::debug!(
                            ?conn,
                            code = reason.code(),
                            "reset a connection that took no close frame"
                        );
                    }
                });
                ctx.stop();
            },
        ));
    }
}

impl Actor for Window {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.metrics.windows_connected.inc();
        self.metrics.connections_total.inc();
        self.join_registry(ctx);
        self.resume(ctx);
        self.refresh_registration(ctx);
        self.keep_registration_alive(ctx);
        self.stop_when_closed(ctx);
        ctx.run_interval(self.settings.ping_interval, Self::heartbeat);
    }

    fn stopping(&mut self, _ctx: &mut Self::Context) -> Running {
        self.registry.do_send(Leave { conn: self.conn });
        self.metrics.windows_connected.dec();
        Running::Stop
    }
}

impl StreamHandler<Result<Incoming, ReadError>> for Window {
    fn handle(&mut self, message: Result<Incoming, ReadError>, _ctx: &mut Self::Context) {
        self.last_seen = Instant::now();
        match message {
            Ok(Incoming::Text(text)) => self.on_text(&text),
            Ok(Incoming::Binary) => self.reject("binary frames are not accepted"),
            Ok(Incoming::Ping(payload)) => {
                self.control.pong(payload);
            }
            Ok(Incoming::Pong) => {}
            Ok(Incoming::Close) => self.outbox.close(Disconnect::Normal),
            Err(ReadError::TooBig) => self.outbox.close(Disconnect::TooBig),
            Err(ReadError::InvalidUtf8) => self.outbox.close(Disconnect::InvalidUtf8),
            Err(ReadError::Transport(error)) => {
                // The transport failed (peer gone mid-frame): nobody is left to tell.
                tracing::debug!(conn = ?self.conn, %error, "websocket transport error");
                self.outbox.close(Disconnect::Normal);
            }
            Err(ReadError::Protocol(error)) => {
                tracing::debug!(conn = ?self.conn, %error, "websocket protocol error");
                self.outbox.close(Disconnect::Protocol);
            }
        }
    }

    fn finished(&mut self, ctx: &mut Self::Context) {
        // The client's side of the stream ended: nothing more can arrive.
        self.outbox.close(Disconnect::Normal);
        ctx.stop();
    }
}
