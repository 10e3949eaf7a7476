//! Model-based property test of the `TopicRegistry` actor (PROTOCOL.md §2, §3 and §5).
//!
//! Random sequences of steps drive a real registry fed by a real `MemoryBroker`: connections
//! (with a registered, an expired or no window key), disconnections, direct `SetTopics` with
//! newer, equal and stale versions, window registrations and topic changes through the broker,
//! window deletions, and publications to overlapping topics. A plain model of maps and sets
//! predicts the outcome, and the test proves that:
//!
//! - after every step the registry's membership equals the model's: `MembersOf` of every
//!   topic, and `Stats` (connections, topics, window keys);
//! - an update older than what a connection has is ignored, whoever sends it, and a broker
//!   topic change that would exceed the per-window limit changes nothing;
//! - every connection receives exactly the frames the model predicts, in publication order and
//!   at most once per publication even when it is in several of the targeted topics;
//! - a deleted window's connections are closed with 1008 and forgotten;
//! - once everything has disconnected nothing is left: 0 connections, 0 topics, 0 window keys,
//!   and every outbox has been released by the registry.
//!
//! The test never sleeps. Actor messages are awaited with `send`, so each is handled before
//! the next step. The memory broker applies its events to the registry's state itself, on
//! the caller's thread; every broker-driven step still ends with a *probe* (a publication to
//! a topic only a dedicated probe connection is in, awaited), so the test would hold as well
//! for a broker that sends its events on a stream: events are applied in order, so once the
//! probe's frame arrives every earlier event has been applied.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, System};
use bytestring::ByteString;
use futures_util::FutureExt;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use switchboard::__private::{
    resync_frame, user_topic, window_topic, ConnId, Disconnect, Join, Leave, MembersOf, Outbox,
    OutboxReceiver, Outgoing, RegistryStats, SetTopics, Stats, TopicRegistry, BROADCAST,
};
use switchboard::broker::{Broker, MemoryBroker, Publication, TopicChange, WindowRecord};
use switchboard::{Metrics, User, WindowInfo, WindowKey};
use uuid::Uuid;

/// How many window keys the sequences use (few, so connections share them).
const KEYS: usize = 3;

/// Topics a connection may be put in directly (`Join` of an unregistered key, `SetTopics`).
const JOIN_TOPICS: &[&str] = &["a", "b", "c", "d", BROADCAST];

/// Application topics of window registrations and broker topic changes.
const APP_TOPICS: &[&str] = &["a", "b", "c", "d"];

/// Most application topics a window may have: half the pool, so some changes are refused.
const MAX_TOPICS: usize = 2;

/// The topic of the probe connection; no step uses it.
const PROBE_TOPIC: &str = "probe";

/// Capacity of every outbox: more frames than any sequence publishes, so none overflows.
const OUTBOX_CAPACITY: usize = 1024;

/// Registration time-to-live: far longer than a test, so nothing expires under it.
const TTL: Duration = Duration::from_secs(3600);

/// A failure guard only: how long a probe may take before the case fails as stuck.
const STUCK: Duration = Duration::from_secs(10);

/// Cases per run unless `PROPTEST_CASES` says otherwise (a few seconds in a debug build).
const DEFAULT_CASES: u32 = 256;

/// The `i`th window key of the pool: fixed, so a failing case prints the same every time.
fn key(i: usize) -> WindowKey {
    let letter = char::from(b'a' + u8::try_from(i).expect("a small pool"));
    WindowKey::parse(&letter.to_string().repeat(32)).expect("a well-formed key")
}

/// The user behind window `i`: windows 0 and 2 share a user, so `-user.u0` spans two keys.
fn user_id(i: usize) -> String {
    format!("u{}", i % 2)
}

/// The identity registered for window `i`.
fn info(i: usize) -> WindowInfo {
    WindowInfo {
        window_key: Some(key(i)),
        user: Some(User {
            id: user_id(i),
            ..User::default()
        }),
        ..WindowInfo::default()
    }
}

