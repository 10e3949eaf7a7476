//! The Redis broker: many nodes act as one server, with Redis between them.
//!
//! # Key and channel layout
//!
//! With the prefix `P` (default `switchboard:`), a backend in any language can register
//! windows and publish with plain Redis commands:
//!
//! | key or channel | type | holds |
//! |---|---|---|
//! | `P window:{KEY}` | hash, with a TTL | `info` (WindowInfo as JSON), `version`, `ttl` (seconds) |
//! | `P window:{KEY}:topics` | set, same TTL | the window's application topics |
//! | `P topic:NAME` | pub/sub channel | triggers to topic NAME (implicit ones included) |
//! | `P control` | pub/sub channel | topic changes and deletions, for every node |
//! | `P windows` | sorted set | every registered window key, scored by its expiry (ms): bounds registrations to `max_windows` (`index.rs`) |
//!
//! The topic history's keys are listed in `history.rs`.
//!
//! The braces around the window key are a hash tag, so both keys of a window live in one
//! cluster slot. A message on a topic channel is a JSON header line, a newline, then the frame
//! exactly as windows receive it:
//!
//! ```text
//! {"signal_id":"<uuid>","topics":["room:lobby","-broadcast"],"node":"<uuid>"}
//! {"signal":"chat.message","opts":{...},"signal_id":"<uuid>"}
//! ```
//!
//! `topics` lists every topic of the trigger, so a node delivers once to the union of its
//! members and ignores the copies that arrive on the other channels; `node` (optional) names the
//! publishing node. A header with `"offset"` (appended by the history script) marks a trigger
//! kept in history: every node delivers it from Redis, its publisher too; without one the
//! publisher delivered to its own windows already.
//!
//! # Delivery and outages
//!
//! Redis pub/sub is at-most-once: a node that is not subscribed when a message is published
//! never sees it; the history (`history.rs`) is what lets a window recover. A recovering window
//! reads it only once this node listens to the window's topics. While Redis is down, a
//! trigger is delivered to this node's windows without Redis (and without an offset), so
//! local delivery goes on, and the publisher is told so (`PublishError::LocalOnly`). Once the
//! outage is known (the connection dropped, or a health check failed) such triggers are not
//! even tried on Redis until a check succeeds again, so they do not wait for a timeout. When the connection comes back, the node subscribes again and
//! sends `df.resync` to every window, so pages can refetch what they missed.
//!
//! # Files
//!
//! - `connection`: the standalone or cluster connection, and the timeout on every operation.
//! - `wire`: the messages on topic and control channels, byte for byte.
//! - `inbox`: pushes from Redis turned into events for this node's registry, once per trigger.
//! - `subscriptions`: the channels this node wants, applied in the background.
//! - `health`: the connection check that resubscribes and resyncs after an outage.
//! - `scripts`: the Lua scripts that change a window atomically.
//! - `index`: the index of live registrations that bounds them to `max_windows`.
//! - `history`: the topic history: keys, and the scripts that append, publish and read.

mod connection;
mod health;
mod history;
mod inbox;
mod index;
mod scripts;
mod subscriptions;
mod wire;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use self::connection::{bounded, unavailable, Connection};
use self::history::HistoryKeys;
use self::inbox::Inbox;
use self::subscriptions::Subscriptions;
use self::wire::Control;
use super::{
    Broker, BrokerError, BrokerEvent, HistorySettings, Position, Publication, PublishError,
    Recovery, RegisterWindowError, TopicChange, TopicHistory, WindowRecord,
};
use crate::identity::{WindowInfo, WindowKey};
use crate::metrics::Metrics;

/// Events waiting for this node's registry.
const EVENT_QUEUE: usize = 65_536;

/// Where the Redis broker connects and how it names things.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    /// `redis://host:port/db` (RESP3 is requested by the broker); with `cluster`, one or more
    /// seed nodes, comma-separated.
    pub url: String,
    /// Prefix of every key and channel.
    pub prefix: String,
    /// A Redis Cluster (7+): sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`) instead of `SUBSCRIBE`.
    pub cluster: bool,
    /// The topic history to keep in Redis (see `history.rs`).
    pub history: HistorySettings,
    /// Most live registrations, counted across every node sharing the Redis (`index.rs`).
    pub max_windows: usize,
}

