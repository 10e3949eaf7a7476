//! The topic registry: who is in which topic on this node, and fan-out to them.
//!
//! Its state sits behind one lock, shared by the [`TopicRegistry`] actor (joins, leaves,
//! broker events arriving on a stream) and, for a broker that applies events on the thread
//! that causes them (the in-memory one, [`Broker::attach`]), by the publishers themselves: a
//! trigger is then fanned out on the publisher's thread, and a handler's trigger to its own
//! window is queued without crossing to another thread. A publisher that finds the lock
//! taken (another thread in the middle of a fan-out) leaves its event to the holder, which
//! applies it, in order, before letting go: no worker thread waits for another's fan-out.
//! The lock is never held across an await.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use actix::prelude::*;
use bytestring::ByteString;
use parking_lot::{Mutex, MutexGuard};
use tokio_stream::wrappers::ReceiverStream;

use super::local::ApplicationTopicsOf;
use super::{Eviction, Member};
use crate::broker::{Broker, BrokerEvent, EventSink, Publication};
use crate::identity::WindowKey;
use crate::metrics::Metrics;

/// The registry's hash maps, keyed by connection ids, topic names and window keys, hash
/// with foldhash, seeded at random per map (hashbrown's own default), not SipHash, which
/// took 8% of the server's instructions per connection (callgrind, churn: join, topics,
/// leave). Ids and window keys are the server's own, topics are named by server code, and
/// the seed is not known outside the process.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// See [`Map`].
type Set<T> = HashSet<T, foldhash::fast::RandomState>;

/// How many messages may wait in the registry's mailbox before senders using `send` wait.
const MAILBOX_CAPACITY: usize = 4096;

/// A connection as the registry holds it: a pointer to the connection's queue itself, shared
/// by every topic the connection is in (a delivery is one indirection, with no box between).
pub type SharedMember = Arc<dyn Member>;

/// Identifies one websocket connection on this node (a window key may have several).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(u64);

impl ConnId {
    /// A process-unique id.
    pub fn next() -> ConnId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ConnId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What the registry keeps per connection.
struct Conn {
    /// The window key the connection presented, to apply topic changes and deletions.
    key: Option<WindowKey>,
    /// Topics the connection is a member of.
    topics: Set<Arc<str>>,
    /// Version of the window record `topics` came from; older updates are ignored.
    version: u64,
    /// Where its frames go.
    member: SharedMember,
}

impl Drop for Conn {
    /// However the registry forgets a connection, it tells the member once.
    fn drop(&mut self) {
        self.member.release();
    }
}

/// Tracks topic → connections and connection → topics for this node, and delivers
/// publications to the members of their topics.
pub struct TopicRegistry {
    /// What the registry knows, shared with the broker when it applies events itself.
    state: Arc<Shared>,
    /// The broker's event stream, until `started` attaches it.
    events: Option<tokio::sync::mpsc::Receiver<BrokerEvent>>,
}

/// How long a publisher waits for the state's lock before leaving its event to the holder:
/// about a fan-out to 2,000 connections. A shorter one is applied by its own publisher.
const HAND_OFF_AFTER: std::time::Duration = std::time::Duration::from_micros(250);

/// Events that may wait for the state's lock holder ([`Shared`]) before publishers wait for
/// the lock themselves: a bound on what waits, and back-pressure on publishers beyond it.
const MAX_WAITING: usize = 1024;

/// Bytes of frames that may wait so (with [`MAX_WAITING`]).
const MAX_WAITING_BYTES: usize = 8 << 20;

/// Events left for the state's lock holder, oldest first, and the bytes of their frames.
#[derive(Default)]
struct Waiting {
    /// The events, in the order they are to be applied.
    events: VecDeque<BrokerEvent>,
    /// Bytes of the frames of the deliveries among them.
    bytes: usize,
}

impl Waiting {
    fn push(&mut self, event: BrokerEvent) {
        self.bytes += frame_bytes(&event);
        self.events.push_back(event);
    }

    fn pop(&mut self) -> Option<BrokerEvent> {
        let event = self.events.pop_front()?;
        self.bytes -= frame_bytes(&event);
        Some(event)
    }

