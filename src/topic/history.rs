//! What a connection needs from the topic history: where live delivery starts, and what it
//! missed while it was away (PROTOCOL.md §5.6).
//!
//! [`History`] is a cheap, clonable handle in front of the broker's history. A connection
//! that joins asks it to [`resume`](History::resume) with its topics and the position the
//! client sent (`since`), and gets back the frames to replay and the position to announce.

use std::sync::Arc;

use bytestring::ByteString;

use crate::broker::{Broker, Position, Recovery, RecoveryFailure, TopicHistory};
use crate::metrics::Metrics;

/// A handle on the broker's history. Cheap to clone.
#[derive(Clone)]
pub struct History {
    /// Keeps the history (or reports it off).
    broker: Arc<dyn Broker>,
    /// Counts recoveries by outcome, and replayed frames.
    metrics: Arc<Metrics>,
}

/// What a joining connection sends before live delivery, and in which state it starts.
#[derive(Debug, Default)]
pub struct Resumption {
    /// The frames it missed with their offsets, in offset order (empty unless it
    /// recovered): live deliveries held back with one of these offsets are dropped.
    pub replay: Vec<(u64, ByteString)>,
    /// Where live delivery takes over; `None` without history (or when it cannot be read).
    pub position: Option<Position>,
    /// Whether the recovery the client asked for succeeded; `None` when it asked none.
    pub recovered: Option<bool>,
}

impl History {
    /// A handle on `broker`'s history, counting into `metrics`.
    pub fn new(broker: Arc<dyn Broker>, metrics: Arc<Metrics>) -> History {
        History { broker, metrics }
    }

    /// What a connection in `topics` that sent `since` (the raw `EPOCH:OFFSET`, if any) gets
    /// before live delivery: everything it missed and `recovered: true`, or nothing and
    /// `recovered: false`; and the position where live delivery takes over. A replay of more
    /// than `max_bytes` (what the connection's queue takes) is not attempted.
    pub async fn resume(
        &self,
        topics: &[String],
        since: Option<&str>,
        max_bytes: usize,
    ) -> Resumption {
        let Some(since) = since else {
            let position = match self.broker.position(topics).await {
                Ok(position) => position,
                Err(error) => {
                    tracing::warn!(%error, "cannot read the history position");
                    None
                }
            };
            return Resumption {
                position,
                ..Resumption::default()
            };
        };
        let outcome = match since.parse::<Position>() {
            Ok(since) => self.broker.recover(topics, &since).await,
            Err(_) => match self.broker.position(topics).await {
                Ok(position) => Ok(Recovery::Failed {
                    reason: RecoveryFailure::Malformed,
                    position,
                }),
                Err(error) => Err(error),
            },
        };
        let outcome = outcome.unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot read the history to recover a window");
            Recovery::Failed {
                reason: RecoveryFailure::Unavailable,
                position: None,
            }
        });
        let outcome = match outcome {
            Recovery::Recovered { entries, position }
                if entries.iter().map(|e| e.frame.len()).sum::<usize>() > max_bytes =>
            {
                Recovery::Failed {
                    reason: RecoveryFailure::TooLarge,
                    position: Some(position),
                }
            }
            outcome => outcome,
        };
        match outcome {
            Recovery::Recovered { entries, position } => {
                self.metrics
                    .recoveries
                    .with_label_values(&["recovered"])
                    .inc();
                self.metrics.replayed.inc_by(entries.len() as u64);
                Resumption {
                    replay: entries.into_iter().map(|e| (e.offset, e.frame)).collect(),
                    position: Some(position),
                    recovered: Some(true),
                }
            }
            Recovery::Failed { reason, position } => {
                self.metrics
                    .recoveries
                    .with_label_values(&[reason.as_str()])
                    .inc();
                Resumption {
                    position,
                    recovered: Some(false),
                    ..Resumption::default()
                }
            }
        }
    }

    /// A topic's history after `since` (the newest `limit` entries without one), for
    /// backends; `None` when the broker keeps none.
    pub async fn topic(
        &self,
        topic: &str,
        since: Option<u64>,
        limit: usize,
    ) -> Result<Option<TopicHistory>, crate::broker::BrokerError> {
        self.broker.history(topic, since, limit).await
    }
}