/// A broker for many nodes sharing one Redis.
pub struct RedisBroker {
    /// Commands and subscriptions share one multiplexed RESP3 connection (per cluster node)
    /// that reconnects and resubscribes by itself.
    conn: Connection,
    /// Key and channel prefix.
    prefix: String,
    /// The index of live registrations, `P windows`.
    index: String,
    /// Most live registrations (new keys beyond are refused).
    max_windows: usize,
    /// Incoming messages, this node's id and the event queue.
    inbox: Arc<Inbox>,
    /// The receiving end of the event queue, until the registry takes it.
    receiver: Mutex<Option<mpsc::Receiver<BrokerEvent>>>,
    /// Topic channels wanted by this node.
    subscriptions: Arc<Subscriptions>,
    /// The history's keys and settings; `None` when no history is kept (turned off, or a
    /// Redis Cluster).
    history: Option<HistoryKeys>,
}

/// The Redis keys of one window (see the layout above).
struct WindowKeys {
    /// `P window:{KEY}`: `info`, `version` and `ttl`.
    hash: String,
    /// `P window:{KEY}:topics`: the application topics.
    topics: String,
}

impl RedisBroker {
    /// A broker for `config`. A standalone Redis is connected lazily and retried for ever, so
    /// a node starts (and serves its local windows) even while Redis is down; `/readyz` tells.
    /// A cluster must answer at start, to learn its slots.
    ///
    /// Must be called inside a Tokio runtime: it starts the tasks that apply subscriptions
    /// and watch the connection.
    pub async fn connect(
        config: RedisConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<RedisBroker>, BrokerError> {
        let (events, receiver) = mpsc::channel(EVENT_QUEUE);
        let inbox = Arc::new(Inbox::new(&config.prefix, events, metrics));
        let conn = Connection::open(&config, inbox.push_sender()).await?;
        let subscriptions = Arc::new(Subscriptions::default());
        subscriptions.set(inbox.control.clone(), true);
        let history = match (config.history.enabled(), config.cluster) {
            (true, false) => Some(HistoryKeys::standalone(&config.prefix, config.history)),
            (true, true) => Some(HistoryKeys::cluster(&config.prefix, config.history)),
            (false, _) => None,
        };
        if let Some(funnel) = history.as_ref().and_then(|h| h.funnel.clone()) {
            inbox.set_funnel(funnel.clone());
            subscriptions.set(funnel, true);
        }
        let broker = Arc::new(RedisBroker {
            conn,
            index: index::index_key(&config.prefix),
            max_windows: config.max_windows.max(1),
            prefix: config.prefix,
            inbox,
            receiver: Mutex::new(Some(receiver)),
            subscriptions,
            history,
        });
        broker.spawn_tasks();
        Ok(broker)
    }

    /// Starts the background tasks: applying subscriptions and watching the connection.
    fn spawn_tasks(&self) {
        tokio::spawn(subscriptions::apply_subscriptions(
            self.conn.clone(),
            self.subscriptions.clone(),
            self.inbox.metrics.clone(),
        ));
        tokio::spawn(health::watch_health(
            self.conn.clone(),
            self.inbox.clone(),
            self.subscriptions.clone(),
        ));
    }

    fn window_keys(&self, key: &WindowKey) -> WindowKeys {
        let hash = format!("{}window:{{{}}}", self.prefix, key.as_str());
        let topics = format!("{hash}:topics");
        WindowKeys { hash, topics }
    }

    fn topic_channel(&self, topic: &str) -> String {
        format!("{}topic:{topic}", self.prefix)
    }

    async fn publish_control(&self, control: &Control) -> Result<(), BrokerError> {
        let mut conn = self.conn.clone();
        bounded(
            redis::cmd(self.conn.publish_command())
                .arg(&self.inbox.control)
                .arg(control.encode())
                .query_async::<i64>(&mut conn),
        )
        .await?;
        self.inbox.metrics.broker_publishes.inc();
        Ok(())
    }

    /// Publishes through the history script: the trigger gets its offset and reaches every
    /// node, this one too, from Redis, in offset order. When Redis cannot be reached it is
    /// delivered to this node's windows without an offset (live only) and the error returned.
    async fn publish_with_history(
        &self,
        keys: &HistoryKeys,
        publication: Publication,
    ) -> Result<(), PublishError> {
        let channels: Vec<String> = publication
            .topics
            .iter()
            .map(|t| self.topic_channel(t))
            .collect();
        let header = wire::encode_header(&publication, self.inbox.node);
        let mut conn = self.conn.clone();
        match history::publish(&mut conn, keys, &channels, &header, &publication.payload).await {
            Ok(_offset) => {
                self.inbox
                    .metrics
                    .broker_publishes
                    .inc_by(channels.len() as u64);
                Ok(())
            }
            Err(error) => {
                // The script may still have run: a copy arriving later is dropped.
                self.inbox.delivered(publication.signal_id);
                self.emit_local(BrokerEvent::Deliver(Arc::new(publication)))
                    .await
                    .map_err(PublishError::Broker)?;
                Err(PublishError::LocalOnly(error))
            }
        }
    }

    /// Waits until this node listens to the channels triggers to `topics` arrive on (see
    /// [`history::SUBSCRIBED_WITHIN`]): their own, or the cluster's one history channel.
    async fn wait_subscribed(&self, topics: &[String]) -> Result<(), BrokerError> {
        let channels: Vec<String> = match self.history.as_ref().and_then(|h| h.funnel.as_ref()) {
            Some(funnel) => vec![funnel.clone()],
            None => topics.iter().map(|t| self.topic_channel(t)).collect(),
        };
        if self
            .subscriptions
            .wait_applied(&channels, history::SUBSCRIBED_WITHIN)
            .await
        {
            Ok(())
        } else {
            Err(BrokerError::Unavailable(
                "redis: the subscriptions of a recovering window were not confirmed in time".into(),
            ))
        }
    }

    /// Delivers an event to this node's registry (waiting if it is behind).
    async fn emit_local(&self, event: BrokerEvent) -> Result<(), BrokerError> {
        self.inbox
            .events
            .send(event)
            .await
            .map_err(|_| BrokerError::Stopped)
    }

    /// Tells this node's registry, then every other node, that a window's topics changed.
    async fn announce_topics(
        &self,
        key: &WindowKey,
        record: &WindowRecord,
    ) -> Result<(), BrokerError> {
        let all = record.all_topics();
        self.emit_local(BrokerEvent::TopicsChanged {
            key: key.clone(),
            topics: all.clone(),
            version: record.version,
        })
        .await?;
        self.publish_control(&Control::Topics {
            key: key.clone(),
            topics: all,
            version: record.version,
            node: Some(self.inbox.node),
        })
        .await
    }
}

#[async_trait]
impl Broker for RedisBroker {
    fn kind(&self) -> &'static str {
        "redis"
    }

