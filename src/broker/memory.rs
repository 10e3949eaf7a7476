//! The in-memory broker: one process, no external service. The embedded default.
//!
//! Its history (`streams.rs`) lives in this process: a restart starts a new epoch, and every
//! window that comes back is told that nothing could be recovered.

use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::registrations::{Full, Registrations};
use super::streams::Streams;
use super::{
    Broker, BrokerError, BrokerEvent, EventSink, HistorySettings, Position, Publication,
    PublishError, Recovery, RegisterWindowError, TopicChange, TopicHistory, WindowRecord,
};
use crate::identity::WindowKey;

/// Live registrations a broker keeps unless told otherwise ([`MemoryBroker::max_windows`]).
pub const DEFAULT_MAX_WINDOWS: usize = 1_000_000;

/// A broker for a single process: publications go straight to this node's registry, and
/// window registrations live in a map.
///
/// Once the registry is attached ([`Broker::attach`]), every event is applied on the thread
/// that causes it (or, when another thread is applying events at that moment, by that thread
/// right after): a handler's trigger to its own window is queued on the handler's thread,
/// with no hop through another thread and back.
pub struct MemoryBroker {
    /// Registrations (at most `max_windows`), guarded by a lock never held across an await.
    windows: Mutex<Registrations>,
    /// The sending end of this node's event stream (bounded: publishers wait when the
    /// registry falls behind).
    events: mpsc::Sender<BrokerEvent>,
    /// The receiving end, until the registry takes it.
    receiver: Mutex<Option<mpsc::Receiver<BrokerEvent>>>,
    /// The registry's state, once attached: events are applied to it directly instead of
    /// being sent on `events` (weak: the registry owns the broker, not the reverse).
    sink: OnceLock<Weak<dyn EventSink>>,
    /// Every topic's recent triggers and the offset sequence; `None` when history is off.
    /// Its lock is never held across an await.
    streams: Option<Mutex<Streams>>,
}

impl MemoryBroker {
    /// A broker whose event queue holds at most `capacity` events, keeping no history.
    pub fn new(capacity: usize) -> MemoryBroker {
        MemoryBroker::with_history(capacity, HistorySettings::OFF)
    }

    /// A broker whose event queue holds at most `capacity` events, keeping history as
    /// `history` says (off when its size or time-to-live is zero).
    pub fn with_history(capacity: usize, history: HistorySettings) -> MemoryBroker {
        let (events, receiver) = mpsc::channel(capacity.max(1));
        MemoryBroker {
            windows: Mutex::new(Registrations::new(DEFAULT_MAX_WINDOWS)),
            events,
            receiver: Mutex::new(Some(receiver)),
            sink: OnceLock::new(),
            streams: history.enabled().then(|| Mutex::new(Streams::new(history))),
        }
    }

    /// The same broker, keeping at most `max` live registrations (at least one): registering
    /// a new key beyond them fails with [`RegisterWindowError::TooManyWindows`].
    pub fn max_windows(self, max: usize) -> MemoryBroker {
        *self.windows.lock() = Registrations::new(max);
        self
    }

    async fn emit(&self, event: BrokerEvent) -> Result<(), BrokerError> {
        if let Some(sink) = self.sink.get() {
            let sink = sink.upgrade().ok_or(BrokerError::Stopped)?;
            sink.queue(event);
            sink.flush();
            return Ok(());
        }
        self.events
            .send(event)
            .await
            .map_err(|_| BrokerError::Stopped)
    }

    /// Number of stored, unexpired registrations (expired ones are swept first).
    pub fn live_windows(&self) -> usize {
        self.windows.lock().count(Instant::now())
    }
}

/// Gives `publication` the next offset, appends it to its topics' history, and makes the
/// delivery of it (the frame with its offset). Called under the history's lock, by whoever
/// queues the delivery before letting go of it, so deliveries are queued in offset order.
fn numbered(streams: &mut Streams, mut publication: Publication) -> BrokerEvent {
    let entry = streams.append(&publication.topics, &publication.payload, Instant::now());
    publication.payload = entry.frame;
    publication.offset = Some(entry.offset);
    BrokerEvent::Deliver(Arc::new(publication))
}