/// Every topic a publication may target: application topics, implicit topics of every key
/// and user, and one topic nobody is ever in.
fn publish_topics() -> Vec<String> {
    let mut topics: Vec<String> = APP_TOPICS.iter().map(|t| t.to_string()).collect();
    topics.push(BROADCAST.to_owned());
    topics.extend((0..KEYS).map(|i| window_topic(key(i).as_str())));
    topics.extend((0..2).map(|i| user_topic(&user_id(i))));
    topics.push("nobody".to_owned());
    topics
}

/// One step of a sequence.
#[derive(Debug, Clone)]
enum Op {
    /// A new connection presents window key `key` (or none). A registered key joins with its
    /// record's topics and version, as a real connection does; an unregistered (expired) key
    /// or no key joins `topics` at version 0.
    Connect {
        key: Option<usize>,
        topics: Vec<&'static str>,
    },
    /// A connection goes away (`Leave`); `conn` picks one of the live connections.
    Disconnect { conn: usize },
    /// `SetTopics` for one connection, at its current version plus `version_step` (negative:
    /// a stale update that must be ignored).
    SetTopics {
        conn: usize,
        topics: Vec<&'static str>,
        version_step: i8,
    },
    /// `Broker::register_window`: a re-registration moves the key's connections.
    Register {
        key: usize,
        topics: Vec<&'static str>,
    },
    /// `Broker::change_topics`: adds, then removes, application topics of a window, unless it
    /// would end up in more than [`MAX_TOPICS`].
    ChangeTopics {
        key: usize,
        add: Vec<&'static str>,
        remove: Vec<&'static str>,
    },
    /// `Broker::delete_window`: the key's connections are closed with 1008.
    Delete { key: usize },
    /// `Broker::publish` to these topics (duplicates and overlaps included).
    Publish { topics: Vec<String> },
    /// Check every connection's received frames now rather than later.
    Drain,
}

/// Generates one step; the weights favour steps that build up state worth checking.
fn op() -> impl Strategy<Value = Op> {
    let join_topics = || prop::collection::vec(select(JOIN_TOPICS), 0..4);
    let app_topics = || prop::collection::vec(select(APP_TOPICS), 0..4);
    // Half of the direct updates are stale (one version behind), so every run ignores some.
    let version_step = prop_oneof![Just(-1i8), 0i8..=1];
    prop_oneof![
        4 => (prop::option::weighted(0.7, 0..KEYS), join_topics())
            .prop_map(|(key, topics)| Op::Connect { key, topics }),
        2 => any::<usize>().prop_map(|conn| Op::Disconnect { conn }),
        2 => (any::<usize>(), join_topics(), version_step)
            .prop_map(|(conn, topics, version_step)| Op::SetTopics { conn, topics, version_step }),
        2 => (0..KEYS, app_topics()).prop_map(|(key, topics)| Op::Register { key, topics }),
        3 => (0..KEYS, app_topics(), app_topics())
            .prop_map(|(key, add, remove)| Op::ChangeTopics { key, add, remove }),
        1 => (0..KEYS).prop_map(|key| Op::Delete { key }),
        4 => prop::collection::vec(select(publish_topics()), 1..4)
            .prop_map(|topics| Op::Publish { topics }),
        1 => Just(Op::Drain),
    ]
}

/// What a run exercised, so the test can show that its sequences reach every rule.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    /// Frames received and checked against the model.
    frames: usize,
    /// Publications that reached a connection through more than one of their topics.
    overlapping: usize,
    /// `SetTopics` or broker updates ignored because they were stale.
    stale_ignored: usize,
    /// Connections moved by a broker event (re-registration or topic change).
    moved_by_broker: usize,
    /// Connections closed with 1008 by a window deletion.
    closed_by_delete: usize,
    /// Topic changes refused for exceeding [`MAX_TOPICS`].
    refused_over_limit: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.frames += other.frames;
        self.overlapping += other.overlapping;
        self.stale_ignored += other.stale_ignored;
        self.moved_by_broker += other.moved_by_broker;
        self.closed_by_delete += other.closed_by_delete;
        self.refused_over_limit += other.refused_over_limit;
    }
}

/// The model of one connection, with the receiving end of its real outbox.
struct ModelConn {
    /// The connection's id in the registry.
    id: ConnId,
    /// Index of the window key it presented.
    key: Option<usize>,
    /// Topics it must be a member of.
    topics: BTreeSet<String>,
    /// Version of the last update applied to it.
    version: u64,
    /// Where the registry queues its frames.
    rx: OutboxReceiver,
    /// Frames it must have received since its last check, in order.
    expected: Vec<ByteString>,
}