    fn take_events(&self) -> Option<mpsc::Receiver<BrokerEvent>> {
        self.receiver.lock().take()
    }

    async fn publish(&self, publication: Publication) -> Result<(), PublishError> {
        if !self.reachable() {
            // A known outage: this node's windows get it now, without waiting for a timeout.
            self.emit_local(BrokerEvent::Deliver(Arc::new(publication)))
                .await
                .map_err(PublishError::Broker)?;
            return Err(PublishError::LocalOnly(unavailable(
                "unreachable (the trigger was not sent to Redis)",
            )));
        }
        if let Some(keys) = &self.history {
            return self.publish_with_history(keys, publication).await;
        }
        let publication = Arc::new(publication);
        // This node's windows first: local delivery never waits on Redis.
        self.emit_local(BrokerEvent::Deliver(publication.clone()))
            .await
            .map_err(PublishError::Broker)?;
        let message = wire::encode_publication(&publication, self.inbox.node);
        let command = self.conn.publish_command();
        match &self.conn {
            // One round trip for every topic.
            Connection::Standalone(_) => {
                let mut pipe = redis::pipe();
                for topic in &publication.topics {
                    pipe.cmd(command)
                        .arg(self.topic_channel(topic))
                        .arg(&message)
                        .ignore();
                }
                let mut conn = self.conn.clone();
                bounded(pipe.query_async::<()>(&mut conn))
                    .await
                    .map_err(PublishError::LocalOnly)?;
            }
            // Each channel lives on the node owning its slot.
            Connection::Cluster(_) => {
                let sends = publication.topics.iter().map(|topic| {
                    let mut conn = self.conn.clone();
                    let mut cmd = redis::cmd(command);
                    cmd.arg(self.topic_channel(topic)).arg(&message);
                    async move { cmd.query_async::<i64>(&mut conn).await }
                });
                bounded(futures_util::future::try_join_all(sends))
                    .await
                    .map_err(PublishError::LocalOnly)?;
            }
        }
        self.inbox
            .metrics
            .broker_publishes
            .inc_by(publication.topics.len() as u64);
        Ok(())
    }

    async fn position(&self, topics: &[String]) -> Result<Option<Position>, BrokerError> {
        let Some(keys) = &self.history else {
            return Ok(None);
        };
        self.wait_subscribed(topics).await?;
        let mut conn = self.conn.clone();
        history::position(&mut conn, keys).await.map(Some)
    }

    async fn recover(&self, topics: &[String], since: &Position) -> Result<Recovery, BrokerError> {
        let Some(keys) = &self.history else {
            return Ok(Recovery::off());
        };
        self.wait_subscribed(topics).await?;
        let channels: Vec<String> = topics.iter().map(|t| self.topic_channel(t)).collect();
        let mut conn = self.conn.clone();
        history::recover(&mut conn, keys, &channels, since).await
    }

