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
//! publishing node, which delivered to its own windows already.
//!
//! # Delivery and outages
//!
//! Redis pub/sub is at-most-once: a node that is not subscribed when a message is published
//! never sees it. A trigger is delivered to this node's windows first, without Redis, so local
//! delivery goes on while Redis is down. When the connection comes back, the node subscribes
//! again and sends `df.resync` to every window, so pages can refetch what they missed.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytestring::ByteString;
use parking_lot::Mutex;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{ProtocolVersion, PushInfo, PushKind, RedisFuture, Value};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;

use super::{Broker, BrokerError, BrokerEvent, Publication, TopicChange, WindowRecord};
use crate::identity::{WindowInfo, WindowKey};
use crate::metrics::Metrics;

/// Longest a Redis operation may take before the caller gets `Unavailable` (503).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);

/// How often the connection is checked; a check that fails marks the broker down.
const HEALTH_INTERVAL: Duration = Duration::from_millis(500);

/// Signal ids remembered to drop the copies of a trigger sent to several topics.
const RECENT_SIGNALS: usize = 16_384;

/// Longest wait between two attempts to apply subscriptions while Redis is down.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

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
}

/// One connection to standalone Redis or to a cluster, both multiplexed, reconnecting and
/// resubscribing by themselves.
#[derive(Clone)]
enum Connection {
    /// A single Redis: classic pub/sub.
    Standalone(ConnectionManager),
    /// A Redis Cluster: sharded pub/sub, each channel on the node owning its slot.
    Cluster(ClusterConnection),
}

impl Connection {
    /// The publish command of this mode.
    fn publish_command(&self) -> &'static str {
        match self {
            Connection::Standalone(_) => "PUBLISH",
            Connection::Cluster(_) => "SPUBLISH",
        }
    }

    /// Subscribes to channels: in one command on a single Redis; one command per channel on
    /// a cluster, where each channel's slot decides the node (a multi-channel `SSUBSCRIBE`
    /// must stay within one slot).
    async fn subscribe(&mut self, channels: &[String]) -> redis::RedisResult<()> {
        match self {
            Connection::Standalone(conn) => conn.subscribe(channels).await,
            Connection::Cluster(conn) => {
                for channel in channels {
                    conn.ssubscribe(channel).await?;
                }
                Ok(())
            }
        }
    }

    /// Unsubscribes from channels, like [`Connection::subscribe`].
    async fn unsubscribe(&mut self, channels: &[String]) -> redis::RedisResult<()> {
        match self {
            Connection::Standalone(conn) => conn.unsubscribe(channels).await,
            Connection::Cluster(conn) => {
                for channel in channels {
                    conn.sunsubscribe(channel).await?;
                }
                Ok(())
            }
        }
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Standalone(conn) => conn.req_packed_command(cmd),
            Connection::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Standalone(conn) => conn.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Standalone(conn) => conn.get_db(),
            Connection::Cluster(conn) => conn.get_db(),
        }
    }
}

/// The header line of a message on a topic channel.
#[derive(Serialize, Deserialize)]
struct Header {
    /// The trigger's id, to deliver it once per node.
    signal_id: Uuid,
    /// Every topic of the trigger.
    topics: Vec<String>,
    /// The node that published it (it delivered locally already).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    node: Option<Uuid>,
}

/// A message on the control channel.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Control {
    /// A window's topics changed: every node moves its connections.
    Topics {
        key: WindowKey,
        topics: Vec<String>,
        version: u64,
        #[serde(default)]
        node: Option<Uuid>,
    },
    /// A window was deleted: every node closes its connections.
    Deleted {
        key: WindowKey,
        #[serde(default)]
        node: Option<Uuid>,
    },
}

/// Recently delivered signal ids, bounded.
#[derive(Default)]
struct RecentSignals {
    /// Oldest first, to forget in order.
    order: VecDeque<Uuid>,
    /// For lookups.
    seen: HashSet<Uuid>,
}

impl RecentSignals {
    /// Records `id`; returns whether it is new.
    fn insert(&mut self, id: Uuid) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > RECENT_SIGNALS {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }
}

/// Channels this node wants, and the ones not applied to Redis yet. State, not a queue: its
/// size is bounded by the number of topics, however fast they change.
#[derive(Default)]
struct Subscriptions {
    /// Channels wanted now.
    wanted: Mutex<HashSet<String>>,
    /// Channels whose subscription must be (re)applied.
    dirty: Mutex<HashSet<String>>,
    /// Wakes the task that applies them.
    wake: Notify,
}

