//! A `Window`: one websocket connection of a browser window, served by one task.
//!
//! The connection joins the registry as it starts; then, until it is over, its task reads
//! the client's messages, pings it, renews its registration and runs the connection's
//! [`Writer`], all from one future: an idle window costs one small task, with its timers
//! inside it. Calls that wait run as tasks of their own (the others run to their end at
//! once) and answer through the outbox; so do the registration's renewals and the recovery
//! of what the connection missed, which are short-lived.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_util::Stream;
use pin_project_lite::pin_project;
use tokio::time::{Instant as TokioInstant, Sleep};

use super::reassembly::{Incoming, ReadError};
use super::rescue::SharedWriter;
use super::socket::CLOSE_GRACE;
use super::{Outbox, Services, WindowSettings};
use crate::identity::WindowInfo;
use crate::limit::TokenBucket;
use crate::protocol::{
    error_frame, parse_frame, position_frame, reply_error, reply_ok, CallId, Disconnect, ErrorCode,
    Inbound, HEARTBEAT,
};
use crate::signal::Opts;
use crate::topic::{ConnId, ConnectionTopics, Join};

/// Everything a window needs to start; built by [`super::serve`].
pub(super) struct Setup {
    pub(super) conn: ConnId,
    pub(super) info: Arc<WindowInfo>,
    pub(super) topics: Vec<String>,
    pub(super) version: u64,
    pub(super) ttl: Duration,
    pub(super) resume: Option<Option<String>>,
    pub(super) services: Arc<Services>,
    pub(super) outbox: Outbox,
}

/// One websocket connection of a browser window.
///
/// Joins its topics in the registry when it starts and leaves them when it ends; calls from
/// the browser run concurrently as tasks and answer through the outbox.
pub(super) struct Window {
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
    /// Version of the registration the initial topics come from.
    version: u64,
    /// The node's router, registry, registrations, history, metrics and window settings.
    services: Arc<Services>,
    /// The connection's outbound queue (replies, heartbeats, deliveries, pings and pongs);
    /// its receiving side is the connection's writer ([`super::writer::Writer`]).
    outbox: Outbox,
    /// When the client last sent anything (frame, pong), to detect dead peers.
    last_seen: Instant,
    /// How often the registration is renewed while connected (a third of its time-to-live).
    renew_every: Duration,
    /// The call rate (`rate_limited` when empty) and the refused calls tolerated (when it
    /// runs dry the window is closed with 1008); made at the first call (a window that
    /// never calls pays one pointer), and never without a rate limit.
    rate: Option<Box<(TokenBucket, TokenBucket)>>,
    /// Calls running now, shared with their tasks.
    in_flight: Arc<AtomicUsize>,
}

impl Window {
    pub(super) fn new(setup: Setup) -> Window {
        Window {
            conn: setup.conn,
            info: setup.info,
            initial_topics: setup.topics,
            resume: setup.resume,
            version: setup.version,
            services: setup.services,
            rate: None,
            in_flight: Arc::new(AtomicUsize::new(0)),
            outbox: setup.outbox,
            last_seen: Instant::now(),
            renew_every: (setup.ttl / 3).max(Duration::from_millis(100)),
        }
    }

    /// The node's per-connection limits and timings.
    fn settings(&self) -> &WindowSettings {
        &self.services.settings
    }

    /// Re-reads the registration after joining, so a topic change made between the upgrade
    /// and the join is not lost (versions make the later of the two win), and renews it: a
    /// registration lives as long as a connection uses it, plus its time-to-live.
    fn refresh_registration(&self) {
        let Some(key) = self.info.window_key.clone() else {
            return;
        };
        let windows = self.services.windows.clone();
        let registry = self.services.registry.clone();
        let conn = self.conn;
        // A registry that no longer has the connection (it ended meanwhile) ignores the topics.
        actix::spawn(async move {
            if let Err(error) = windows.touch(&key).await {
                tracing::warn!(%error, "cannot renew a window registration");
            }
            if let Ok(Some(record)) = windows.get(&key).await {
                registry.set_topics(conn, &record.all_topics(), record.version);
            }
        });
    }