    async fn history(
        &self,
        topic: &str,
        since: Option<u64>,
        limit: usize,
    ) -> Result<Option<TopicHistory>, BrokerError> {
        let Some(keys) = &self.history else {
            return Ok(None);
        };
        let mut conn = self.conn.clone();
        let channel = self.topic_channel(topic);
        history::read(&mut conn, keys, &channel, since, limit)
            .await
            .map(Some)
    }

    fn subscribe(&self, topic: &str) {
        self.subscriptions.set(self.topic_channel(topic), true);
    }

    fn unsubscribe(&self, topic: &str) {
        self.subscriptions.set(self.topic_channel(topic), false);
    }

    async fn register_window(
        &self,
        key: &WindowKey,
        record: WindowRecord,
        ttl: Duration,
    ) -> Result<(), RegisterWindowError> {
        let WindowKeys { hash, topics: set } = self.window_keys(key);
        let info = serde_json::to_string(&record.info).expect("window info serialises");
        let seconds = ttl.as_secs().max(1);
        let mut conn = self.conn.clone();
        let max = self.max_windows;
        let reserved = index::reserve(&mut conn, &self.index, key.as_str(), seconds * 1000, max)
            .await
            .map_err(RegisterWindowError::Broker)?;
        if !reserved {
            return Err(RegisterWindowError::TooManyWindows { max });
        }
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(&[&hash, &set])
            .ignore()
            .hset_multiple(
                &hash,
                &[
                    ("info", info),
                    ("version", record.version.max(1).to_string()),
                    ("ttl", seconds.to_string()),
                ],
            )
            .ignore();
        if !record.topics.is_empty() {
            pipe.sadd(&set, record.topics.iter().collect::<Vec<_>>())
                .ignore()
                .expire(&set, seconds as i64)
                .ignore();
        }
        pipe.expire(&hash, seconds as i64).ignore();
        bounded(pipe.query_async::<()>(&mut conn))
            .await
            .map_err(RegisterWindowError::Broker)
    }

    async fn window(&self, key: &WindowKey) -> Result<Option<WindowRecord>, BrokerError> {
        let WindowKeys { hash, topics: set } = self.window_keys(key);
        let mut conn = self.conn.clone();
        let (fields, topics): (HashMap<String, String>, Vec<String>) = bounded(
            redis::pipe()
                .hgetall(&hash)
                .smembers(&set)
                .query_async(&mut conn),
        )
        .await?;
        let Some(info) = fields.get("info") else {
            return Ok(None);
        };
        let info: WindowInfo = serde_json::from_str(info).map_err(|e| {
            BrokerError::Unavailable(format!("redis: malformed window record: {e}"))
        })?;
        let number = |field: &str| fields.get(field).and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(Some(WindowRecord {
            info,
            topics: topics.into_iter().collect(),
            version: number("version"),
            ttl_secs: number("ttl"),
        }))
    }

    async fn change_topics(
        &self,
        key: &WindowKey,
        add: &[String],
        remove: &[String],
        max_topics: usize,
    ) -> Result<TopicChange, BrokerError> {
        let keys = self.window_keys(key);
        let mut conn = self.conn.clone();
        let change = scripts::change_topics(&mut conn, &keys, add, remove, max_topics).await?;
        if let TopicChange::Changed(record) = &change {
            self.announce_topics(key, record).await?;
        }
        Ok(change)
    }

    async fn touch_window(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        let mut conn = self.conn.clone();
        let Some(ttl) = scripts::touch(&mut conn, &self.window_keys(key)).await? else {
            return Ok(false);
        };
        index::renew(&mut conn, &self.index, key.as_str(), ttl * 1000).await?;
        Ok(true)
    }

    async fn delete_window(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        let WindowKeys { hash, topics: set } = self.window_keys(key);
        let mut conn = self.conn.clone();
        let deleted: i64 = bounded(
            redis::cmd("DEL")
                .arg(&hash)
                .arg(&set)
                .query_async(&mut conn),
        )
        .await?;
        index::remove(&mut conn, &self.index, key.as_str()).await?;
        self.emit_local(BrokerEvent::WindowDeleted { key: key.clone() })
            .await?;
        self.publish_control(&Control::Deleted {
            key: key.clone(),
            node: Some(self.inbox.node),
        })
        .await?;
        Ok(deleted > 0)
    }

    async fn window_count(&self) -> Result<u64, BrokerError> {
        let mut conn = self.conn.clone();
        index::count(&mut conn, &self.index).await
    }

    fn reachable(&self) -> bool {
        !self.inbox.unreachable.load(Ordering::Acquire)
    }

    async fn ready(&self) -> Result<(), BrokerError> {
        let mut conn = self.conn.clone();
        bounded(redis::cmd("PING").query_async::<String>(&mut conn))
            .await
            .map(drop)
    }
}