impl Subscriptions {
    fn set(&self, channel: String, wanted: bool) {
        {
            let mut all = self.wanted.lock();
            if wanted {
                all.insert(channel.clone());
            } else {
                all.remove(&channel);
            }
        }
        self.dirty.lock().insert(channel);
        self.wake.notify_one();
    }

    /// Marks every wanted channel to be subscribed again (after a reconnection).
    fn reapply(&self) {
        let all = self.wanted.lock().clone();
        self.dirty.lock().extend(all);
        self.wake.notify_one();
    }
}

/// What the push handler (called by the Redis connection) needs.
struct Inbox {
    /// This node, to skip its own messages.
    node: Uuid,
    /// Prefix of topic channels (`P topic:`).
    topic_prefix: String,
    /// The control channel.
    control: String,
    /// Where events go.
    events: mpsc::Sender<BrokerEvent>,
    /// Signal ids already delivered.
    recent: Mutex<RecentSignals>,
    /// Set when the connection drops; cleared by the health task.
    down: AtomicBool,
    /// Counters.
    metrics: Arc<Metrics>,
}

impl Inbox {
    fn emit(&self, event: BrokerEvent) {
        if self.events.try_send(event).is_err() {
            self.metrics.broker_dropped.inc();
            tracing::warn!("registry behind the broker: an event was dropped");
        }
    }

    /// Handles one push from Redis. Runs on the connection's task: never blocks.
    fn push(&self, push: PushInfo) {
        match push.kind {
            PushKind::Message | PushKind::SMessage => {
                let mut data = push.data.into_iter();
                let (Some(Value::BulkString(channel)), Some(Value::BulkString(payload))) =
                    (data.next(), data.next())
                else {
                    return;
                };
                self.metrics.broker_received.inc();
                if channel == self.control.as_bytes() {
                    self.control(&payload);
                } else if channel.starts_with(self.topic_prefix.as_bytes()) {
                    self.publication(payload);
                }
            }
            PushKind::Disconnection => {
                self.down.store(true, Ordering::Release);
                tracing::warn!("lost the connection to Redis");
            }
            _ => {}
        }
    }

    fn control(&self, payload: &[u8]) {
        match serde_json::from_slice::<Control>(payload) {
            Ok(Control::Topics { node, .. } | Control::Deleted { node, .. })
                if node == Some(self.node) => {}
            Ok(Control::Topics {
                key,
                topics,
                version,
                ..
            }) => self.emit(BrokerEvent::TopicsChanged {
                key,
                topics,
                version,
            }),
            Ok(Control::Deleted { key, .. }) => self.emit(BrokerEvent::WindowDeleted { key }),
            Err(e) => tracing::warn!(error = %e, "malformed control message"),
        }
    }

    fn publication(&self, payload: Vec<u8>) {
        let Some(newline) = payload.iter().position(|b| *b == b'\n') else {
            tracing::warn!("malformed publication: no header line");
            return;
        };
        let header: Header = match serde_json::from_slice(&payload[..newline]) {
            Ok(header) => header,
            Err(e) => {
                tracing::warn!(error = %e, "malformed publication header");
                return;
            }
        };
        if header.node == Some(self.node) || !self.recent.lock().insert(header.signal_id) {
            return;
        }
        let mut frame = payload;
        frame.drain(..=newline);
        let Ok(frame) = String::from_utf8(frame) else {
            tracing::warn!("malformed publication: the frame is not UTF-8");
            return;
        };
        self.emit(BrokerEvent::Deliver(Arc::new(Publication {
            signal_id: header.signal_id,
            topics: header.topics,
            payload: ByteString::from(frame),
        })));
    }
}

/// A broker for many nodes sharing one Redis.
pub struct RedisBroker {
    /// Commands and subscriptions share one multiplexed RESP3 connection (per cluster node)
    /// that reconnects and resubscribes by itself.
    conn: Connection,
    /// Key and channel prefix.
    prefix: String,
    /// Incoming messages, this node's id and the event queue.
    inbox: Arc<Inbox>,
    /// The receiving end of the event queue, until the registry takes it.
    receiver: Mutex<Option<mpsc::Receiver<BrokerEvent>>>,
    /// Topic channels wanted by this node.
    subscriptions: Arc<Subscriptions>,
}