/// The model of a stored window registration.
struct ModelRecord {
    /// Application topics.
    topics: BTreeSet<String>,
    /// Bumped by every change.
    version: u64,
}

impl ModelRecord {
    /// PROTOCOL.md §2: implicit topics of window `i` plus its application topics.
    fn all_topics(&self, i: usize) -> Vec<String> {
        let mut topics = vec![
            BROADCAST.to_owned(),
            window_topic(key(i).as_str()),
            user_topic(&user_id(i)),
        ];
        topics.extend(self.topics.iter().cloned());
        topics
    }
}

/// A real registry and broker, and the model they must agree with.
struct Harness {
    registry: Addr<TopicRegistry>,
    broker: Arc<dyn Broker>,
    /// The probe connection's receiver: fences broker events.
    probe: OutboxReceiver,
    probe_id: ConnId,
    /// Probe publications sent so far.
    probes: u64,
    /// Publications sent so far (numbers their payloads).
    published: u64,
    /// Live connections, in connection order.
    conns: Vec<ModelConn>,
    /// Stored registrations by key index.
    records: BTreeMap<usize, ModelRecord>,
    tally: Tally,
}

/// Everything a connection received, without waiting: its frames, then `Close` or `Finished`
/// if that is what comes next (`None` when the queue is merely empty).
fn drain(rx: &mut OutboxReceiver) -> (Vec<ByteString>, Option<Outgoing>) {
    let mut frames = Vec::new();
    loop {
        match rx.next().now_or_never() {
            Some(Outgoing::Frame(frame)) => frames.push(frame),
            end => return (frames, end),
        }
    }
}

impl Harness {
    /// Starts a registry on a fresh memory broker and connects the probe.
    async fn start() -> Harness {
        let broker: Arc<dyn Broker> = Arc::new(MemoryBroker::new(1024));
        let registry =
            TopicRegistry::new(broker.clone(), Arc::new(Metrics::new()), resync_frame).start();
        let (outbox, probe) = Outbox::new(OUTBOX_CAPACITY);
        let probe_id = ConnId::next();
        registry
            .send(Join {
                conn: probe_id,
                key: None,
                topics: vec![PROBE_TOPIC.to_owned()],
                version: 0,
                member: outbox.into_member(),
            })
            .await
            .expect("the registry is running");
        Harness {
            registry,
            broker,
            probe,
            probe_id,
            probes: 0,
            published: 0,
            conns: Vec::new(),
            records: BTreeMap::new(),
            tally: Tally::default(),
        }
    }

    /// Waits until the registry has handled every broker event emitted so far.
    async fn fence(&mut self) -> Result<(), TestCaseError> {
        self.probes += 1;
        let payload = ByteString::from(format!("probe-{}", self.probes));
        self.publish_raw(vec![PROBE_TOPIC.to_owned()], payload.clone())
            .await;
        let got = tokio::time::timeout(STUCK, self.probe.next()).await;
        prop_assert!(
            matches!(&got, Ok(Outgoing::Frame(f)) if *f == payload),
            "probe {payload} not delivered: {got:?}"
        );
        Ok(())
    }

    async fn publish_raw(&self, topics: Vec<String>, payload: ByteString) {
        let publication = Publication {
            signal_id: Uuid::new_v4(),
            topics,
            payload,
            offset: None,
        };
        self.broker
            .publish(publication)
            .await
            .expect("the memory broker accepts publications");
    }

    /// Checks that `conn` received exactly its expected frames, followed by `end`.
    fn check_frames(
        tally: &mut Tally,
        conn: &mut ModelConn,
        end: Option<Outgoing>,
    ) -> Result<(), TestCaseError> {
        let (frames, got_end) = drain(&mut conn.rx);
        prop_assert_eq!(
            &frames,
            &conn.expected,
            "frames of connection {:?} (key {:?})",
            conn.id,
            conn.key
        );
        prop_assert_eq!(got_end, end, "after the frames of {:?}", conn.id);
        tally.frames += frames.len();
        conn.expected.clear();
        Ok(())
    }

