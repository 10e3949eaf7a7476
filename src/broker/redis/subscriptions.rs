//! The channels this node listens to, applied to Redis in the background.
//!
//! The registry calls `subscribe`/`unsubscribe` on its hot path and never waits on the
//! network: it records what it wants in [`Subscriptions`], and [`apply_subscriptions`]
//! carries it out, retrying while Redis is down.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::connection::{bounded, Connection};
use crate::metrics::Metrics;

/// First wait before applying subscriptions again after a failure.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Longest wait between two attempts to apply subscriptions while Redis is down.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Channels this node wants, and the ones not applied to Redis yet. State, not a queue: its
/// size is bounded by the number of topics, however fast they change.
#[derive(Default)]
pub(super) struct Subscriptions {
    /// Channels wanted now.
    wanted: Mutex<HashSet<String>>,
    /// Channels whose subscription must be (re)applied.
    dirty: Mutex<HashSet<String>>,
    /// Wakes the task that applies them.
    wake: Notify,
    /// Channels Redis confirmed this node is subscribed to: from then on, everything
    /// published on them reaches this node (a recovery reads the history only after).
    applied: Mutex<HashSet<String>>,
    /// Wakes whoever waits for a channel to be applied.
    changed: Notify,
}

impl Subscriptions {
    /// Records whether this node wants `channel`, to be applied soon.
    pub(super) fn set(&self, channel: String, wanted: bool) {
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

    /// Waits until every channel of `channels` is subscribed, at most `timeout`; returns
    /// whether they all are.
    pub(super) async fn wait_applied(&self, channels: &[String], timeout: Duration) -> bool {
        let wait = async {
            loop {
                let changed = self.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                let done = {
                    let applied = self.applied.lock();
                    channels.iter().all(|c| applied.contains(c))
                };
                if done {
                    return;
                }
                changed.await;
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Records what Redis confirmed: `added` are subscribed, `removed` no longer are.
    fn confirm(&self, added: &[String], removed: &[String]) {
        let mut applied = self.applied.lock();
        applied.extend(added.iter().cloned());
        for channel in removed {
            applied.remove(channel);
        }
        drop(applied);
        self.changed.notify_waiters();
    }

    /// Marks every wanted channel to be subscribed again (after a reconnection).
    pub(super) fn reapply(&self) {
        let all = self.wanted.lock().clone();
        self.dirty.lock().extend(all);
        self.wake.notify_one();
    }
}

/// Applies wanted subscriptions to Redis, in order, retrying while it is down.
pub(super) async fn apply_subscriptions(
    mut conn: Connection,
    subscriptions: Arc<Subscriptions>,
    metrics: Arc<Metrics>,
) {
    let mut delay = FIRST_RETRY_DELAY;
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
            match bounded(conn.subscribe(&add)).await {
                Ok(()) => subscriptions.confirm(&add, &[]),
                Err(e) => {
                    tracing::debug!(error = %e, "subscribing failed; will retry");
                    failed.extend(add);
                }
            }
        }
        if !remove.is_empty() {
            // Not subscribed from the moment the unsubscription is sent.
            subscriptions.confirm(&[], &remove);
            if let Err(e) = bounded(conn.unsubscribe(&remove)).await {
                tracing::debug!(error = %e, "unsubscribing failed; will retry");
                failed.extend(remove);
            }
        }
        metrics.broker_subscriptions.set(wanted.len() as i64);
        if failed.is_empty() {
            delay = FIRST_RETRY_DELAY;
        } else {
            subscriptions.dirty.lock().extend(failed);
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(MAX_RETRY_DELAY);
        }
    }
}