/// Atomically adds then removes topics of a live window and bumps its version, unless it
/// would end up in more than the maximum of topics (then it undoes the change).
/// KEYS: hash, topic set. ARGV: maximum, number of added topics, added..., removed...
/// Returns nil for an unknown window, -1 for too many topics, else {version, info, topics...}.
const CHANGE_TOPICS: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local max = tonumber(ARGV[1])
local added = tonumber(ARGV[2])
local new, gone = {}, {}
for i = 3, added + 2 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then table.insert(new, ARGV[i]) end
end
for i = added + 3, #ARGV do
  if redis.call('SREM', KEYS[2], ARGV[i]) == 1 then table.insert(gone, ARGV[i]) end
end
if redis.call('SCARD', KEYS[2]) > max then
  for _, topic in ipairs(new) do redis.call('SREM', KEYS[2], topic) end
  for _, topic in ipairs(gone) do redis.call('SADD', KEYS[2], topic) end
  return -1
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
local result = {version, redis.call('HGET', KEYS[1], 'info')}
for _, topic in ipairs(redis.call('SMEMBERS', KEYS[2])) do table.insert(result, topic) end
return result
";

/// Renews a live window for its own TTL. KEYS: hash, topic set. Returns 1 if it was alive.
const TOUCH: &str = r"
local ttl = tonumber(redis.call('HGET', KEYS[1], 'ttl'))
if not ttl then return 0 end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
return 1
";

fn unavailable(error: impl std::fmt::Display) -> BrokerError {
    BrokerError::Unavailable(format!("redis: {error}"))
}

/// Runs a Redis operation within [`OPERATION_TIMEOUT`].
async fn bounded<T>(
    operation: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, BrokerError> {
    match tokio::time::timeout(OPERATION_TIMEOUT, operation).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(unavailable(e)),
        Err(_) => Err(unavailable("no answer in time")),
    }
}

/// Asks for RESP3 (needed for pub/sub on a multiplexed connection) unless the URL chose.
fn resp3_url(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
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
        let inbox = Arc::new(Inbox {
            node: Uuid::new_v4(),
            topic_prefix: format!("{}topic:", config.prefix),
            control: format!("{}control", config.prefix),
            events,
            recent: Mutex::new(RecentSignals::default()),
            down: AtomicBool::new(false),
            metrics,
        });
        let pushes = inbox.clone();
        let on_push = move |push: PushInfo| {
            pushes.push(push);
            Ok::<(), std::convert::Infallible>(())
        };
        let conn = if config.cluster {
            let seeds: Vec<String> = config.url.split(',').map(|s| s.trim().to_owned()).collect();
            let client = ClusterClientBuilder::new(seeds)
                .use_protocol(ProtocolVersion::RESP3)
                .push_sender(on_push)
                .connection_timeout(Duration::from_secs(1))
                .response_timeout(OPERATION_TIMEOUT)
                .build()
                .map_err(unavailable)?;
            Connection::Cluster(bounded(client.get_async_connection()).await?)
        } else {
            let client = redis::Client::open(resp3_url(&config.url)).map_err(unavailable)?;
            let manager_config = ConnectionManagerConfig::new()
                .set_push_sender(on_push)
                .set_automatic_resubscription()
                .set_connection_timeout(Some(Duration::from_secs(1)))
                .set_response_timeout(Some(OPERATION_TIMEOUT))
                .set_max_delay(Duration::from_secs(2));
            Connection::Standalone(
                ConnectionManager::new_lazy_with_config(client, manager_config)
                    .map_err(unavailable)?,
            )
        };
        let subscriptions = Arc::new(Subscriptions::default());
        subscriptions.set(inbox.control.clone(), true);
        let broker = Arc::new(RedisBroker {
            conn,
            prefix: config.prefix,
            inbox,
            receiver: Mutex::new(Some(receiver)),
            subscriptions,
        });
        tokio::spawn(apply_subscriptions(
            broker.conn.clone(),
            broker.subscriptions.clone(),
            broker.inbox.metrics.clone(),
        ));
        tokio::spawn(watch_health(
            broker.conn.clone(),
            broker.inbox.clone(),
            broker.subscriptions.clone(),
        ));
        Ok(broker)
    }

    fn window_keys(&self, key: &WindowKey) -> (String, String) {
        let hash = format!("{}window:{{{}}}", self.prefix, key.as_str());
        let topics = format!("{hash}:topics");
        (hash, topics)
    }

    fn topic_channel(&self, topic: &str) -> String {
        format!("{}topic:{topic}", self.prefix)
    }

    async fn publish_control(&self, control: &Control) -> Result<(), BrokerError> {
        let message = serde_json::to_vec(control).expect("control messages serialise");
        let mut conn = self.conn.clone();
        bounded(
            redis::cmd(self.conn.publish_command())
                .arg(&self.inbox.control)
                .arg(message)
                .query_async::<i64>(&mut conn),
        )
        .await?;
        self.inbox.metrics.broker_publishes.inc();
        Ok(())
    }

    /// Delivers an event to this node's registry (waiting if it is behind).
    async fn emit_local(&self, event: BrokerEvent) -> Result<(), BrokerError> {
        self.inbox
            .events
            .send(event)
            .await
            .map_err(|_| BrokerError::Stopped)
    }
}