    /// The model's rule for every update: the newest version wins, an equal one too.
    fn update(tally: &mut Tally, conn: &mut ModelConn, topics: &[String], version: u64) -> bool {
        if version < conn.version {
            tally.stale_ignored += 1;
            return false;
        }
        conn.topics = topics.iter().cloned().collect();
        conn.version = version;
        true
    }

    /// Applies a broker `TopicsChanged` for window `k` to the model.
    fn move_key(&mut self, k: usize) {
        let record = &self.records[&k];
        let (topics, version) = (record.all_topics(k), record.version);
        for conn in self.conns.iter_mut().filter(|c| c.key == Some(k)) {
            if Self::update(&mut self.tally, conn, &topics, version) {
                self.tally.moved_by_broker += 1;
            }
        }
    }

    /// Runs one step on the registry and on the model.
    async fn step(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Connect { key: k, topics } => {
                let (topics, version) = match k.and_then(|k| self.records.get(&k).map(|r| (k, r))) {
                    Some((k, record)) => (record.all_topics(k), record.version),
                    None => (topics.iter().map(|t| t.to_string()).collect(), 0),
                };
                let (outbox, rx) = Outbox::new(OUTBOX_CAPACITY);
                let id = ConnId::next();
                let join = Join {
                    conn: id,
                    key: k.map(key),
                    topics: topics.clone(),
                    version,
                    member: outbox.into_member(),
                };
                self.registry.send(join).await.expect("registry running");
                self.conns.push(ModelConn {
                    id,
                    key: k,
                    topics: topics.into_iter().collect(),
                    version,
                    rx,
                    expected: Vec::new(),
                });
            }
            Op::Disconnect { conn } => {
                if self.conns.is_empty() {
                    return Ok(());
                }
                let mut gone = self.conns.remove(conn % self.conns.len());
                let leave = Leave { conn: gone.id };
                self.registry.send(leave).await.expect("registry running");
                // The registry held the only senders: releasing them all ends the queue.
                Self::check_frames(&mut self.tally, &mut gone, Some(Outgoing::Finished))?;
            }
            Op::SetTopics {
                conn,
                topics,
                version_step,
            } => {
                if self.conns.is_empty() {
                    return Ok(());
                }
                let i = conn % self.conns.len();
                let target = &mut self.conns[i];
                let version = target.version.saturating_add_signed(version_step.into());
                let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
                let msg = SetTopics {
                    conn: target.id,
                    topics: topics.clone(),
                    version,
                };
                self.registry.send(msg).await.expect("registry running");
                Self::update(&mut self.tally, target, &topics, version);
            }
            Op::Register { key: k, topics } => {
                let topics: BTreeSet<String> = topics.iter().map(|t| t.to_string()).collect();
                let record = WindowRecord {
                    info: info(k),
                    topics: topics.clone(),
                    version: 0,
                    ttl_secs: TTL.as_secs(),
                };
                self.broker
                    .register_window(&key(k), record, TTL)
                    .await
                    .expect("memory broker");
                let previous = self.records.get(&k).map(|r| r.version);
                let version = previous.map_or(1, |v| v + 1);
                self.records.insert(k, ModelRecord { topics, version });
                if previous.is_some() {
                    self.move_key(k);
                }
                let stored = self.broker.window(&key(k)).await.expect("memory broker");
                prop_assert_eq!(stored.map(|r| r.version), Some(version));
                self.fence().await?;
            }
            Op::ChangeTopics {
                key: k,
                add,
                remove,
            } => {
                let add: Vec<String> = add.iter().map(|t| t.to_string()).collect();
                let remove: Vec<String> = remove.iter().map(|t| t.to_string()).collect();
                let changed = self
                    .broker
                    .change_topics(&key(k), &add, &remove, MAX_TOPICS)
                    .await
                    .expect("memory broker");
                match self.records.get_mut(&k) {
                    Some(record) => {
                        let mut topics = record.topics.clone();
                        topics.extend(add);
                        for topic in &remove {
                            topics.remove(topic);
                        }
                        if topics.len() > MAX_TOPICS {
                            prop_assert_eq!(changed, TopicChange::TooMany);
                            self.tally.refused_over_limit += 1;
                        } else {
                            record.topics = topics;
                            record.version += 1;
                            let got = match changed {
                                TopicChange::Changed(r) => Some((r.topics, r.version)),
                                _ => None,
                            };
                            prop_assert_eq!(got, Some((record.topics.clone(), record.version)));
                            self.move_key(k);
                        }
                    }
                    None => prop_assert_eq!(changed, TopicChange::Unknown),
                }
                self.fence().await?;
            }
            Op::Delete { key: k } => {
                // Everything published before must have arrived before the close.
                for conn in self.conns.iter_mut().filter(|c| c.key == Some(k)) {
                    Self::check_frames(&mut self.tally, conn, None)?;
                }
                let existed = self
                    .broker
                    .delete_window(&key(k))
                    .await
                    .expect("memory broker");
                prop_assert_eq!(existed, self.records.remove(&k).is_some());
                self.fence().await?;
                let (closed, kept) = std::mem::take(&mut self.conns)
                    .into_iter()
                    .partition(|c| c.key == Some(k));
                self.conns = kept;
                let closed_ids: Vec<ConnId> = closed.iter().map(|c| c.id).collect();
                for mut conn in closed {
                    let next = conn.rx.next().now_or_never();
                    prop_assert_eq!(next, Some(Outgoing::Close(Disconnect::Policy)));
                    self.tally.closed_by_delete += 1;
                }
                // The registry forgets them at once, before they leave on their own ...
                self.check_membership().await?;
                // ... which they then do, harmlessly.
                for conn in closed_ids {
                    let leave = Leave { conn };
                    self.registry.send(leave).await.expect("registry running");
                }
            }
            Op::Publish { topics } => {
                self.published += 1;
                let payload = ByteString::from(format!("frame-{}", self.published));
                for conn in &mut self.conns {
                    let hits = topics.iter().filter(|t| conn.topics.contains(*t)).count();
                    let distinct = topics
                        .iter()
                        .filter(|t| conn.topics.contains(*t))
                        .collect::<BTreeSet<_>>()
                        .len();
                    if hits > 0 {
                        conn.expected.push(payload.clone());
                    }
                    if distinct > 1 || hits > distinct {
                        self.tally.overlapping += 1;
                    }
                }
                self.publish_raw(topics, payload).await;
                self.fence().await?;
            }
            Op::Drain => {
                for conn in &mut self.conns {
                    Self::check_frames(&mut self.tally, conn, None)?;
                }
            }
        }
        Ok(())
    }

    /// Asserts that the registry's membership and sizes equal the model's.
    async fn check_membership(&self) -> Result<(), TestCaseError> {
        let mut topics: BTreeSet<String> = publish_topics().into_iter().collect();
        topics.extend(JOIN_TOPICS.iter().map(|t| t.to_string()));
        for topic in &topics {
            let expected = self
                .conns
                .iter()
                .filter(|c| c.topics.contains(topic))
                .count();
            let members = self.ask(MembersOf(topic.clone())).await;
            prop_assert_eq!(members, expected, "members of {}", topic);
        }
        prop_assert_eq!(self.ask(MembersOf(PROBE_TOPIC.to_owned())).await, 1);
        let used: BTreeSet<&String> = self.conns.iter().flat_map(|c| &c.topics).collect();
        let keys: BTreeSet<usize> = self.conns.iter().filter_map(|c| c.key).collect();
        let expected = RegistryStats {
            connections: self.conns.len() + 1,
            topics: used.len() + 1,
            window_keys: keys.len(),
        };
        prop_assert_eq!(self.ask(Stats).await, expected);
        Ok(())
    }

    /// Disconnects everything and asserts that nothing is left behind.
    async fn finish(mut self) -> Result<Tally, TestCaseError> {
        for mut conn in std::mem::take(&mut self.conns) {
            Self::check_frames(&mut self.tally, &mut conn, None)?;
            let leave = Leave { conn: conn.id };
            self.registry.send(leave).await.expect("registry running");
            Self::check_frames(&mut self.tally, &mut conn, Some(Outgoing::Finished))?;
        }
        let leave = Leave {
            conn: self.probe_id,
        };
        self.registry.send(leave).await.expect("registry running");
        prop_assert_eq!(self.probe.next().now_or_never(), Some(Outgoing::Finished));
        let empty = RegistryStats {
            connections: 0,
            topics: 0,
            window_keys: 0,
        };
        prop_assert_eq!(self.ask(Stats).await, empty);
        Ok(self.tally)
    }

    /// Sends a query to the registry and waits for its answer.
    async fn ask<M>(&self, msg: M) -> M::Result
    where
        M: actix::Message + Send + 'static,
        M::Result: Send,
        TopicRegistry: actix::Handler<M>,
    {
        self.registry.send(msg).await.expect("registry running")
    }
}

