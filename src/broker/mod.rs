//! The broker: what connects the nodes of a Switchboard cluster.
//!
//! A [`Broker`] carries published triggers to every node that has a member of the targeted
//! topics, stores window registrations with a time-to-live, and applies live changes to them.
//! It reports what happens elsewhere (deliveries, topic changes, deleted windows) as a stream
//! of [`BrokerEvent`]s that this node's topic registry consumes, or, when the broker can
//! ([`Broker::attach`]), hands them to an [`EventSink`] on the caller's own thread.
//!
//! One implementation per module: [`MemoryBroker`] (one process, the default) and
//! [`RedisBroker`] (many processes sharing one Redis).
//!
//! # Delivery guarantees
//!
//! Live delivery is at-most-once: a trigger accepted by [`Broker::publish`] is handed to every
//! node subscribed at that moment. With history on (`history`), the broker also keeps it
//! in each targeted topic's history under one position, so a window that was disconnected
//! gets it back with [`Broker::recover`] when it returns: everything it missed, once each and
//! in order, or nothing (and it is told so). [`MemoryBroker`] keeps it in the process;
//! [`RedisBroker`] in Redis streams.

mod history;
mod memory;
mod redis;
mod registrations;
mod streams;

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use bytestring::ByteString;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::identity::{WindowInfo, WindowKey};

pub use history::{
    Entry, HistorySettings, MalformedPosition, Position, Recovery, RecoveryFailure, TopicHistory,
    MAX_OFFSET,
};
pub use memory::{MemoryBroker, DEFAULT_MAX_WINDOWS};
pub use redis::{RedisBroker, RedisConfig};

/// One trigger on its way to browsers, already serialised.
#[derive(Debug, Clone)]
pub struct Publication {
    /// The trigger's id: a window receives a given id at most once.
    pub signal_id: Uuid,
    /// Every topic targeted by the trigger, so a node delivers once to the union of members.
    pub topics: Vec<String>,
    /// The frame `{"signal", "opts", "signal_id"}`, serialised once for every recipient. A
    /// broker that keeps history appends `"offset"` to it (once per trigger).
    pub payload: ByteString,
    /// Its place in the history, set by the broker; `None` without history (or for a message
    /// a backend published by hand to a Redis channel).
    pub offset: Option<u64>,
}

/// A registered window as the broker stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowRecord {
    /// Who is behind the window.
    pub info: WindowInfo,
    /// Application topics (the implicit ones are derived from `info`).
    pub topics: BTreeSet<String>,
    /// Incremented on every change, so late or reordered updates can be recognised.
    pub version: u64,
    /// The registration's time-to-live in seconds: connections renew it by this much.
    pub ttl_secs: u64,
}

impl WindowRecord {
    /// Every topic the window's connections join: implicit topics, then application topics.
    pub fn all_topics(&self) -> Vec<String> {
        let mut topics = self.info.implicit_topics();
        topics.extend(self.topics.iter().cloned());
        topics
    }
}

/// The outcome of [`Broker::change_topics`].
#[derive(Debug, Clone, PartialEq)]
pub enum TopicChange {
    /// The topics changed; the new record.
    Changed(WindowRecord),
    /// No live registration has that key.
    Unknown,
    /// The change would exceed the limit of topics per window; nothing changed.
    TooMany,
}

/// Something that happened in the cluster and that this node must apply.
#[derive(Debug, Clone)]
pub enum BrokerEvent {
    /// Deliver a publication to the local members of its topics.
    Deliver(Arc<Publication>),
    /// The topics of a window changed; `topics` is the complete new set (implicit included).
    TopicsChanged {
        /// The window whose connections must move.
        key: WindowKey,
        /// All topics the window's connections now belong to.
        topics: Vec<String>,
        /// The record's version after the change.
        version: u64,
    },
    /// The window was deleted: close its connections with 1008.
    WindowDeleted {
        /// The deleted window.
        key: WindowKey,
    },
    /// Messages may have been missed (e.g. after a broker outage): tell every window.
    Resync,
}

/// Where a broker may apply this node's events directly, on the thread of whoever caused them
/// (the topic registry's state, behind its own lock): a trigger from a handler to its own
/// window then never leaves the handler's thread.
///
/// Events are applied in the order they are queued, each once. A broker queues an event
/// under whatever lock orders it (the history's, for offsets), then flushes without it.
pub trait EventSink: Send + Sync + 'static {
    /// Queues one event. Never waits on anything but a short lock.
    fn queue(&self, event: BrokerEvent);

    /// Applies the queued events now, on this thread, unless another thread is applying
    /// events at this moment: that thread then applies these too before it stops. Waits
    /// only when very many events are queued already (back-pressure). Must not be called
    /// with a lock the sink's members take, and the sink never calls back into the broker.
    fn flush(&self);
}

/// A broker operation that could not be carried out.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BrokerError {
    /// The broker's backing service cannot be reached right now.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// This node is shutting down and no longer accepts work.
    #[error("broker stopped")]
    Stopped,
}