/// Applies wanted subscriptions to Redis, in order, retrying while it is down.
async fn apply_subscriptions(
    mut conn: Connection,
    subscriptions: Arc<Subscriptions>,
    metrics: Arc<Metrics>,
) {
    let mut delay = Duration::from_millis(100);
    loop {
        let batch: Vec<String> = subscriptions.dirty.lock().drain().collect();
        if batch.is_empty() {
            subscriptions.wake.notified().await;
            continue;
        }
        let wanted = subscriptions.wanted.lock().clone();
        let (add, remove): (Vec<String>, Vec<String>) =
            batch.into_iter().partition(|c| wanted.contains(c));
        let mut failed = Vec::new();
        if !add.is_empty() {
            if let Err(e) = bounded(conn.subscribe(&add)).await {
                tracing::debug!(error = %e, "subscribing failed; will retry");
                failed.extend(add);
            }
        }
        if !remove.is_empty() {
            if let Err(e) = bounded(conn.unsubscribe(&remove)).await {
                tracing::debug!(error = %e, "unsubscribing failed; will retry");
                failed.extend(remove);
            }
        }
        metrics.broker_subscriptions.set(wanted.len() as i64);
        if failed.is_empty() {
            delay = Duration::from_millis(100);
        } else {
            subscriptions.dirty.lock().extend(failed);
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_RETRY_DELAY);
        }
    }
}

