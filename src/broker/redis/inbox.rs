//! What arrives from Redis: pushes from the connection, turned into events for the registry.
//!
//! The connection calls [`Inbox::push`] on its own task for every pub/sub message and
//! disconnection. A trigger sent to several topics arrives once per topic channel; the
//! [`RecentSignals`] keep it to one delivery per node.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytestring::ByteString;
use parking_lot::Mutex;
use redis::aio::AsyncPushSender;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::wire::{self, Control, Malformed};
use crate::broker::{BrokerEvent, Publication};
use crate::metrics::Metrics;

/// Signal ids remembered to drop the copies of a trigger sent to several topics.
const RECENT_SIGNALS: usize = 16_384;

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

/// What the push handler (called by the Redis connection) needs.
pub(super) struct Inbox {
    /// This node, to skip its own messages.
    pub(super) node: Uuid,
    /// Prefix of topic channels (`P topic:`).
    topic_prefix: String,
    /// The control channel.
    pub(super) control: String,
    /// On a Redis Cluster with history, the one channel triggers kept in history arrive on.
    funnel: std::sync::OnceLock<String>,
    /// Where events go.
    pub(super) events: mpsc::Sender<BrokerEvent>,
    /// Signal ids already delivered.
    recent: Mutex<RecentSignals>,
    /// Set when the connection drops; cleared by the health task.
    pub(super) down: AtomicBool,
    /// Set when the connection drops or a health check fails, cleared when a check succeeds:
    /// whether Redis is known to be unreachable now.
    pub(super) unreachable: AtomicBool,
    /// Counters.
    pub(super) metrics: Arc<Metrics>,
}

impl Inbox {
    /// An inbox for a new node using the key `prefix`, sending events to `events`.
    pub(super) fn new(
        prefix: &str,
        events: mpsc::Sender<BrokerEvent>,
        metrics: Arc<Metrics>,
    ) -> Inbox {
        Inbox {
            node: Uuid::new_v4(),
            topic_prefix: format!("{prefix}topic:"),
            control: format!("{prefix}control"),
            funnel: std::sync::OnceLock::new(),
            events,
            recent: Mutex::new(RecentSignals::default()),
            down: AtomicBool::new(false),
            unreachable: AtomicBool::new(false),
            metrics,
        }
    }

    /// What the connection calls with every push: this inbox, shared.
    pub(super) fn push_sender(self: &Arc<Self>) -> impl AsyncPushSender {
        let inbox = self.clone();
        move |push: PushInfo| {
            inbox.push(push);
            Ok::<(), std::convert::Infallible>(())
        }
    }

    /// Also reads triggers on `channel` (a cluster's history channel). Set once, at start.
    pub(super) fn set_funnel(&self, channel: String) {
        let _ = self.funnel.set(channel);
    }

    /// Remembers `signal_id` as delivered on this node, so a copy arriving later from Redis
    /// is dropped.
    pub(super) fn delivered(&self, signal_id: Uuid) {
        self.recent.lock().insert(signal_id);
    }

    /// Hands an event to the registry without waiting: drops it (and counts) if it is behind.
    pub(super) fn emit(&self, event: BrokerEvent) {
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
                } else if channel.starts_with(self.topic_prefix.as_bytes())
                    || self.funnel.get().is_some_and(|f| channel == f.as_bytes())
                {
                    self.publication(payload);
                }
            }
            PushKind::Disconnection => {
                self.down.store(true, Ordering::Release);
                self.unreachable.store(true, Ordering::Release);
                tracing::warn!("lost the connection to Redis");
            }
            _ => {}
        }
    }

    /// A message on the control channel: another node changed or deleted a window.
    fn control(&self, payload: &[u8]) {
        match Control::decode(payload) {
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

    /// A message on a topic channel: a trigger to deliver, unless this node has already.
    fn publication(&self, payload: Vec<u8>) {
        let (header, frame) = match wire::decode_publication(payload) {
            Ok(decoded) => decoded,
            Err(Malformed::NoHeaderLine) => {
                tracing::warn!("malformed publication: no header line");
                return;
            }
            Err(Malformed::Header(e)) => {
                tracing::warn!(error = %e, "malformed publication header");
                return;
            }
        };
        // A node delivers its own triggers locally, except those published with a history
        // offset: those reach every node, this one too, in offset order, from here.
        let own = header.node == Some(self.node) && header.offset.is_none();
        if own || !self.recent.lock().insert(header.signal_id) {
            return;
        }
        let Ok(frame) = String::from_utf8(frame) else {
            tracing::warn!("malformed publication: the frame is not UTF-8");
            return;
        };
        self.emit(BrokerEvent::Deliver(Arc::new(Publication {
            signal_id: header.signal_id,
            topics: header.topics,
            payload: ByteString::from(frame),
            offset: header.offset,
        })));
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
}