    /// Whether publishers should wait for the lock rather than leave more.
    fn crowded(&self) -> bool {
        self.events.len() > MAX_WAITING || self.bytes > MAX_WAITING_BYTES
    }
}

/// The bytes a waiting event holds on to: a delivery's frame.
fn frame_bytes(event: &BrokerEvent) -> usize {
    match event {
        BrokerEvent::Deliver(publication) => publication.payload.len(),
        _ => 0,
    }
}

/// The registry's state behind its lock, and the events waiting for it: what a broker
/// applies events to ([`EventSink`]).
///
/// A fan-out to thousands of connections holds the lock for a millisecond or two. A
/// publisher on another thread that finds it taken waits at most [`HAND_OFF_AFTER`], not the
/// whole fan-out (its thread serves connections too): then it leaves its event in `waiting`
/// and returns, and whoever holds the lock applies the waiting events, in the order they
/// came, before letting go. So every event is applied once, in order, and a publisher that
/// gets the lock applies its own (a handler's trigger to its own window is queued before
/// `publish` returns unless another thread is fanning out at that moment).
struct Shared {
    /// Who is where.
    state: Mutex<State>,
    /// Events left by publishers that found the lock taken, oldest first.
    waiting: Mutex<Waiting>,
}

impl Shared {
    /// Runs `f` with the state, then applies what waits before letting go.
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.state.lock();
        let result = f(&mut state);
        self.release(state);
        result
    }

    /// Applies the waiting events and lets go of the lock; takes it again when an event
    /// came in the meantime and nobody else took the lock (who takes it applies it).
    fn release<'a>(&'a self, mut state: MutexGuard<'a, State>) {
        loop {
            loop {
                let next = self.waiting.lock().pop();
                match next {
                    Some(event) => state.apply(event),
                    None => break,
                }
            }
            drop(state);
            if self.waiting.lock().events.is_empty() {
                return;
            }
            match self.state.try_lock() {
                Some(again) => state = again,
                None => return,
            }
        }
    }
}

/// A cheap, clonable handle on the registry's state, for this node's connections: a join, a
/// leave or a move between topics is applied at once, on the caller's thread, with no
/// message to the registry's thread and back. Holding one keeps the state alive.
#[derive(Clone)]
pub struct RegistryHandle(Arc<Shared>);

impl RegistryHandle {
    /// Adds a connection with its first topics (see [`Join`]).
    pub fn join(&self, join: Join) {
        self.0.with(|state| state.join(join));
    }

    /// Removes a connection from every topic (see [`Leave`]).
    pub fn leave(&self, conn: ConnId) {
        self.0.with(|state| state.remove_conn(conn));
    }

    /// Moves a connection to exactly `topics`, unless `version` is older than what it has
    /// (see [`SetTopics`]).
    pub fn set_topics(&self, conn: ConnId, topics: &[String], version: u64) {
        self.0.with(|state| state.set_topics(conn, topics, version));
    }

    /// The application topics of a connection (the implicit ones, which start with `-`,
    /// left out); `None` when the connection is not (or no longer) there.
    pub fn application_topics(&self, conn: ConnId) -> Option<BTreeSet<String>> {
        self.0.with(|state| state.application_topics(conn))
    }
}

impl fmt::Debug for RegistryHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RegistryHandle")
    }
}

impl EventSink for Shared {
    fn queue(&self, event: BrokerEvent) {
        self.waiting.lock().push(event);
    }

    fn flush(&self) {
        let crowded = self.waiting.lock().crowded();
        let state = if crowded {
            // Too much waits already: wait for the lock like everyone else.
            self.state.lock()
        } else {
            match self.state.try_lock_for(HAND_OFF_AFTER) {
                Some(state) => state,
                // The holder applies what waits before letting go.
                None => return,
            }
        };
        self.release(state);
    }
}

/// Who is where on this node.
struct State {
    /// Told when a topic gains its first or loses its last local member.
    broker: Arc<dyn Broker>,
    /// Gauges of connections and topics, counter of frames queued.
    metrics: Arc<Metrics>,
    /// Every connection on this node.
    conns: Map<ConnId, Conn>,
    /// Members of each topic, with their queues so fan-out needs one lookup per topic.
    topics: Map<Arc<str>, Map<ConnId, SharedMember>>,
    /// Connections presenting each window key.
    by_key: Map<WindowKey, Vec<ConnId>>,
    /// Builds the `df.resync` frame sent to every connection after a broker outage (the
    /// registry moves frames; it does not write them). A fresh one each time: its
    /// `signal_id` must differ, or clients would drop it as a duplicate.
    resync_frame: fn() -> ByteString,
}