impl Default for MemoryBroker {
    /// Room for 65,536 events, and the default history.
    fn default() -> Self {
        MemoryBroker::with_history(65_536, HistorySettings::default())
    }
}

#[async_trait]
impl Broker for MemoryBroker {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn take_events(&self) -> Option<mpsc::Receiver<BrokerEvent>> {
        self.receiver.lock().take()
    }

    fn attach(&self, sink: Weak<dyn EventSink>) -> bool {
        self.sink.set(sink).is_ok()
    }

    async fn publish(&self, publication: Publication) -> Result<(), PublishError> {
        let Some(streams) = &self.streams else {
            return self
                .emit(BrokerEvent::Deliver(Arc::new(publication)))
                .await
                .map_err(PublishError::Broker);
        };
        if let Some(sink) = self.sink.get() {
            let sink = sink
                .upgrade()
                .ok_or(PublishError::Broker(BrokerError::Stopped))?;
            // The offset is given out and the trigger queued under one lock, so every
            // connection receives offsets in increasing order; it is delivered without it.
            sink.queue(numbered(&mut streams.lock(), publication));
            sink.flush();
            return Ok(());
        }
        // Room in the queue first (the only wait); then the offset is given out and the
        // event queued under one lock, so the registry sees offsets in increasing order.
        let permit = self
            .events
            .reserve()
            .await
            .map_err(|_| PublishError::Broker(BrokerError::Stopped))?;
        permit.send(numbered(&mut streams.lock(), publication));
        Ok(())
    }

    async fn position(&self, _topics: &[String]) -> Result<Option<Position>, BrokerError> {
        Ok(self.streams.as_ref().map(|s| s.lock().position()))
    }

    async fn recover(&self, topics: &[String], since: &Position) -> Result<Recovery, BrokerError> {
        Ok(match &self.streams {
            Some(streams) => streams.lock().recover(topics, since, Instant::now()),
            None => Recovery::off(),
        })
    }

    async fn history(
        &self,
        topic: &str,
        since: Option<u64>,
        limit: usize,
    ) -> Result<Option<TopicHistory>, BrokerError> {
        Ok(self
            .streams
            .as_ref()
            .map(|s| s.lock().history(topic, since, limit, Instant::now())))
    }

    fn subscribe(&self, _topic: &str) {}

    fn unsubscribe(&self, _topic: &str) {}

    async fn register_window(
        &self,
        key: &WindowKey,
        record: WindowRecord,
        ttl: Duration,
    ) -> Result<(), RegisterWindowError> {
        let now = Instant::now();
        let event = {
            let mut windows = self.windows.lock();
            let previous = windows.live(key, now).map_or(0, |r| r.version);
            let mut record = record;
            record.version = record.version.max(previous + 1);
            let event = BrokerEvent::TopicsChanged {
                key: key.clone(),
                topics: record.all_topics(),
                version: record.version,
            };
            let max = windows.max();
            windows
                .insert(key, record, now + ttl, now)
                .map_err(|Full| RegisterWindowError::TooManyWindows { max })?;
            // Connections may already present this key (re-registration): move them.
            (previous > 0).then_some(event)
        };
        match event {
            Some(event) => self.emit(event).await.map_err(RegisterWindowError::Broker),
            None => Ok(()),
        }
    }

    async fn window(&self, key: &WindowKey) -> Result<Option<WindowRecord>, BrokerError> {
        Ok(self.windows.lock().live(key, Instant::now()).cloned())
    }

    async fn change_topics(
        &self,
        key: &WindowKey,
        add: &[String],
        remove: &[String],
        max_topics: usize,
    ) -> Result<TopicChange, BrokerError> {
        let record = {
            let mut windows = self.windows.lock();
            let Some(record) = windows.live(key, Instant::now()) else {
                return Ok(TopicChange::Unknown);
            };
            let mut topics = record.topics.clone();
            topics.extend(add.iter().cloned());
            for topic in remove {
                topics.remove(topic);
            }
            if topics.len() > max_topics {
                return Ok(TopicChange::TooMany);
            }
            record.topics = topics;
            record.version += 1;
            record.clone()
        };
        self.emit(BrokerEvent::TopicsChanged {
            key: key.clone(),
            topics: record.all_topics(),
            version: record.version,
        })
        .await?;
        Ok(TopicChange::Changed(record))
    }