/// A publication that did not reach every node.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    /// This node's windows received it, but the other nodes were not reached (and, with
    /// history, it was kept in no history): the broker's backing service is unreachable.
    #[error("{0}; only this node's windows received the trigger")]
    LocalOnly(BrokerError),
    /// Nobody received it.
    #[error(transparent)]
    Broker(BrokerError),
}

/// A window registration the broker did not store.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegisterWindowError {
    /// `max` live registrations are stored already and the key is a new one (replacing or
    /// renewing a stored key is always allowed).
    #[error("too many registered windows (max_windows = {max})")]
    TooManyWindows {
        /// The limit (`max_windows`).
        max: usize,
    },
    /// The broker could not be asked.
    #[error(transparent)]
    Broker(BrokerError),
}

/// Carries triggers between nodes and stores window registrations.
///
/// Every method that may touch the network is async and fallible. `subscribe` and
/// `unsubscribe` are not: they record this node's interest and the broker applies them in
/// order, in the background, so the registry never waits on the network.
#[async_trait]
pub trait Broker: Send + Sync + 'static {
    /// A short name for logs and metrics (`memory`, `redis`).
    fn kind(&self) -> &'static str;

    /// Takes the stream of events for this node. The first call gets it; later calls get
    /// `None`.
    fn take_events(&self) -> Option<mpsc::Receiver<BrokerEvent>>;

    /// Asks the broker to hand this node's events to `sink` directly, in order, from the
    /// thread that causes them ([`EventSink::queue`], then [`EventSink::flush`]), instead of
    /// sending them on the stream of [`Broker::take_events`]. Returns whether it will: a broker whose events come from
    /// elsewhere (another node, a network reader) keeps its stream and answers `false`.
    /// The broker holds `sink` weakly: once it is gone, publishing fails with
    /// [`BrokerError::Stopped`].
    fn attach(&self, sink: Weak<dyn EventSink>) -> bool {
        let _ = sink;
        false
    }

    /// Hands a trigger to every node with members in its topics (this one included), after
    /// giving it an offset and appending it to each topic's history when history is on.
    async fn publish(&self, publication: Publication) -> Result<(), PublishError>;

    /// Where the history stands now (`None` when the broker keeps none): a new connection in
    /// `topics` receives live everything above it (the broker makes sure it listens to them
    /// before answering).
    async fn position(&self, topics: &[String]) -> Result<Option<Position>, BrokerError>;

    /// What `topics` received after `since`: all of it, in offset order and once each, or
    /// nothing (PROTOCOL.md §5.6).
    async fn recover(&self, topics: &[String], since: &Position) -> Result<Recovery, BrokerError>;

    /// A topic's history after `since` (the newest `limit` entries without one); `None`
    /// when the broker keeps no history.
    async fn history(
        &self,
        topic: &str,
        since: Option<u64>,
        limit: usize,
    ) -> Result<Option<TopicHistory>, BrokerError>;

    /// This node now has a member in `topic`: start receiving its publications.
    fn subscribe(&self, topic: &str);

    /// This node no longer has members in `topic`.
    fn unsubscribe(&self, topic: &str);

    /// Stores (or replaces) a window registration for `ttl`, unless the key is new and the
    /// broker holds its maximum of live registrations already.
    async fn register_window(
        &self,
        key: &WindowKey,
        record: WindowRecord,
        ttl: Duration,
    ) -> Result<(), RegisterWindowError>;

    /// The registration of `key`, if it exists and has not expired.
    async fn window(&self, key: &WindowKey) -> Result<Option<WindowRecord>, BrokerError>;

    /// Adds then removes application topics of a window and tells every node at once, unless
    /// the window would end up in more than `max_topics` application topics (then nothing
    /// changes).
    async fn change_topics(
        &self,
        key: &WindowKey,
        add: &[String],
        remove: &[String],
        max_topics: usize,
    ) -> Result<TopicChange, BrokerError>;

    /// Renews a live registration for its own time-to-live (connections call this on connect
    /// and periodically). Returns whether it was still alive.
    async fn touch_window(&self, key: &WindowKey) -> Result<bool, BrokerError>;

    /// Forgets a window and closes its connections on every node. Returns whether it existed.
    async fn delete_window(&self, key: &WindowKey) -> Result<bool, BrokerError>;

    /// How many live (unexpired) registrations the broker holds: this node's with the
    /// in-memory broker, every node's with a shared one (for the `windows_registered` gauge).
    async fn window_count(&self) -> Result<u64, BrokerError>;

    /// Whether the broker is believed reachable, from what it last saw (no I/O): `false`
    /// while an outage of its backing service is known, so callers with a local fallback
    /// need not wait for a timeout.
    fn reachable(&self) -> bool {
        true
    }

    /// Whether the broker can serve requests now (for `/readyz`).
    async fn ready(&self) -> Result<(), BrokerError>;
}