impl TopicRegistry {
    /// A registry fed by `broker`'s event stream; `resync_frame` builds the frame every
    /// connection gets when the broker reports that messages may have been missed.
    ///
    /// # Panics
    /// If the broker's event stream was already taken by another registry.
    pub fn new(
        broker: Arc<dyn Broker>,
        metrics: Arc<Metrics>,
        resync_frame: fn() -> ByteString,
    ) -> TopicRegistry {
        let events = broker
            .take_events()
            .expect("the broker's events are consumed by exactly one registry");
        let state = Arc::new(Shared {
            state: Mutex::new(State {
                broker: broker.clone(),
                metrics,
                conns: Map::default(),
                topics: Map::default(),
                by_key: Map::default(),
                resync_frame,
            }),
            waiting: Mutex::new(Waiting::default()),
        });
        let sink: Arc<dyn EventSink> = state.clone();
        let sink: Weak<dyn EventSink> = Arc::downgrade(&sink);
        // A broker that applies events itself sends none on the stream; consuming it anyway
        // costs nothing.
        broker.attach(sink);
        TopicRegistry {
            state,
            events: Some(events),
        }
    }

    /// A handle on this registry's state, for connections to join and leave without a
    /// message to the registry's thread.
    pub fn handle(&self) -> RegistryHandle {
        RegistryHandle(self.state.clone())
    }

    /// Runs `f` with the state (see [`Shared::with`]).
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.state.with(f)
    }
}

impl State {
    /// Adds a connection with its first topics.
    fn join(&mut self, msg: Join) {
        if let Some(key) = &msg.key {
            self.by_key.entry(key.clone()).or_default().push(msg.conn);
        }
        self.conns.insert(
            msg.conn,
            Conn {
                key: msg.key,
                topics: Set::default(),
                version: 0,
                member: msg.member,
            },
        );
        self.set_topics(msg.conn, &msg.topics, msg.version);
    }

    /// The application topics of a connection, `None` when it is not there.
    fn application_topics(&self, conn: ConnId) -> Option<BTreeSet<String>> {
        let state = self.conns.get(&conn)?;
        Some(
            state
                .topics
                .iter()
                // Implicit topics start with `-`, application topics never do.
                .filter(|topic| !topic.starts_with('-'))
                .map(|topic| topic.to_string())
                .collect(),
        )
    }

    /// Applies one of the broker's events.
    fn apply(&mut self, event: BrokerEvent) {
        match event {
            BrokerEvent::Deliver(publication) => self.deliver(&publication),
            BrokerEvent::TopicsChanged {
                key,
                topics,
                version,
            } => {
                for conn in self.conns_of(&key) {
                    self.set_topics(conn, &topics, version);
                }
            }
            BrokerEvent::WindowDeleted { key } => {
                for conn in self.conns_of(&key) {
                    if let Some(state) = self.conns.get(&conn) {
                        state.member.evict(Eviction::Deleted);
                    }
                    // Forget it now: a deleted window receives nothing more.
                    self.remove_conn(conn);
                }
            }
            BrokerEvent::Resync => {
                let frame = (self.resync_frame)();
                for state in self.conns.values() {
                    state.member.deliver(frame.clone(), None);
                }
            }
        }
    }

    fn join_topic(&mut self, conn: ConnId, topic: Arc<str>, member: &SharedMember) {
        let members = self.topics.entry(topic.clone()).or_insert_with(|| {
            self.broker.subscribe(&topic);
            Map::default()
        });
        members.insert(conn, member.clone());
    }

    fn leave_topic(&mut self, conn: ConnId, topic: &str) {
        if let Some(members) = self.topics.get_mut(topic) {
            members.remove(&conn);
            if members.is_empty() {
                self.topics.remove(topic);
                self.broker.unsubscribe(topic);
            }
        }
    }

