//! Watching the connection: after an outage, subscribe again and tell windows to resync.
//!
//! Redis pub/sub is at-most-once, so messages published while this node was cut off are lost;
//! `df.resync` lets pages refetch what they missed.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::connection::{bounded, Connection};
use super::inbox::Inbox;
use super::subscriptions::Subscriptions;
use crate::broker::BrokerEvent;

/// How often the connection is checked; a check that fails marks the broker down.
const HEALTH_INTERVAL: Duration = Duration::from_millis(500);

/// Pings Redis; when it answers again after an outage, subscribes again and tells every window
/// to resynchronise (`df.resync`), since messages were missed meanwhile.
pub(super) async fn watch_health(
    mut conn: Connection,
    inbox: Arc<Inbox>,
    subscriptions: Arc<Subscriptions>,
) {
    let mut was_up = false;
    let mut ever_up = false;
    loop {
        let up = bounded(redis::cmd("PING").query_async::<String>(&mut conn))
            .await
            .is_ok();
        inbox.unreachable.store(!up, Ordering::Release);
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