/// Pings Redis; when it answers again after an outage, subscribes again and tells every window
/// to resynchronise (`df.resync`), since messages were missed meanwhile.
async fn watch_health(mut conn: Connection, inbox: Arc<Inbox>, subscriptions: Arc<Subscriptions>) {
    let mut was_up = false;
    let mut ever_up = false;
    loop {
        let up = bounded(redis::cmd("PING").query_async::<String>(&mut conn))
            .await
            .is_ok();
        // The connection may drop and come back between two checks: the push handler saw it.
        let dropped = inbox.down.swap(false, Ordering::AcqRel);
        if up && ever_up && (!was_up || dropped) {
            inbox.metrics.broker_reconnects.inc();
            tracing::info!("connected to Redis again: resubscribing and resyncing windows");
            subscriptions.reapply();
            inbox.emit(BrokerEvent::Resync);
        } else if up && !ever_up {
            tracing::info!("connected to Redis");
        } else if was_up && !up {
            tracing::warn!("Redis is unreachable");
        }
        ever_up |= up;
        was_up = up;
        tokio::time::sleep(HEALTH_INTERVAL).await;
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

    async fn publish(&self, publication: Arc<Publication>) -> Result<(), BrokerError> {
        // This node's windows first: local delivery never waits on Redis.
        self.emit_local(BrokerEvent::Deliver(publication.clone()))
            .await?;
        let header = Header {
            signal_id: publication.signal_id,
            topics: publication.topics.clone(),
            node: Some(self.inbox.node),
        };
        let mut message = serde_json::to_vec(&header).expect("headers serialise");
        message.push(b'\n');
        message.extend_from_slice(publication.payload.as_bytes());
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
                bounded(pipe.query_async::<()>(&mut conn)).await?;
            }
            // Each channel lives on the node owning its slot.
            Connection::Cluster(_) => {
                let sends = publication.topics.iter().map(|topic| {
                    let mut conn = self.conn.clone();
                    let mut cmd = redis::cmd(command);
                    cmd.arg(self.topic_channel(topic)).arg(&message);
                    async move { cmd.query_async::<i64>(&mut conn).await }
                });
                bounded(futures_util::future::try_join_all(sends)).await?;
            }
        }
        self.inbox
            .metrics
            .broker_publishes
            .inc_by(publication.topics.len() as u64);
        Ok(())
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
    ) -> Result<(), BrokerError> {
        let (hash, set) = self.window_keys(key);
        let info = serde_json::to_string(&record.info).expect("window info serialises");
        let seconds = ttl.as_secs().max(1);
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
        let mut conn = self.conn.clone();
        bounded(pipe.query_async::<()>(&mut conn)).await
    }

    async fn window(&self, key: &WindowKey) -> Result<Option<WindowRecord>, BrokerError> {
        let (hash, set) = self.window_keys(key);
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
        let (hash, set) = self.window_keys(key);
        let script = redis::Script::new(CHANGE_TOPICS);
        let mut invocation = script.key(&hash);
        invocation
            .key(&set)
            .arg(max_topics)
            .arg(add.len())
            .arg(add)
            .arg(remove);
        let mut conn = self.conn.clone();
        let reply: Value = bounded(invocation.invoke_async(&mut conn)).await?;
        let reply = match reply {
            Value::Nil => return Ok(TopicChange::Unknown),
            Value::Int(-1) => return Ok(TopicChange::TooMany),
            Value::Array(items) => items,
            _ => return Err(unavailable("unexpected reply to a topic change")),
        };
        let mut items = reply.into_iter();
        let version = match items.next() {
            Some(Value::Int(v)) => v as u64,
            _ => return Err(unavailable("unexpected reply to a topic change")),
        };
        let info: WindowInfo = match items.next() {
            Some(Value::BulkString(info)) => serde_json::from_slice(&info)
                .map_err(|e| unavailable(format!("malformed window record: {e}")))?,
            _ => return Err(unavailable("unexpected reply to a topic change")),
        };
        let topics = items
            .filter_map(|v| match v {
                Value::BulkString(t) => String::from_utf8(t).ok(),
                _ => None,
            })
            .collect();
        let record = WindowRecord {
            info,
            topics,
            version,
            ttl_secs: 0,
        };
        let all = record.all_topics();
        self.emit_local(BrokerEvent::TopicsChanged {
            key: key.clone(),
            topics: all.clone(),
            version,
        })
        .await?;
        self.publish_control(&Control::Topics {
            key: key.clone(),
            topics: all,
            version,
            node: Some(self.inbox.node),
        })
        .await?;
        Ok(TopicChange::Changed(record))
    }

    async fn touch_window(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        let (hash, set) = self.window_keys(key);
        let mut conn = self.conn.clone();
        let alive: i64 = bounded(
            redis::Script::new(TOUCH)
                .key(&hash)
                .key(&set)
                .invoke_async(&mut conn),
        )
        .await?;
        Ok(alive == 1)
    }

    async fn delete_window(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        let (hash, set) = self.window_keys(key);
        let mut conn = self.conn.clone();
        let deleted: i64 = bounded(
            redis::cmd("DEL")
                .arg(&hash)
                .arg(&set)
                .query_async(&mut conn),
        )
        .await?;
        self.emit_local(BrokerEvent::WindowDeleted { key: key.clone() })
            .await?;
        self.publish_control(&Control::Deleted {
            key: key.clone(),
            node: Some(self.inbox.node),
        })
        .await?;
        Ok(deleted > 0)
    }

    async fn ready(&self) -> Result<(), BrokerError> {
        let mut conn = self.conn.clone();
        bounded(redis::cmd("PING").query_async::<String>(&mut conn))
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_signals_are_bounded_and_remembered() {
        let mut recent = RecentSignals::default();
        let first = Uuid::new_v4();
        assert!(recent.insert(first));
        assert!(!recent.insert(first));
        for _ in 0..RECENT_SIGNALS {
            recent.insert(Uuid::new_v4());
        }
        assert_eq!(recent.order.len(), RECENT_SIGNALS);
        assert!(recent.insert(first), "the oldest id was forgotten");
    }

    #[test]
    fn urls_ask_for_resp3() {
        assert_eq!(resp3_url("redis://h:1/"), "redis://h:1/?protocol=resp3");
        assert_eq!(
            resp3_url("redis://h/0?x=1"),
            "redis://h/0?x=1&protocol=resp3"
        );
        assert_eq!(
            resp3_url("redis://h/?protocol=resp3"),
            "redis://h/?protocol=resp3"
        );
    }

    #[test]
    fn control_messages_round_trip() {
        let key = WindowKey::generate();
        let text = serde_json::to_string(&Control::Deleted {
            key: key.clone(),
            node: None,
        })
        .unwrap();
        assert_eq!(
            text,
            format!(
                r#"{{"type":"deleted","key":"{}","node":null}}"#,
                key.as_str()
            )
        );
    }
}