    /// Moves a connection to exactly `topics`, unless `version` is older than what it has.
    fn set_topics(&mut self, conn: ConnId, topics: &[String], version: u64) {
        let Some(state) = self.conns.get_mut(&conn) else {
            return;
        };
        if version < state.version {
            return;
        }
        state.version = version;
        if same_topics(&state.topics, topics) {
            // The usual re-read after a join: nothing moves, nothing is allocated.
            return;
        }
        let wanted: Set<Arc<str>> = topics.iter().map(|t| Arc::from(t.as_str())).collect();
        let gone: Vec<Arc<str>> = state.topics.difference(&wanted).cloned().collect();
        let new: Vec<Arc<str>> = wanted.difference(&state.topics).cloned().collect();
        let member = state.member.clone();
        state.topics = wanted;
        for topic in gone {
            self.leave_topic(conn, &topic);
        }
        for topic in new {
            self.join_topic(conn, topic, &member);
        }
        self.metrics.topics.set(self.topics.len() as i64);
    }

    fn remove_conn(&mut self, conn: ConnId) {
        let Some(state) = self.conns.remove(&conn) else {
            return;
        };
        for topic in &state.topics {
            self.leave_topic(conn, topic);
        }
        if let Some(key) = &state.key {
            if let Some(conns) = self.by_key.get_mut(key) {
                conns.retain(|c| *c != conn);
                if conns.is_empty() {
                    self.by_key.remove(key);
                }
            }
        }
        self.metrics.topics.set(self.topics.len() as i64);
    }

    /// Queues the publication once for every member of the union of its topics.
    fn deliver(&self, publication: &Publication) {
        let mut queued = 0u64;
        match publication.topics.as_slice() {
            [topic] => {
                for member in self
                    .topics
                    .get(topic.as_str())
                    .into_iter()
                    .flat_map(|m| m.values())
                {
                    queued +=
                        u64::from(member.deliver(publication.payload.clone(), publication.offset));
                }
            }
            topics => {
                let mut seen = Set::default();
                for members in topics.iter().filter_map(|t| self.topics.get(t.as_str())) {
                    for (conn, member) in members {
                        if seen.insert(*conn) {
                            queued += u64::from(
                                member.deliver(publication.payload.clone(), publication.offset),
                            );
                        }
                    }
                }
            }
        }
        self.metrics.signals_out.inc_by(queued);
    }

    fn conns_of(&self, key: &WindowKey) -> Vec<ConnId> {
        self.by_key.get(key).cloned().unwrap_or_default()
    }
}

/// Lists up to this long are compared with a connection's topics in place
/// ([`same_topics`]); longer ones take the general path.
const SAME_TOPICS_IN_PLACE: usize = 8;

/// Whether `topics` (a short list) names exactly the topics in `current`: as many, each
/// one in it, none twice.
fn same_topics(current: &Set<Arc<str>>, topics: &[String]) -> bool {
    topics.len() == current.len()
        && topics.len() <= SAME_TOPICS_IN_PLACE
        && topics.iter().all(|topic| current.contains(topic.as_str()))
        && topics
            .iter()
            .enumerate()
            .all(|(i, topic)| !topics[..i].contains(topic))
}

impl Actor for TopicRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        if let Some(events) = self.events.take() {
            ctx.add_stream(ReceiverStream::new(events));
        }
    }
}

impl StreamHandler<BrokerEvent> for TopicRegistry {
    fn handle(&mut self, event: BrokerEvent, _ctx: &mut Self::Context) {
        self.with(|state| state.apply(event));
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        // The broker stopped; keep serving what is registered until the system stops.
        tracing::warn!("broker event stream ended");
    }
}

/// A new connection joins the registry with its first topics.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Join {
    /// The connection.
    pub conn: ConnId,
    /// The window key it presented, if it was a registered one.
    pub key: Option<WindowKey>,
    /// All topics it belongs to (implicit included).
    pub topics: Vec<String>,
    /// Version of the record the topics come from.
    pub version: u64,
    /// Where frames for it go.
    pub member: SharedMember,
}

impl Handler<Join> for TopicRegistry {
    type Result = ();

    fn handle(&mut self, msg: Join, _ctx: &mut Self::Context) {
        self.with(|state| state.join(msg));
    }
}

/// Replaces the topics of a connection (after re-reading its record), unless a newer version
/// was already applied.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetTopics {
    /// The connection.
    pub conn: ConnId,
    /// All topics it belongs to.
    pub topics: Vec<String>,
    /// Version of the record the topics come from.
    pub version: u64,
}