    /// Pings the client, or closes the connection when it has been silent too long.
    fn heartbeat(&mut self) {
        // A socket that accepts nothing while frames wait is closed even when nothing more
        // is sent to it (a push behind waiting frames checks too).
        self.outbox.check_stalled();
        if self.last_seen.elapsed() > self.settings().client_timeout {
            tracing::debug!(conn = ?self.conn, "client silent for too long, closing");
            self.outbox.close(Disconnect::Normal);
            return;
        }
        self.outbox.ping();
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
        self.services.metrics.error(code);
        let frame = match id {
            Some(id) => reply_error(id, code, message),
            None => error_frame(code, message),
        };
        self.outbox.push(frame);
    }

    /// Checks the limits of a call; `false` when it was refused.
    fn admit(&mut self, opts: &Opts, id: Option<&CallId>) -> bool {
        let depth = opts.values().map(nesting).max().unwrap_or(0) + 1;
        if depth > self.settings().max_opts_depth {
            let message = format!(
                "`opts` are nested deeper than {} levels",
                self.settings().max_opts_depth
            );
            self.refuse(id, ErrorCode::BadFrame, &message);
            return false;
        }
        let (per_second, burst) = (self.settings().calls_per_second, self.settings().call_burst);
        if per_second > 0.0 {
            // The frame's arrival, read once for it (`on_message`).
            let now = self.last_seen;
            let rate = self.rate.get_or_insert_with(|| {
                let bucket = || TokenBucket::new(per_second, burst, now);
                Box::new((bucket(), bucket()))
            });
            let (calls, strikes) = &mut **rate;
            if !calls.try_take(now) {
                if !strikes.try_take(now) {
                    tracing::info!(conn = ?self.conn, "closing a window that keeps calling too fast");
                    self.outbox.close(Disconnect::Policy);
                }
                self.refuse(id, ErrorCode::RateLimited, "too many calls: slow down");
                return false;
            }
        }
        if self.in_flight.load(Ordering::Acquire) >= self.settings().max_calls_in_flight {
            let message = format!(
                "too many calls in progress (at most {})",
                self.settings().max_calls_in_flight
            );
            self.refuse(id, ErrorCode::RateLimited, &message);
            return false;
        }
        true
    }