/// Runs one sequence in its own actor system; returns what it exercised.
fn run(ops: Vec<Op>) -> Result<Tally, TestCaseError> {
    System::new().block_on(async move {
        let mut harness = Harness::start().await;
        harness.check_membership().await?;
        for op in ops {
            harness.step(op).await?;
            harness.check_membership().await?;
        }
        harness.finish().await
    })
}

/// The property: for random sequences, the registry always agrees with the model.
#[test]
fn the_registry_agrees_with_a_model_of_memberships_and_deliveries() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let mut runner = TestRunner::new(Config {
        cases,
        source_file: Some(file!()),
        ..Config::default()
    });
    let total = RefCell::new(Tally::default());
    let sequences = prop::collection::vec(op(), 1..64);
    if let Err(failure) = runner.run(&sequences, |ops| {
        total.borrow_mut().add(run(ops)?);
        Ok(())
    }) {
        panic!("{failure}");
    }
    let total = total.into_inner();
    println!("{cases} cases exercised {total:?}");
    // The sequences must reach every rule, or passing would prove little.
    assert!(total.frames > 0, "{total:?}");
    assert!(total.overlapping > 0, "{total:?}");
    assert!(total.stale_ignored > 0, "{total:?}");
    assert!(total.moved_by_broker > 0, "{total:?}");
    assert!(total.closed_by_delete > 0, "{total:?}");
    assert!(total.refused_over_limit > 0, "{total:?}");
}