impl Handler<SetTopics> for TopicRegistry {
    type Result = ();

    fn handle(&mut self, msg: SetTopics, _ctx: &mut Self::Context) {
        self.with(|state| state.set_topics(msg.conn, &msg.topics, msg.version));
    }
}

/// A connection is gone: remove it from every topic.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    /// The connection.
    pub conn: ConnId,
}

impl Handler<Leave> for TopicRegistry {
    type Result = ();

    fn handle(&mut self, msg: Leave, _ctx: &mut Self::Context) {
        self.with(|state| state.remove_conn(msg.conn));
    }
}

/// Asks every connection on this node to leave (graceful shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct EvictAll(pub Eviction);

impl Handler<EvictAll> for TopicRegistry {
    type Result = ();

    fn handle(&mut self, msg: EvictAll, _ctx: &mut Self::Context) {
        self.with(|state| {
            for conn in state.conns.values() {
                conn.member.evict(msg.0);
            }
        });
    }
}

/// Sizes of the registry, for metrics, health and leak checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryStats {
    /// Connections registered.
    pub connections: usize,
    /// Topics with at least one member.
    pub topics: usize,
    /// Window keys with at least one connection.
    pub window_keys: usize,
}

/// Asks for [`RegistryStats`].
#[derive(Message)]
#[rtype(result = "RegistryStats")]
pub struct Stats;

impl Handler<Stats> for TopicRegistry {
    type Result = MessageResult<Stats>;

    fn handle(&mut self, _msg: Stats, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.with(|state| RegistryStats {
            connections: state.conns.len(),
            topics: state.topics.len(),
            window_keys: state.by_key.len(),
        }))
    }
}

/// Asks how many local connections are members of a topic.
#[derive(Message)]
#[rtype(result = "usize")]
pub struct MembersOf(pub String);

impl Handler<MembersOf> for TopicRegistry {
    type Result = usize;

    fn handle(&mut self, msg: MembersOf, _ctx: &mut Self::Context) -> usize {
        self.with(|state| state.topics.get(msg.0.as_str()).map_or(0, HashMap::len))
    }
}

impl Handler<ApplicationTopicsOf> for TopicRegistry {
    type Result = Option<BTreeSet<String>>;

    fn handle(&mut self, msg: ApplicationTopicsOf, _ctx: &mut Self::Context) -> Self::Result {
        self.with(|state| state.application_topics(msg.0))
    }
}

#[cfg(test)]
mod tests {
    use std::thread::{self, ThreadId};
    use std::time::Duration;

    use uuid::Uuid;

    use super::*;
    use crate::broker::{HistorySettings, MemoryBroker, TopicChange, WindowRecord};
    use crate::identity::{window_topic, WindowInfo};

    #[test]
    fn same_topics_means_the_same_set() {
        let current: Set<Arc<str>> = ["a", "b"].into_iter().map(Arc::from).collect();
        let list = |topics: &[&str]| topics.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert!(same_topics(&current, &list(&["b", "a"])));
        assert!(
            !same_topics(&current, &list(&["a", "a"])),
            "a duplicate hides b"
        );
        assert!(!same_topics(&current, &list(&["a"])));
        assert!(!same_topics(&current, &list(&["a", "c"])));
        assert!(!same_topics(&current, &list(&["a", "b", "c"])));
        let many: Vec<String> = (0..=SAME_TOPICS_IN_PLACE).map(|i| i.to_string()).collect();
        let current: Set<Arc<str>> = many.iter().map(|t| Arc::from(t.as_str())).collect();
        assert!(
            !same_topics(&current, &many),
            "long lists take the general path"
        );
    }

    /// A member that notes each frame with the thread that queued it, and its offset.
    #[derive(Default)]
    struct Recorder(parking_lot::Mutex<Vec<(ThreadId, ByteString, Option<u64>)>>);

    impl Member for Recorder {
        fn deliver(&self, frame: ByteString, offset: Option<u64>) -> bool {
            self.0.lock().push((thread::current().id(), frame, offset));
            true
        }
        fn evict(&self, _reason: Eviction) {}
        fn release(&self) {}
    }