    /// Runs a call (to its end at once, or as a task of its own once it waits); with an `id`,
    /// its outcome is sent back as one reply frame.
    fn call(&mut self, signal: String, opts: Opts, id: Option<CallId>) {
        if !self.admit(&opts, id.as_ref()) {
            return;
        }
        let router = self.services.router.clone();
        let info = self.info.clone();
        let connection = ConnectionTopics::new(self.services.registry.clone(), self.conn);
        let outbox = self.outbox.clone();
        let in_flight = InFlight::enter(&self.in_flight);
        let mut call = Box::pin(async move {
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
        // Most calls finish without waiting (a handler that computes and answers, a trigger
        // through the in-memory broker): such a call runs to its end here, on the
        // connection's turn, with no task to create and schedule. A call that waits becomes
        // a task of its own, whose first poll registers its waker with whatever it waits
        // for (the waker given here wakes nothing; the poll after it is the one that
        // counts, as for any future polled again).
        if call
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_pending()
        {
            actix::spawn(call);
        }
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
    /// Joins the registry before anything else runs, on this thread, at once: no frame from
    /// the browser is read before the registry has the connection, so what a call triggers
    /// back to its own window, or to a topic the window just joined, always finds it. Then
    /// starts what follows the join: the recovery, and the registration's refresh.
    fn join_registry(&mut self) {
        let topics = match self.resume {
            // A recovery replays the history of these topics once joined.
            Some(_) => self.initial_topics.clone(),
            None => std::mem::take(&mut self.initial_topics),
        };
        self.services.registry.join(Join {
            conn: self.conn,
            key: self.info.window_key.clone(),
            topics,
            version: self.version,
            member: self.outbox.clone().into_member(),
        });
        self.resume();
        self.refresh_registration();
    }

    /// The connection closes for `reason`: it leaves the registry and is counted out.
    fn stop(&mut self, reason: Disconnect) {
        if reason != Disconnect::Normal {
            self.services
                .metrics
                .disconnects
                .with_label_values(&[&reason.code().to_string()])
                .inc();
        }
        self.services.registry.leave(self.conn);
        self.services.metrics.windows_connected.dec();
    }

    /// Sends what the connection missed and its position, then lets live deliveries through
    /// (PROTOCOL.md §5.6). Runs once joined: a delivery to the connection from then on is
    /// either after the position it announces, or held back and dropped when replayed.
    fn resume(&mut self) {
        let Some(since) = self.resume.take() else {
            return;
        };
        let topics = std::mem::take(&mut self.initial_topics);
        let history = self.services.history.clone();
        let outbox = self.outbox.clone();
        let max_bytes = self.settings().outbound_queue_bytes;
        actix::spawn(async move {
            let resumption = history.resume(&topics, since.as_deref(), max_bytes).await;
            let position = resumption
                .position
                .as_ref()
                .map(|p| (p.epoch.as_str(), p.offset));
            let announce = position_frame(position, resumption.recovered);
            // After a failed recovery the page refetches: deliveries it held at or below the
            // position are not sent before the news.
            let keep_earlier = resumption.recovered != Some(false);
            outbox.resume(
                resumption.replay,
                position.map(|(_, offset)| offset),
                announce,
                keep_earlier,
            );
        });
    }

    /// Renews the registration (every third of its time-to-live while connected).
    fn renew_registration(&self) {
        let Some(key) = self.info.window_key.clone() else {
            return;
        };
        let windows = self.services.windows.clone();
        actix::spawn(async move {
            let _ = windows.touch(&key).await;
        });
    }

    /// What the client sent.
    fn on_message(&mut self, message: Result<Incoming, ReadError>) {
        self.last_seen = Instant::now();
        match message {
            Ok(Incoming::Text(text)) => self.on_text(&text),
            Ok(Incoming::Binary) => self.reject("binary frames are not accepted"),
            Ok(Incoming::Ping(payload)) => {
                self.outbox.pong(payload);
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
}

/// Messages read from the client in one turn of the task, before the writer and the timers
/// get theirs (the task comes back at once when more are there).
const MESSAGES_PER_TURN: usize = 32;

/// Where a connection stands.
enum Stage {
    /// Reading, pinging, renewing and writing.
    Open,
    /// Closed: the writer writes what is still queued and the close frame; the connection is
    /// reset when the timer ([`CLOSE_GRACE`]) fires first.
    Closing,
}

pin_project! {
    /// The task that serves one connection until it is over: joined to the registry, it reads
    /// `messages`, pings the client and renews the registration while the writer drains the
    /// outbox, until anything asks the connection to close (the client, the registry, the
    /// API, a limit). The writer then writes the close frame; a connection still open
    /// [`CLOSE_GRACE`] later (its client takes no bytes) is reset.
    ///
    /// One future holds everything, its timer included: an idle window is this task and
    /// nothing else of its own.
    pub(super) struct Connection<S> {
        // (Plain comments: `pin_project!` takes no doc comments on fields.)
        // The connection's state and what it does with the client's messages.
        window: Window,
        // The client's messages, read from the socket.
        messages: S,
        // Drains the outbox into the socket; shared with the thread's rescue desk.
        writer: Rc<SharedWriter>,
        // Open or closing.
        stage: Stage,
        // The next ping or renewal; once closing, the reset.
        #[pin]
        timer: Sleep,
        // When the next ping is due.
        next_ping: TokioInstant,
        // When the registration is next renewed (never without a key).
        next_renewal: Option<TokioInstant>,
        // The client's side of the stream is still open.
        reading: bool,
    }

    impl<S> PinnedDrop for Connection<S> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !matches!(this.stage, Stage::Closing) {
                // Dropped without closing (the runtime stopped): leave all the same.
                this.window.stop(Disconnect::Normal);
            }
        }
    }
}

/// The connection is over (its writer is done: the close frame is written and the client
/// closed, or the socket failed): it stops, unless it was stopping already.
fn over(stage: &mut Stage, window: &mut Window) -> Poll<()> {
    if !matches!(stage, Stage::Closing) {
        *stage = Stage::Closing;
        let reason = window.outbox.reason().unwrap_or(Disconnect::Normal);
        window.stop(reason);
    }
    Poll::Ready(())
}

/// When the timer of an open connection fires next: the next ping, or the next renewal when
/// it comes first.
fn next_wake(ping: TokioInstant, renewal: Option<TokioInstant>) -> TokioInstant {
    renewal.map_or(ping, |renewal| renewal.min(ping))
}

impl<S> Connection<S> {
    /// The task of `window`, reading `messages` and writing with `writer`.
    pub(super) fn new(mut window: Window, messages: S, writer: Rc<SharedWriter>) -> Connection<S> {
        let now = TokioInstant::now();
        let next_ping = now + window.settings().ping_interval;
        let next_renewal = window
            .info
            .window_key
            .is_some()
            .then(|| now + window.renew_every);
        window.services.metrics.windows_connected.inc();
        window.services.metrics.connections_total.inc();
        window.join_registry();
        Connection {
            window,
            messages,
            writer,
            stage: Stage::Open,
            timer: tokio::time::sleep_until(next_wake(next_ping, next_renewal)),
            next_ping,
            next_renewal,
            reading: true,
        }
    }
}

impl<S: Stream<Item = Result<Incoming, ReadError>> + Unpin> Future for Connection<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            if this.writer.poll(cx).is_ready() {
                return over(this.stage, this.window);
            }
            if let Stage::Closing = this.stage {
                if this.timer.as_mut().poll(cx).is_ready() {
                    tracing::debug!(conn = ?this.window.conn, "reset a connection that took no close frame");
                    this.writer.writer().reset();
                    return Poll::Ready(());
                }
                return Poll::Pending;
            }
            // Open.
            let mut turns = 0;
            let mut answered = false;
            while *this.reading && !this.window.outbox.is_closed() {
                if turns == MESSAGES_PER_TURN {
                    cx.waker().wake_by_ref();
                    break;
                }
                turns += 1;
                match Pin::new(&mut *this.messages).poll_next(cx) {
                    Poll::Ready(Some(message)) => {
                        this.window.on_message(message);
                        answered = true;
                    }
                    Poll::Ready(None) => {
                        // The client's side ended: nothing more can arrive.
                        *this.reading = false;
                        this.window.outbox.close(Disconnect::Normal);
                    }
                    Poll::Pending => break,
                }
            }
            if answered {
                // What the messages produced (replies, a heartbeat's answer, a pong) leaves in
                // this turn: the writer's wait for more frames is for fan-outs, which other
                // tasks push, not for the answers of this one.
                this.writer.writer().write_now();
                if this.writer.poll(cx).is_ready() {
                    return over(this.stage, this.window);
                }
            }
            while this.timer.as_mut().poll(cx).is_ready() {
                let now = TokioInstant::now();
                if now >= *this.next_ping {
                    this.window.heartbeat();
                    *this.next_ping = now + this.window.settings().ping_interval;
                }
                if let Some(renewal) = this.next_renewal.as_mut().filter(|r| now >= **r) {
                    this.window.renew_registration();
                    *renewal = now + this.window.renew_every;
                }
                this.timer
                    .as_mut()
                    .reset(next_wake(*this.next_ping, *this.next_renewal));
            }
            match this.window.outbox.poll_closed(cx) {
                Poll::Ready(reason) => {
                    this.window.stop(reason);
                    *this.stage = Stage::Closing;
                    this.timer.as_mut().reset(TokioInstant::now() + CLOSE_GRACE);
                    // The writer writes the close frame next.
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