/// One hand-written sequence through the same harness, as a readable example of each rule.
#[test]
fn a_fixed_sequence_shows_each_rule() {
    let ops = vec![
        // Window 0 (user u0) registered in `a` and `b`; one connection presents it.
        Op::Register {
            key: 0,
            topics: vec!["a", "b"],
        },
        Op::Connect {
            key: Some(0),
            topics: vec![],
        },
        // An anonymous connection put directly in `a`.
        Op::Connect {
            key: None,
            topics: vec!["a"],
        },
        // Window 0 is in all four targeted topics and the anonymous connection in `a`, named
        // twice: each receives the publication once.
        Op::Publish {
            topics: vec![
                "a".into(),
                "b".into(),
                BROADCAST.into(),
                user_topic("u0"),
                "a".into(),
            ],
        },
        // A stale update (version 0 < 1) is ignored; the broker's change (version 2) applies.
        Op::SetTopics {
            conn: 0,
            topics: vec!["d"],
            version_step: -1,
        },
        Op::ChangeTopics {
            key: 0,
            add: vec!["c"],
            remove: vec!["a"],
        },
        // Adding `a` and `d` would put window 0 in four topics, over the limit: refused.
        Op::ChangeTopics {
            key: 0,
            add: vec!["a", "d"],
            remove: vec![],
        },
        Op::Publish {
            topics: vec!["a".into()],
        },
        Op::Drain,
        // Deleting window 0 closes its connection with 1008; the anonymous one stays.
        Op::Delete { key: 0 },
        Op::Publish {
            topics: vec!["a".into(), "c".into()],
        },
    ];
    let tally = run(ops).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tally.frames, 4, "{tally:?}");
    assert_eq!(tally.overlapping, 2, "{tally:?}");
    assert_eq!(tally.stale_ignored, 1, "{tally:?}");
    assert_eq!(tally.moved_by_broker, 1, "{tally:?}");
    assert_eq!(tally.closed_by_delete, 1, "{tally:?}");
    assert_eq!(tally.refused_over_limit, 1, "{tally:?}");
}