    fn publication(topic: &str, text: &str) -> Publication {
        Publication {
            signal_id: Uuid::new_v4(),
            topics: vec![topic.to_owned()],
            payload: ByteString::from(text),
            offset: None,
        }
    }

    /// The registry on a thread of its own, as a node runs it.
    fn registry(broker: &Arc<MemoryBroker>) -> Addr<TopicRegistry> {
        let broker: Arc<dyn Broker> = broker.clone();
        let registry = TopicRegistry::new(broker, Arc::new(Metrics::new()), || "resync".into());
        TopicRegistry::start_in_arbiter(&Arbiter::new().handle(), |_| registry)
    }

    #[actix_web::test]
    async fn the_memory_broker_delivers_on_the_publishers_thread_before_publish_returns() {
        for history in [HistorySettings::OFF, HistorySettings::default()] {
            let broker = Arc::new(MemoryBroker::with_history(16, history));
            let registry = registry(&broker);
            let member = Arc::new(Recorder::default());
            let shared: SharedMember = member.clone();
            registry
                .send(Join {
                    conn: ConnId::next(),
                    key: None,
                    topics: vec!["room".into()],
                    version: 0,
                    member: shared,
                })
                .await
                .unwrap();
            broker.publish(publication("room", "one")).await.unwrap();
            broker.publish(publication("room", "two")).await.unwrap();
            // No await in between: the frames were queued by `publish` itself, here.
            let seen = member.0.lock().clone();
            assert_eq!(seen.len(), 2, "history {history:?}");
            assert!(seen.iter().all(|(t, _, _)| *t == thread::current().id()));
            assert!(seen[0].1.starts_with("one") && seen[1].1.starts_with("two"));
        }
    }

    #[actix_web::test]
    async fn a_topic_joined_through_the_broker_receives_the_very_next_trigger() {
        let broker = Arc::new(MemoryBroker::new(16));
        let registry = registry(&broker);
        let key = WindowKey::generate();
        let info = WindowInfo {
            window_key: Some(key.clone()),
            ..WindowInfo::default()
        };
        let record = WindowRecord {
            info,
            topics: Default::default(),
            version: 0,
            ttl_secs: 60,
        };
        let topics = record.all_topics();
        broker
            .register_window(&key, record, Duration::from_secs(60))
            .await
            .unwrap();
        let member = Arc::new(Recorder::default());
        let shared: SharedMember = member.clone();
        registry
            .send(Join {
                conn: ConnId::next(),
                key: Some(key.clone()),
                topics,
                version: 1,
                member: shared,
            })
            .await
            .unwrap();
        let change = broker
            .change_topics(&key, &["room".into()], &[], 10)
            .await
            .unwrap();
        assert!(matches!(change, TopicChange::Changed(_)));
        broker.publish(publication("room", "hello")).await.unwrap();
        broker
            .publish(publication(&window_topic(key.as_str()), "to the window"))
            .await
            .unwrap();
        let frames: Vec<ByteString> = member.0.lock().iter().map(|(_, f, _)| f.clone()).collect();
        assert_eq!(frames, ["hello", "to the window"]);
        assert_eq!(registry.send(MembersOf("room".into())).await.unwrap(), 1);
    }