    async fn touch_window(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        Ok(self.windows.lock().touch(key, Instant::now()))
    }

    async fn delete_window(&self, key: &WindowKey) -> Result<bool, BrokerError> {
        let existed = self.windows.lock().remove(key, Instant::now());
        // Connections may hold the key even when the registration already expired.
        self.emit(BrokerEvent::WindowDeleted { key: key.clone() })
            .await?;
        Ok(existed)
    }

    async fn window_count(&self) -> Result<u64, BrokerError> {
        Ok(self.live_windows() as u64)
    }

    async fn ready(&self) -> Result<(), BrokerError> {
        let stopped = match self.sink.get() {
            Some(sink) => sink.strong_count() == 0,
            None => self.events.is_closed(),
        };
        if stopped {
            Err(BrokerError::Stopped)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::WindowInfo;

    fn record(topics: &[&str]) -> WindowRecord {
        WindowRecord {
            info: WindowInfo::default(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            version: 0,
            ttl_secs: 0,
        }
    }

    #[tokio::test]
    async fn registrations_expire() {
        let broker = MemoryBroker::new(16);
        let key = WindowKey::generate();
        broker
            .register_window(&key, record(&["a"]), Duration::from_millis(30))
            .await
            .unwrap();
        assert!(broker.window(&key).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(broker.window(&key).await.unwrap().is_none());
        assert_eq!(broker.live_windows(), 0);
        assert!(!broker.touch_window(&key).await.unwrap());
    }

    #[tokio::test]
    async fn touching_renews_for_the_records_own_ttl() {
        let broker = MemoryBroker::new(16);
        let key = WindowKey::generate();
        let mut rec = record(&[]);
        rec.ttl_secs = 3600;
        broker
            .register_window(&key, rec, Duration::from_millis(40))
            .await
            .unwrap();
        assert!(broker.touch_window(&key).await.unwrap());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(
            broker.window(&key).await.unwrap().is_some(),
            "renewed for an hour"
        );
    }

    #[tokio::test]
    async fn topic_changes_bump_the_version_and_emit_the_full_set() {
        let broker = MemoryBroker::new(16);
        let mut events = broker.take_events().unwrap();
        assert!(broker.take_events().is_none());
        let key = WindowKey::generate();
        let mut rec = record(&["a"]);
        rec.info.window_key = Some(key.clone());
        broker
            .register_window(&key, rec, Duration::from_secs(60))
            .await
            .unwrap();
        let TopicChange::Changed(changed) = broker
            .change_topics(&key, &["b".into()], &["a".into()], 10)
            .await
            .unwrap()
        else {
            panic!("the window exists");
        };
        assert_eq!(changed.version, 2);
        match events.recv().await.unwrap() {
            BrokerEvent::TopicsChanged {
                topics, version, ..
            } => {
                assert_eq!(version, 2);
                assert!(topics.contains(&"b".to_string()));
                assert!(!topics.contains(&"a".to_string()));
                assert!(topics.contains(&"-broadcast".to_string()));
            }
            other => panic!("unexpected {other:?}"),
        }
        let unknown = WindowKey::generate();
        let change = broker.change_topics(&unknown, &[], &[], 10).await.unwrap();
        assert_eq!(change, TopicChange::Unknown);
        let too_many = ["x".to_string(), "y".to_string()];
        let change = broker.change_topics(&key, &too_many, &[], 2).await.unwrap();
        assert_eq!(change, TopicChange::TooMany, "b, x and y are three");
        let record = broker.window(&key).await.unwrap().unwrap();
        assert_eq!(record.topics.len(), 1, "nothing changed");
    }
}