    /// Runs a publication to completion on the calling thread (the memory broker's `publish`
    /// never waits on anything but its locks).
    fn publish_now(broker: &MemoryBroker, topic: &str, text: &str) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(broker.publish(publication(topic, text)))
            .unwrap();
    }

    /// A registry joined by one connection in `topic`, without an actor: the handle is all a
    /// broker and a connection need.
    fn joined(broker: &Arc<MemoryBroker>, topic: &str, member: SharedMember) -> TopicRegistry {
        let shared: Arc<dyn Broker> = broker.clone();
        let registry = TopicRegistry::new(shared, Arc::new(Metrics::new()), || "resync".into());
        registry.handle().join(Join {
            conn: ConnId::next(),
            key: None,
            topics: vec![topic.into()],
            version: 0,
            member,
        });
        registry
    }

    /// A member whose first delivery blocks until the test lets it go.
    struct Stuck {
        entered: std::sync::mpsc::SyncSender<()>,
        go: parking_lot::Mutex<std::sync::mpsc::Receiver<()>>,
        frames: parking_lot::Mutex<Vec<ByteString>>,
    }

    impl Member for Stuck {
        fn deliver(&self, frame: ByteString, _offset: Option<u64>) -> bool {
            let first = self.frames.lock().is_empty();
            self.frames.lock().push(frame);
            if first {
                self.entered.send(()).unwrap();
                self.go.lock().recv().unwrap();
            }
            true
        }
        fn evict(&self, _reason: Eviction) {}
        fn release(&self) {}
    }

    #[test]
    fn a_publisher_that_finds_a_fan_out_under_way_leaves_its_trigger_to_it_and_returns() {
        let (entered, entered_rx) = std::sync::mpsc::sync_channel(1);
        let (go_tx, go) = std::sync::mpsc::channel();
        let stuck = Arc::new(Stuck {
            entered,
            go: parking_lot::Mutex::new(go),
            frames: parking_lot::Mutex::new(Vec::new()),
        });
        let broker = Arc::new(MemoryBroker::new(16));
        let shared: SharedMember = stuck.clone();
        let _registry = joined(&broker, "room", shared);
        // Thread A fans "first" out and is held inside the delivery, holding the lock.
        let first = {
            let broker = broker.clone();
            thread::spawn(move || publish_now(&broker, "room", "first"))
        };
        entered_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        // Thread B publishes meanwhile: it must come back without waiting for A.
        let (done_tx, done) = std::sync::mpsc::channel();
        let second = {
            let broker = broker.clone();
            thread::spawn(move || {
                publish_now(&broker, "room", "second");
                done_tx.send(()).unwrap();
            })
        };
        let returned = done.recv_timeout(Duration::from_secs(5));
        go_tx.send(()).unwrap();
        first.join().unwrap();
        second.join().unwrap();
        assert!(
            returned.is_ok(),
            "the second publisher waited for the first fan-out"
        );
        // A delivered B's trigger before letting go of the lock, after its own.
        assert_eq!(*stuck.frames.lock(), ["first", "second"]);
    }

    #[test]
    fn concurrent_publishers_deliver_every_offset_once_in_order() {
        let broker = Arc::new(MemoryBroker::with_history(16, HistorySettings::default()));
        let member = Arc::new(Recorder::default());
        let shared: SharedMember = member.clone();
        let _registry = joined(&broker, "room", shared);
        let publishers: Vec<_> = (0..4)
            .map(|p| {
                let broker = broker.clone();
                thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        for i in 0..2_000 {
                            let text = format!("{{\"p\":{p},\"i\":{i}}}");
                            broker.publish(publication("room", &text)).await.unwrap();
                        }
                    });
                })
            })
            .collect();
        for publisher in publishers {
            publisher.join().unwrap();
        }
        let offsets: Vec<u64> = member.0.lock().iter().map(|(_, _, o)| o.unwrap()).collect();
        assert_eq!(offsets, (1..=8_000).collect::<Vec<u64>>());
    }

    #[test]
    fn what_waits_for_the_lock_is_bounded_in_events_and_in_bytes() {
        let deliver = |text: String| BrokerEvent::Deliver(Arc::new(publication("room", &text)));
        let mut waiting = Waiting::default();
        for _ in 0..MAX_WAITING {
            waiting.push(deliver("x".into()));
        }
        assert!(!waiting.crowded());
        waiting.push(BrokerEvent::Resync);
        assert!(waiting.crowded(), "one event more than the bound");
        while waiting.pop().is_some() {}
        assert_eq!((waiting.events.len(), waiting.bytes), (0, 0));
        waiting.push(deliver("y".repeat(MAX_WAITING_BYTES + 1)));
        assert!(waiting.crowded(), "one large frame is enough");
    }

    #[actix_web::test]
    async fn once_the_registry_is_gone_the_broker_refuses_to_publish() {
        let broker = Arc::new(MemoryBroker::new(16));
        let shared: Arc<dyn Broker> = broker.clone();
        let registry = TopicRegistry::new(shared, Arc::new(Metrics::new()), || "resync".into());
        assert!(broker.ready().await.is_ok());
        broker.publish(publication("room", "nobody")).await.unwrap();
        drop(registry);
        assert!(broker.ready().await.is_err());
        assert!(broker.publish(publication("room", "late")).await.is_err());
    }
}
